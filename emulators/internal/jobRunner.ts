/**
 * How S3 Batch Operations runs an "Invoke AWS Lambda function" job once created: Preparing (the
 * manifest read, its tasks counted), Active (the function invoked with invocation-schema 2.0 or
 * 1.0 task batches, a few at a time; a TemporaryFailure, a function error or a timeout retried a
 * bounded number of times), then the completion report written and the job Complete — or Failed
 * when its manifest or function cannot be used.
 */
import { randomBytes } from "node:crypto"
import { completionReport, type TaskResult } from "./jobReport.js"
import { type ManifestSpec, type ManifestTask, readManifest, type ReadObject } from "./jobManifest.js"

export type JobStatus = "New" | "Preparing" | "Suspended" | "Active" | "Complete" | "Failed"

/** A Lambda function as the local stack runs it: the handler in this process, with its timeout. */
export interface LocalFunction {
  readonly handler: (event: unknown, context: { readonly getRemainingTimeInMillis: () => number }) => Promise<unknown>
  readonly timeoutMs: number
}

export interface Job {
  readonly id: string
  readonly account: string
  readonly region: string
  readonly roleArn: string
  readonly priority: number
  readonly description: string | undefined
  readonly clientRequestToken: string
  readonly createdAt: Date
  readonly operation: {
    readonly functionArn: string
    readonly schemaVersion: "1.0" | "2.0"
    readonly userArguments: Readonly<Record<string, string>> | undefined
  }
  readonly manifest: ManifestSpec
  readonly report: { readonly enabled: boolean; readonly bucket: string; readonly prefix: string; readonly failedOnly: boolean }
  status: JobStatus
  total: number
  succeeded: number
  failed: number
  failureReasons: Array<{ readonly code: string; readonly reason: string }>
  activeSince: number | undefined
  finishedAt: Date | undefined
  /** Every invocation the job made, its tasks' ids: what tests count. */
  readonly invocations: Array<ReadonlyArray<string>>
}

export interface RunnerOptions {
  readonly read: ReadObject
  readonly write: (bucket: string, key: string, body: string) => Promise<void>
  readonly functionFor: (arn: string) => LocalFunction | undefined
  /** Attempts per task, the first included (AWS retries a few times, then reports the failure). */
  readonly attempts: number
  readonly tasksPerInvocation: number
  readonly concurrency: number
  readonly retryDelayMs: number
  /** Stops taking new batches (the stack is shutting down). */
  readonly stopped: () => boolean
}

type Result = Omit<TaskResult, "task">

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const eventOf = (job: Job, tasks: ReadonlyArray<{ readonly taskId: string; readonly task: ManifestTask }>) => ({
  invocationSchemaVersion: job.operation.schemaVersion,
  invocationId: randomBytes(48).toString("base64"),
  job: job.operation.schemaVersion === "2.0"
    ? { id: job.id, userArguments: job.operation.userArguments ?? null }
    : { id: job.id },
  tasks: tasks.map(({ taskId, task }) =>
    job.operation.schemaVersion === "2.0"
      ? { taskId, s3Bucket: task.bucket, s3Key: task.key, s3VersionId: task.versionId ?? null }
      : { taskId, s3BucketArn: `arn:aws:s3:::${task.bucket}`, s3Key: task.key, s3VersionId: task.versionId ?? null }
  )
})

const resultCodes = new Set(["Succeeded", "TemporaryFailure", "PermanentFailure"])

