/**
 * The S3 Control emulator through the real SDK (`@aws-sdk/client-s3-control`), held to what AWS
 * answers: 403 for another account's caller or a role that is not the job role, 400 for a
 * malformed job, 404 for a job this account and Region do not have; and a job's run — its
 * statuses and counts, the task batches the function receives, bounded retries of
 * TemporaryFailure, and the completion report — with a stand-in function.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3"
import { CreateJobCommand, type CreateJobCommandInput, DescribeJobCommand, type JobDescriptor } from "@aws-sdk/client-s3-control"
import { Effect } from "effect"
import { gzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type * as LocalStack from "../../emulators/LocalStack.js"
import type { LocalFunction } from "../../emulators/S3ControlEmulator.js"
import { startStack } from "../helpers/localStackHarness.js"
import { s3Client, s3ControlClient } from "./clients.js"

let stack: LocalStack.LocalStackHandle
let close: () => Promise<void>
beforeAll(async () => {
  const started = await startStack()
  stack = started.stack
  close = started.close
})
afterAll(() => close())

const region = () => stack.regions[0]!
const own = () => stack.accounts.own

/** Writes `body` to the report bucket and returns its location and ETag, as a manifest is uploaded. */
const upload = async (key: string, body: string | Buffer) => {
  const answer = await s3Client(stack, region()).send(new PutObjectCommand({ Bucket: stack.backfill.reportBucket, Key: key, Body: body }))
  return { ObjectArn: `arn:aws:s3:::${stack.backfill.reportBucket}/${key}`, ETag: answer.ETag! }
}

let serial = 0
const jobInput = (location: { ObjectArn: string; ETag: string }, overrides: Partial<CreateJobCommandInput> = {}): CreateJobCommandInput => ({
  AccountId: own(),
  ClientRequestToken: `token-${++serial}`,
  ConfirmationRequired: false,
  Priority: 10,
  RoleArn: stack.backfill.jobRoleArn,
  Operation: { LambdaInvoke: { FunctionArn: stack.backfill.functionArn, InvocationSchemaVersion: "2.0", UserArguments: { accountId: "222222222222", region: "eu-west-1" } } },
  Manifest: { Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key"] }, Location: location },
  Report: { Bucket: `arn:aws:s3:::${stack.backfill.reportBucket}`, Prefix: "reports", Format: "Report_CSV_20180820", Enabled: true, ReportScope: "AllTasks" },
  ...overrides
})

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ status: 200, code: "none" }),
    (e: { name: string; $metadata?: { httpStatusCode?: number } }) => ({ status: e.$metadata?.httpStatusCode, code: e.name })
  )

/** Polls DescribeJob until the job ends, collecting every status it was seen in. */
const followJob = async (jobId: string) => {
  const seen: Array<string> = []
  for (let i = 0; i < 400; i++) {
    const { Job } = await s3ControlClient(stack).send(new DescribeJobCommand({ AccountId: own(), JobId: jobId }))
    if (seen.at(-1) !== Job!.Status) seen.push(Job!.Status!)
    if (Job!.Status === "Complete" || Job!.Status === "Failed") return { job: Job as JobDescriptor, seen }
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`job ${jobId} did not end`)
}

const readReport = async (jobId: string) => {
  const read = async (key: string) => {
    const object = await Effect.runPromise(stack.s3.readObject(stack.backfill.reportBucket, key))
    return object!.bytes.toString("utf8")
  }
  const manifest = JSON.parse(await read(`reports/job-${jobId}/manifest.json`)) as { Results: Array<{ Key: string; TaskExecutionStatus: string }>; ReportSchema: string }
  const rows = (await Promise.all(manifest.Results.map((r) => read(r.Key)))).join("")
  return { manifest, rows: rows.split("\n").filter((l) => l !== "") }
}

/** A function answering each task with `code(key, attempt)`; records the events it got. */
const stand = (code: (key: string, attempt: number) => string) => {
  const events: Array<any> = []
  const attempts = new Map<string, number>()
  const fn: LocalFunction = {
    timeoutMs: 5_000,
    handler: async (event: any) => {
      events.push(event)
      return {
        invocationSchemaVersion: event.invocationSchemaVersion,
        treatMissingKeysAs: "PermanentFailure",
        invocationId: event.invocationId,
        results: event.tasks.map((t: any) => {
          const n = (attempts.get(t.s3Key) ?? 0) + 1
          attempts.set(t.s3Key, n)
          return { taskId: t.taskId, resultCode: code(t.s3Key, n), resultString: `seen ${t.s3Key} #${n}` }
        })
      }
    }
  }
  return { fn, events, attempts }
}

