/**
 * The S3 Control emulator: S3 Batch Operations jobs over S3 Control's REST-XML API (CreateJob,
 * DescribeJob, ListJobs under `/v20180820/jobs`, the account in `x-amz-account-id`), SigV4
 * checked as AWS does. A job runs in this process (`internal/jobRunner.ts`): its manifest read
 * from the embedded S3, the function it names invoked with real task batches — the function is
 * the scanner's handler, registered by whoever runs it in-process (the demo, the tests) — and
 * its completion report written to the report bucket.
 *
 * As strict as AWS: 403 AccessDenied for a caller of another account than `x-amz-account-id` or
 * a RoleArn other than the account's job role (iam:PassRole), 400 InvalidRequest for a malformed
 * job, 404 NoSuchJob for a job this account and Region do not have.
 */
import { randomUUID } from "node:crypto"
import type * as http from "node:http"
import { Effect, type Scope } from "effect"
import type { Iam } from "./IamEmulator.js"
import { type AwsCallRecord, callRecord, makeErrorQueue } from "./internal/awsProtocol.js"
import { readBody } from "./internal/jsonHttp.js"
import { type Job, type LocalFunction, runJob } from "./internal/jobRunner.js"
import { listen } from "./internal/loopbackServer.js"
import { describeJobXml, document, invalidRequest, listJobsXml, readCreateJob } from "./internal/s3ControlXml.js"
import { accessDenied, authError, type S3Error, sendS3Error } from "./internal/s3Xml.js"
import { sha256Hex } from "./internal/sigv4.js"
import { parseXml } from "./internal/xmlTree.js"
import type { S3Emulator } from "./S3Emulator.js"

export type { Job, JobStatus, LocalFunction } from "./internal/jobRunner.js"

export interface S3ControlOptions {
  readonly iam: Iam
  readonly s3: S3Emulator
  /** The role jobs must be created with, per account: `arn:aws:iam::<account>:role/<name>`. */
  readonly jobRoleName: string
  /** Attempts per task, the first included (default 3). */
  readonly taskAttempts?: number
  /** Tasks per invocation (default 10; AWS itself sends one or a few). */
  readonly tasksPerInvocation?: number
  /** Invocations in flight per job (default 4). */
  readonly concurrency?: number
}

export interface S3ControlEmulator {
  /** The `AWS_ENDPOINT_URL_S3_CONTROL`. */
  readonly url: string
  readonly jobs: ReadonlyMap<string, Job>
  readonly calls: ReadonlyArray<AwsCallRecord>
  /** Makes `arn` invocable by jobs (the local stack runs no Lambda of its own); returns the unregistration. */
  readonly registerFunction: (arn: string, fn: LocalFunction) => () => void
  /** The next `times` calls (of `action`, if given) answer `error`. */
  readonly failNext: (error: S3Error, times?: number, action?: string) => void
  /** Resolves when every job started so far has ended (Complete or Failed). */
  readonly settled: () => Promise<void>
}

const jobsPath = /^\/v20180820\/jobs(?:\/([^/?]+))?\/?(?:\?.*)?$/

const sendXml = (res: http.ServerResponse, xml: string) => {
  res.writeHead(200, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(xml), "x-amz-request-id": randomUUID() })
  res.end(xml)
}

