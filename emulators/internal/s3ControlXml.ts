/**
 * S3 Control's REST-XML for Batch Operations jobs: the CreateJob request read into a job's
 * settings (or the 400 InvalidRequest AWS answers to it), and the DescribeJob, ListJobs and
 * CreateJob answers written as the AWS SDK parses them.
 */
import { xmlEscape } from "./awsProtocol.js"
import { csvFormat, inventoryFormat, type ManifestSpec, validCsvFields } from "./jobManifest.js"
import type { Job } from "./jobRunner.js"
import type { S3Error } from "./s3Xml.js"
import { child, textOf, type XmlElement } from "./xmlTree.js"

export const namespace = "http://awss3control.amazonaws.com/doc/2018-08-20/"

export const invalidRequest = (message: string): S3Error => ({ status: 400, code: "InvalidRequest", message })

/** What CreateJob asks for, before the caller's rights to it are checked. */
export interface CreateJobRequest {
  readonly clientRequestToken: string
  readonly roleArn: string
  readonly priority: number
  readonly confirmationRequired: boolean
  readonly description: string | undefined
  readonly operation: Job["operation"]
  readonly manifest: ManifestSpec
  readonly report: Job["report"]
}

const objectArn = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.+)$/
const bucketArn = /^arn:aws[a-z-]*:s3:::([^/]+)$/

const userArgumentsOf = (element: XmlElement | undefined): Record<string, string> | undefined =>
  element === undefined
    ? undefined
    : Object.fromEntries(element.children.filter((e) => e.name === "entry").map((e) => [textOf(e, "key") ?? "", textOf(e, "value") ?? ""]))

const operationOf = (operation: XmlElement | undefined): Job["operation"] | S3Error => {
  if (operation === undefined || operation.children.length !== 1) return invalidRequest("Operation must name exactly one operation")
  const lambda = child(operation, "LambdaInvoke")
  if (lambda === undefined) return invalidRequest(`Operation ${operation.children[0]!.name} is not supported by this emulator (only LambdaInvoke)`)
  const functionArn = textOf(lambda, "FunctionArn") ?? ""
  if (!/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/.test(functionArn)) {
    return invalidRequest("LambdaInvoke.FunctionArn must be a Lambda function ARN")
  }
  const schemaVersion = textOf(lambda, "InvocationSchemaVersion") ?? "1.0"
  if (schemaVersion !== "1.0" && schemaVersion !== "2.0") return invalidRequest(`InvocationSchemaVersion ${schemaVersion} is not supported: use 1.0 or 2.0`)
  const userArguments = userArgumentsOf(child(lambda, "UserArguments"))
  if (userArguments !== undefined && schemaVersion !== "2.0") return invalidRequest("UserArguments require InvocationSchemaVersion 2.0")
  return { functionArn, schemaVersion, userArguments }
}

const manifestOf = (manifest: XmlElement | undefined): ManifestSpec | S3Error => {
  const spec = child(manifest, "Spec")
  const location = child(manifest, "Location")
  if (spec === undefined || location === undefined) return invalidRequest("Manifest needs a Spec and a Location (a ManifestGenerator is not supported by this emulator)")
  const format = textOf(spec, "Format")
  if (format !== csvFormat && format !== inventoryFormat) return invalidRequest(`Manifest format ${format ?? "(none)"} is not valid`)
  const fields = (child(spec, "Fields")?.children ?? []).map((f) => f.text)
  if (format === csvFormat && !validCsvFields(fields)) return invalidRequest("a CSV manifest's Fields must be Bucket, Key or Bucket, Key, VersionId")
  const arn = objectArn.exec(textOf(location, "ObjectArn") ?? "")
  if (arn === null) return invalidRequest("Manifest.Location.ObjectArn must be an S3 object ARN")
  const etag = textOf(location, "ETag") ?? ""
  if (etag === "") return invalidRequest("Manifest.Location.ETag is required")
  return { format, fields, bucket: arn[1]!, key: arn[2]!, etag }
}

const reportOf = (report: XmlElement | undefined): Job["report"] | S3Error => {
  if (report === undefined) return invalidRequest("Report is required")
  const enabled = textOf(report, "Enabled") === "true"
  if (!enabled) return { enabled, bucket: "", prefix: "", failedOnly: false }
  const bucket = bucketArn.exec(textOf(report, "Bucket") ?? "")
  if (bucket === null) return invalidRequest("Report.Bucket must be an S3 bucket ARN")
  if (textOf(report, "Format") !== "Report_CSV_20180820") return invalidRequest("Report.Format must be Report_CSV_20180820")
  const scope = textOf(report, "ReportScope") ?? "AllTasks"
  if (scope !== "AllTasks" && scope !== "FailedTasksOnly") return invalidRequest(`Report.ReportScope ${scope} is not valid`)
  return { enabled, bucket: bucket[1]!, prefix: textOf(report, "Prefix") ?? "", failedOnly: scope === "FailedTasksOnly" }
}