describe("S3 Control emulator: strict as AWS", () => {
  it("a role other than the job role: 403 AccessDenied (iam:PassRole), no job", async () => {
    const location = await upload("manifests/strict.csv", "b,k\n")
    const answer = await refusal(s3ControlClient(stack).send(new CreateJobCommand(jobInput(location, { RoleArn: `arn:aws:iam::${own()}:role/SomeOtherRole` }))))
    expect(answer).toEqual({ status: 403, code: "AccessDenied" })
    expect(stack.s3Control.jobs.size).toBe(0)
  })

  it("an account id that is not the caller's: 403; a wrong secret: 403 SignatureDoesNotMatch", async () => {
    const location = await upload("manifests/strict.csv", "b,k\n")
    expect(await refusal(s3ControlClient(stack).send(new CreateJobCommand(jobInput(location, { AccountId: "222222222222" }))))).toEqual({ status: 403, code: "AccessDenied" })
    const forged = s3ControlClient(stack, region(), { accessKeyId: stack.ownCredentials.accessKeyId, secretAccessKey: "not-the-secret" })
    expect(await refusal(forged.send(new CreateJobCommand(jobInput(location))))).toEqual({ status: 403, code: "SignatureDoesNotMatch" })
  })

  it("malformed manifests and operations: 400 InvalidRequest", async () => {
    const location = await upload("manifests/strict.csv", "b,k\n")
    const bad: ReadonlyArray<Partial<CreateJobCommandInput>> = [
      { Manifest: { Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Key", "Bucket"] }, Location: location } },
      { Manifest: { Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key"] }, Location: { ObjectArn: "not-an-arn", ETag: "x" } } },
      { Operation: { LambdaInvoke: { FunctionArn: stack.backfill.functionArn, InvocationSchemaVersion: "1.0", UserArguments: { accountId: "222222222222" } } } },
      { Operation: { S3PutObjectTagging: { TagSet: [] } } },
      { Report: { Bucket: "arn:aws:s3:::no-such-report-bucket", Format: "Report_CSV_20180820", Enabled: true, ReportScope: "AllTasks" } }
    ]
    for (const overrides of bad) {
      expect(await refusal(s3ControlClient(stack).send(new CreateJobCommand(jobInput(location, overrides))))).toEqual({ status: 400, code: "InvalidRequest" })
    }
  })

  it("an unknown job, or one of another Region: 404 NoSuchJob", async () => {
    expect(await refusal(s3ControlClient(stack).send(new DescribeJobCommand({ AccountId: own(), JobId: "00000000-0000-0000-0000-000000000000" })))).toEqual({
      status: 404,
      code: "NoSuchJob"
    })
    const { fn } = stand(() => "Succeeded")
    const unregister = stack.s3Control.registerFunction(stack.backfill.functionArn, fn)
    const location = await upload("manifests/region.csv", "b,k\n")
    const { JobId } = await s3ControlClient(stack).send(new CreateJobCommand(jobInput(location)))
    expect(await refusal(s3ControlClient(stack, stack.regions[1]!).send(new DescribeJobCommand({ AccountId: own(), JobId: JobId! })))).toEqual({ status: 404, code: "NoSuchJob" })
    await followJob(JobId!)
    unregister()
  })
})

describe("S3 Control emulator: running a job", () => {
  it("New → Preparing → Active → Complete; 2.0 batches with userArguments and encoded keys; a report row per task", async () => {
    const { fn, events } = stand((key) => (key.startsWith("gone") ? "PermanentFailure" : "Succeeded"))
    const unregister = stack.s3Control.registerFunction(stack.backfill.functionArn, fn)
    const keys = Array.from({ length: 23 }, (_, i) => (i === 5 ? "gone/x.pdf" : `dir/a+b%2B${i}.pdf`))
    const location = await upload("manifests/run.csv", keys.map((k) => `src-bucket,${k}\n`).join(""))
    const input = jobInput(location)
    const created = await s3ControlClient(stack).send(new CreateJobCommand(input))
    // Idempotent: the same token names the same job.
    const again = await s3ControlClient(stack).send(new CreateJobCommand(input))
    expect(again.JobId).toBe(created.JobId)
    const { job, seen } = await followJob(created.JobId!)
    unregister()
    expect(seen[0]).toMatch(/New|Preparing|Active/)
    expect(seen.at(-1)).toBe("Complete")
    expect(job.ProgressSummary).toMatchObject({ TotalNumberOfTasks: 23, NumberOfTasksSucceeded: 22, NumberOfTasksFailed: 1 })
    expect(events.length).toBe(3)
    expect(events[0]).toMatchObject({ invocationSchemaVersion: "2.0", job: { id: created.JobId, userArguments: { accountId: "222222222222", region: "eu-west-1" } } })
    expect(events.flatMap((e) => e.tasks.map((t: any) => t.s3Key)).sort()).toEqual([...keys].sort())
    expect(events[0].tasks[0]).toEqual({ taskId: expect.any(String), s3Bucket: "src-bucket", s3Key: expect.any(String), s3VersionId: null })
    const report = await readReport(created.JobId!)
    expect(report.manifest.ReportSchema).toBe("Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage")
    expect(report.rows).toHaveLength(23)
    expect(report.rows).toContain("src-bucket,gone/x.pdf,,failed,200,PermanentFailure,seen gone/x.pdf #1")
    expect(report.rows).toContain("src-bucket,dir/a+b%2B0.pdf,,succeeded,200,,seen dir/a+b%2B0.pdf #1")
  })

  it("TemporaryFailure is retried up to 3 attempts, then reported; a throwing function counts as a temporary failure", async () => {
    const { fn, attempts } = stand((key, n) => (key === "flaky.pdf" && n < 2 ? "TemporaryFailure" : key === "storm.pdf" ? "TemporaryFailure" : "Succeeded"))
    const unregister = stack.s3Control.registerFunction(stack.backfill.functionArn, fn)
    const location = await upload("manifests/retry.csv", "b,flaky.pdf\nb,storm.pdf\nb,fine.pdf\n")
    const { JobId } = await s3ControlClient(stack).send(new CreateJobCommand(jobInput(location)))
    const { job } = await followJob(JobId!)
    unregister()
    expect([attempts.get("flaky.pdf"), attempts.get("storm.pdf"), attempts.get("fine.pdf")]).toEqual([2, 3, 1])
    expect(job.ProgressSummary).toMatchObject({ TotalNumberOfTasks: 3, NumberOfTasksSucceeded: 2, NumberOfTasksFailed: 1 })
    expect((await readReport(JobId!)).rows).toContain("b,storm.pdf,,failed,200,TemporaryFailure,seen storm.pdf #3")

    const throwing = stack.s3Control.registerFunction(stack.backfill.functionArn, { timeoutMs: 1000, handler: () => Promise.reject(new Error("boom")) })
    const second = await s3ControlClient(stack).send(new CreateJobCommand(jobInput(await upload("manifests/throw.csv", "b,x.pdf\n"))))
    await followJob(second.JobId!)
    throwing()
    expect(stack.s3Control.jobs.get(second.JobId!)!.invocations).toHaveLength(3)
    expect((await readReport(second.JobId!)).rows).toEqual(["b,x.pdf,,failed,200,TemporaryFailure,\"Lambda returned function error: {\"\"errorMessage\"\":\"\"boom\"\"}\""])
  })

  it("an S3 Inventory manifest.json and its gzipped CSV files; schema 1.0 tasks carry the bucket ARN", async () => {
    const { fn, events } = stand(() => "Succeeded")
    const unregister = stack.s3Control.registerFunction(stack.backfill.functionArn, fn)
    const bucket = stack.backfill.reportBucket
    await upload("manifests/inventory/data/1.csv.gz", gzipSync("\"src\",\"a%20b.pdf\",\"v1\",\"true\"\n\"src\",\"c.pdf\",\"v2\",\"true\"\n"))
    const manifest = await upload("manifests/inventory/manifest.json", JSON.stringify({
      sourceBucket: "src",
      destinationBucket: `arn:aws:s3:::${bucket}`,
      fileFormat: "CSV",
      fileSchema: "Bucket, Key, VersionId, IsLatest",
      files: [{ key: "manifests/inventory/data/1.csv.gz", size: 1, MD5checksum: "x" }]
    }))
    const { JobId } = await s3ControlClient(stack).send(new CreateJobCommand(jobInput(manifest, {
      Manifest: { Spec: { Format: "S3InventoryReport_CSV_20161130" }, Location: manifest },
      Operation: { LambdaInvoke: { FunctionArn: stack.backfill.functionArn, InvocationSchemaVersion: "1.0" } }
    })))
    const { job } = await followJob(JobId!)
    unregister()
    expect(job.Status).toBe("Complete")
    expect(events[0].job).toEqual({ id: JobId })
    expect(events[0].tasks.map((t: any) => [t.s3BucketArn, t.s3Key, t.s3VersionId])).toEqual([["arn:aws:s3:::src", "a%20b.pdf", "v1"], ["arn:aws:s3:::src", "c.pdf", "v2"]])
  })

  it("a manifest whose ETag changed, a function nobody registered, a manifest the job role may not read: the job Fails with a reason", async () => {
    const location = await upload("manifests/changed.csv", "b,k\n")
    await upload("manifests/changed.csv", "b,k2\n")
    const changed = await s3ControlClient(stack).send(new CreateJobCommand(jobInput(location)))
    const first = await followJob(changed.JobId!)
    expect([first.job.Status, first.job.FailureReasons?.[0]?.FailureCode]).toEqual(["Failed", "ManifestETagMismatch"])
    const unknown = await s3ControlClient(stack).send(new CreateJobCommand(jobInput(await upload("manifests/nofn.csv", "b,k\n"))))
    const second = await followJob(unknown.JobId!)
    expect([second.job.Status, second.job.FailureReasons?.[0]?.FailureCode]).toEqual(["Failed", "LambdaFunctionNotFound"])
    // The job role reads manifests/ only, as terraform's policy lets it.
    const outside = await s3ControlClient(stack).send(new CreateJobCommand(jobInput(await upload("elsewhere/m.csv", "b,k\n"))))
    const third = await followJob(outside.JobId!)
    expect([third.job.Status, third.job.FailureReasons?.[0]?.FailureCode]).toEqual(["Failed", "ManifestNotFound"])
  })
})