export const start = (options: S3ControlOptions): Effect.Effect<S3ControlEmulator, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { iam, s3 } = options
    const jobs = new Map<string, Job>()
    const byToken = new Map<string, string>()
    const functions = new Map<string, LocalFunction>()
    const running = new Set<Promise<void>>()
    const calls: Array<AwsCallRecord> = []
    const injected = makeErrorQueue()
    let stopped = false
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => {
        stopped = true
        return Promise.all(running)
      })
    )

    // As terraform/backfill.tf's job role: it reads `manifests/*` and writes `reports/*`, in its own account only.
    const mayUse = (job: Job, bucket: string, key: string, prefix: string) => s3.buckets.get(bucket)?.account === job.account && key.startsWith(prefix)
    const runner = (job: Job) => ({
      read: (bucket: string, key: string) =>
        mayUse(job, bucket, key, "manifests/") ? Effect.runPromise(s3.readObject(bucket, key)) : Promise.resolve(undefined),
      write: (bucket: string, key: string, body: string) =>
        mayUse(job, bucket, key, "reports/")
          ? Effect.runPromise(s3.putObject({ bucket, key, body, contentType: "text/csv" })).then(() => undefined)
          : Promise.reject(new Error(`AccessDenied: s3:PutObject on ${bucket}/${key}`)),
      functionFor: (arn: string) => functions.get(arn),
      attempts: options.taskAttempts ?? 3,
      tasksPerInvocation: options.tasksPerInvocation ?? 10,
      concurrency: options.concurrency ?? 4,
      retryDelayMs: 50,
      stopped: () => stopped
    })

    const createJob = (body: Buffer, account: string, region: string, callerArn: string): S3Error | string => {
      const request = readCreateJob(parseXml(body.toString("utf8")))
      if ("code" in request) return request
      const jobRole = `arn:aws:iam::${account}:role/${options.jobRoleName}`
      if (request.roleArn !== jobRole) {
        return { ...accessDenied, message: `User: ${callerArn} is not authorized to perform: iam:PassRole on resource: ${request.roleArn}` }
      }
      const reportBucket = request.report.enabled ? s3.buckets.get(request.report.bucket) : undefined
      if (request.report.enabled && reportBucket?.account !== account) {
        return invalidRequest(`The report bucket ${request.report.bucket} does not exist or is not in account ${account}`)
      }
      const existing = byToken.get(`${account}/${request.clientRequestToken}`)
      if (existing !== undefined) return document("CreateJobResult", `<JobId>${existing}</JobId>`)
      const job: Job = {
        id: randomUUID(),
        account,
        region,
        roleArn: request.roleArn,
        priority: request.priority,
        description: request.description,
        clientRequestToken: request.clientRequestToken,
        createdAt: new Date(),
        operation: request.operation,
        manifest: request.manifest,
        report: request.report,
        status: request.confirmationRequired ? "Suspended" : "New",
        total: 0,
        succeeded: 0,
        failed: 0,
        failureReasons: [],
        activeSince: undefined,
        finishedAt: undefined,
        invocations: []
      }
      jobs.set(job.id, job)
      byToken.set(`${account}/${request.clientRequestToken}`, job.id)
      // A job that awaits confirmation stays Suspended: this emulator has no UpdateJobStatus.
      if (!request.confirmationRequired) {
        const run = runJob(job, runner(job)).finally(() => running.delete(run))
        running.add(run)
      }
      return document("CreateJobResult", `<JobId>${job.id}</JobId>`)
    }

    const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      const body = await readBody(req, 1024 * 1024)
      const rawUrl = req.url ?? "/"
      const method = req.method ?? ""
      const route = jobsPath.exec(rawUrl)
      const jobId = route?.[1]
      const action = route === null ? "Unknown" : method === "POST" && jobId === undefined ? "CreateJob" : jobId === undefined ? "ListJobs" : "DescribeJob"
      const auth = iam.authenticate({ method, rawUrl, headers: req.headers, payloadHash: sha256Hex(body) })
      const account = req.headers["x-amz-account-id"]
      const entry = callRecord(action, auth, req.headers, { accountId: account, jobId })
      calls.push(entry)
      const fail = (error: S3Error) => {
        entry.status = error.status
        entry.code = error.code
        sendS3Error(req, res, error)
      }
      if (!auth.ok) return fail(authError(auth.failure))
      if (auth.service !== "s3") return fail(invalidRequest(`S3 Control requests are signed for service s3, not ${auth.service}`))
      if (typeof account !== "string" || !/^\d{12}$/.test(account)) return fail(invalidRequest("Missing required header for this request: x-amz-account-id"))
      if (account !== auth.caller.account) return fail(accessDenied)
      const error = injected.take(action)
      if (error !== undefined) return fail(error)
      const answer = (xml: string) => {
        entry.status = 200
        sendXml(res, xml)
      }
      if (action === "CreateJob") {
        const created = createJob(body, account, auth.region, auth.caller.arn)
        return typeof created === "string" ? answer(created) : fail(created)
      }
      if (action === "DescribeJob" && method === "GET") {
        const job = jobs.get(decodeURIComponent(jobId!))
        if (job === undefined || job.account !== account || job.region !== auth.region) {
          return fail({ status: 404, code: "NoSuchJob", message: "The specified job does not exist" })
        }
        return answer(describeJobXml(job))
      }
      if (action === "ListJobs" && method === "GET") {
        return answer(listJobsXml([...jobs.values()].filter((j) => j.account === account && j.region === auth.region)))
      }
      return fail({ status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource." })
    }

    const server = yield* listen((req, res) => {
      handle(req, res).catch(() => sendS3Error(req, res, { status: 500, code: "InternalError", message: "We encountered an internal error. Please try again." }))
    })

    return {
      url: server.url,
      jobs,
      calls,
      registerFunction: (arn, fn) => {
        functions.set(arn, fn)
        return () => {
          if (functions.get(arn) === fn) functions.delete(arn)
        }
      },
      failNext: (error, times = 1, action) => injected.inject(error, times, action),
      settled: () => Promise.all(running).then(() => undefined)
    } satisfies S3ControlEmulator
  })