/** One invocation: each task's result, as the function's answer (or its failure) gives it. */
const invoke = async (fn: LocalFunction, event: ReturnType<typeof eventOf>): Promise<Map<string, Result>> => {
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`)), fn.timeoutMs)
  })
  const answer = await Promise.race([fn.handler(event, { getRemainingTimeInMillis: () => fn.timeoutMs - (Date.now() - started) }), timedOut]).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: error instanceof Error ? error.message : String(error) })
  ).finally(() => clearTimeout(timer))
  const results = new Map<string, Result>()
  const all = (result: Result) => event.tasks.forEach((t) => results.set(t.taskId, result))
  if (!answer.ok) {
    all({ resultCode: "TemporaryFailure", resultString: `Lambda returned function error: ${JSON.stringify({ errorMessage: answer.error })}` })
    return results
  }
  const body = answer.value as { results?: unknown; treatMissingKeysAs?: unknown } | null
  if (typeof body !== "object" || body === null || !Array.isArray(body.results)) {
    all({ resultCode: "PermanentFailure", resultString: "Lambda returned an invalid response: no results" })
    return results
  }
  for (const r of body.results as ReadonlyArray<{ taskId?: unknown; resultCode?: unknown; resultString?: unknown }>) {
    if (typeof r.taskId === "string" && typeof r.resultCode === "string" && resultCodes.has(r.resultCode)) {
      results.set(r.taskId, { resultCode: r.resultCode as Result["resultCode"], resultString: typeof r.resultString === "string" ? r.resultString : "" })
    }
  }
  const missing = typeof body.treatMissingKeysAs === "string" && resultCodes.has(body.treatMissingKeysAs)
    ? body.treatMissingKeysAs as Result["resultCode"]
    : "PermanentFailure"
  for (const t of event.tasks) {
    if (!results.has(t.taskId)) results.set(t.taskId, { resultCode: missing, resultString: "Lambda response did not contain a result for this task" })
  }
  return results
}

/** Runs the batches `concurrency` at a time, each retried until its tasks settle or attempts run out. */
const runTasks = async (job: Job, fn: LocalFunction, tasks: ReadonlyArray<ManifestTask>, options: RunnerOptions) => {
  const final: Array<TaskResult | undefined> = tasks.map(() => undefined)
  const batches: Array<Array<number>> = []
  for (let i = 0; i < tasks.length; i += options.tasksPerInvocation) {
    batches.push(Array.from({ length: Math.min(options.tasksPerInvocation, tasks.length - i) }, (_, j) => i + j))
  }
  const runBatch = async (indexes: ReadonlyArray<number>) => {
    let pending = indexes
    for (let attempt = 1; pending.length > 0 && !options.stopped(); attempt++) {
      const named = pending.map((i) => ({ index: i, taskId: `${job.id.slice(0, 8)}-${i}-${attempt}-${randomBytes(4).toString("hex")}`, task: tasks[i]! }))
      job.invocations.push(named.map((n) => n.taskId))
      const results = await invoke(fn, eventOf(job, named))
      const retry: Array<number> = []
      for (const n of named) {
        const result = results.get(n.taskId)!
        if (result.resultCode === "TemporaryFailure" && attempt < options.attempts) retry.push(n.index)
        else {
          final[n.index] = { task: n.task, ...result }
          if (result.resultCode === "Succeeded") job.succeeded += 1
          else job.failed += 1
        }
      }
      pending = retry
      if (pending.length > 0) await sleep(options.retryDelayMs * attempt)
    }
  }
  let next = 0
  const worker = async () => {
    while (next < batches.length && !options.stopped()) await runBatch(batches[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency, batches.length) }, worker))
  return final.filter((r): r is TaskResult => r !== undefined)
}

const fail = (job: Job, code: string, reason: string) => {
  job.failureReasons.push({ code, reason })
  job.status = "Failed"
  job.finishedAt = new Date()
}

/** Takes the job from New to Complete or Failed; never rejects (a failure is the job's status). */
export const runJob = async (job: Job, options: RunnerOptions): Promise<void> => {
  // AWS takes a moment between each state; clients poll DescribeJob to follow them.
  await sleep(20)
  job.status = "Preparing"
  const tasks = await readManifest(job.manifest, options.read).catch((error: unknown) => ({ code: "InternalError", reason: String(error) }))
  if (!Array.isArray(tasks)) return fail(job, tasks.code, tasks.reason)
  job.total = tasks.length
  await sleep(20)
  const fn = options.functionFor(job.operation.functionArn)
  if (fn === undefined) {
    return fail(job, "LambdaFunctionNotFound", `Lambda function ${job.operation.functionArn} does not exist or the job's role may not invoke it`)
  }
  job.status = "Active"
  job.activeSince = Date.now()
  const results = await runTasks(job, fn, tasks, options)
  if (job.report.enabled && results.length > 0) {
    const files = completionReport({ bucket: job.report.bucket, prefix: job.report.prefix, jobId: job.id, failedOnly: job.report.failedOnly, now: new Date() }, results)
    const written = await Promise.all(files.map((f) => options.write(job.report.bucket, f.key, f.body))).then(() => true, () => false)
    if (!written) return fail(job, "ReportWriteFailed", `Writing the completion report to ${job.report.bucket} failed`)
  }
  job.status = "Complete"
  job.finishedAt = new Date()
}