const isError = (value: unknown): value is S3Error => typeof value === "object" && value !== null && "code" in value && "status" in value

/** The request, or the InvalidRequest AWS would answer. */
export const readCreateJob = (root: XmlElement | undefined): CreateJobRequest | S3Error => {
  if (root?.name !== "CreateJobRequest") return { status: 400, code: "MalformedXML", message: "The XML you provided was not well-formed or did not validate against our published schema" }
  const clientRequestToken = textOf(root, "ClientRequestToken") ?? ""
  if (clientRequestToken === "") return invalidRequest("ClientRequestToken is required")
  const roleArn = textOf(root, "RoleArn") ?? ""
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn)) return invalidRequest("RoleArn must be an IAM role ARN")
  const priority = Number(textOf(root, "Priority"))
  if (!Number.isInteger(priority) || priority < 0) return invalidRequest("Priority must be a non-negative integer")
  const operation = operationOf(child(root, "Operation"))
  if (isError(operation)) return operation
  const manifest = manifestOf(child(root, "Manifest"))
  if (isError(manifest)) return manifest
  const report = reportOf(child(root, "Report"))
  if (isError(report)) return report
  return {
    clientRequestToken,
    roleArn,
    priority,
    confirmationRequired: textOf(root, "ConfirmationRequired") !== "false",
    description: textOf(root, "Description"),
    operation,
    manifest,
    report
  }
}

const element = (name: string, value: string | number | undefined) => (value === undefined ? "" : `<${name}>${xmlEscape(String(value))}</${name}>`)

export const document = (root: string, inner: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${namespace}">${inner}</${root}>`

export const jobArn = (job: Job) => `arn:aws:s3:${job.region}:${job.account}:job/${job.id}`

const progressOf = (job: Job) =>
  `<ProgressSummary>${element("TotalNumberOfTasks", job.total)}${element("NumberOfTasksSucceeded", job.succeeded)}${element("NumberOfTasksFailed", job.failed)}` +
  `<Timers>${element("ElapsedTimeInActiveSeconds", job.activeSince === undefined ? 0 : Math.floor(((job.finishedAt?.getTime() ?? Date.now()) - job.activeSince) / 1000))}</Timers></ProgressSummary>`

export const describeJobXml = (job: Job) => {
  const { operation: op, manifest: m, report: r } = job
  const userArguments = op.userArguments === undefined
    ? ""
    : `<UserArguments>${Object.entries(op.userArguments).map(([k, v]) => `<entry>${element("key", k)}${element("value", v)}</entry>`).join("")}</UserArguments>`
  const fields = m.fields.length === 0 ? "" : `<Fields>${m.fields.map((f) => element("member", f)).join("")}</Fields>`
  const failures = job.failureReasons.length === 0
    ? ""
    : `<FailureReasons>${job.failureReasons.map((f) => `<member>${element("FailureCode", f.code)}${element("FailureReason", f.reason)}</member>`).join("")}</FailureReasons>`
  return document(
    "DescribeJobResult",
    `<Job>${element("JobId", job.id)}${element("ConfirmationRequired", "false")}${element("Description", job.description)}${element("JobArn", jobArn(job))}` +
      `${element("Status", job.status)}` +
      `<Manifest><Spec>${element("Format", m.format)}${fields}</Spec><Location>${element("ObjectArn", `arn:aws:s3:::${m.bucket}/${m.key}`)}${element("ETag", m.etag)}</Location></Manifest>` +
      `<Operation><LambdaInvoke>${element("FunctionArn", op.functionArn)}${element("InvocationSchemaVersion", op.schemaVersion)}${userArguments}</LambdaInvoke></Operation>` +
      `${element("Priority", job.priority)}${progressOf(job)}${failures}` +
      `<Report>${element("Bucket", r.enabled ? `arn:aws:s3:::${r.bucket}` : undefined)}${element("Format", r.enabled ? "Report_CSV_20180820" : undefined)}` +
      `${element("Enabled", String(r.enabled))}${element("Prefix", r.enabled ? r.prefix : undefined)}${element("ReportScope", r.enabled ? (r.failedOnly ? "FailedTasksOnly" : "AllTasks") : undefined)}</Report>` +
      `${element("CreationTime", job.createdAt.toISOString())}${element("TerminationDate", job.finishedAt?.toISOString())}${element("RoleArn", job.roleArn)}</Job>`
  )
}

export const listJobsXml = (jobs: ReadonlyArray<Job>) =>
  document(
    "ListJobsResult",
    `<Jobs>${
      jobs.map((job) =>
        `<member>${element("JobId", job.id)}${element("Description", job.description)}${element("Operation", "LambdaInvoke")}${element("Priority", job.priority)}` +
        `${element("Status", job.status)}${element("CreationTime", job.createdAt.toISOString())}${element("TerminationDate", job.finishedAt?.toISOString())}` +
        `${progressOf(job)}</member>`
      ).join("")
    }</Jobs>`
  )
