/**
 * What the Lambda answers an S3 Batch Operations job: exactly one result per task, from the
 * task's outcome. The job's completion report is where failures end up, so a task's failure
 * is a result, never a thrown invocation.
 *
 * - `Succeeded`: submitted, duplicate, or skipped (the result string says which and why).
 * - `TemporaryFailure`: a retry may fix it (throttling, 5xx, no answer, the deadline); Batch
 *   Operations tries the task again.
 * - `PermanentFailure`: it will not (AccessDenied, a role that cannot be assumed, bad arguments).
 */
import { Schema } from "effect"
import type { BatchJob, InvalidTask, SchemaVersion } from "./BatchJob.js"
import type { Outcome } from "./Outcome.js"

export const ResultCode = Schema.Literal("Succeeded", "TemporaryFailure", "PermanentFailure")
export type ResultCode = typeof ResultCode.Type

export interface TaskResult {
  readonly taskId: string
  readonly resultCode: ResultCode
  readonly resultString: string
}

export interface BatchResponse {
  readonly invocationSchemaVersion: SchemaVersion
  /** Always `PermanentFailure`, as AWS's examples answer (the field is not documented further); every task has a result anyway. */
  readonly treatMissingKeysAs: "PermanentFailure"
  readonly invocationId: string
  readonly results: ReadonlyArray<TaskResult>
}

/** Result strings land in the CSV completion report: kept to one short line. */
const maxResultString = 1024

const oneLine = (text: string): string => {
  const line = text.replace(/\s*[\r\n]+\s*/g, " ")
  return line.length <= maxResultString ? line : `${line.slice(0, maxResultString - 1)}…`
}

/** The result of a task that ended in `outcome`. */
export const resultOf = (taskId: string, outcome: Outcome): TaskResult => {
  switch (outcome.outcome) {
    case "submitted":
    case "duplicate":
      return { taskId, resultCode: "Succeeded", resultString: outcome.outcome }
    case "skipped":
      return { taskId, resultCode: "Succeeded", resultString: oneLine(`skipped: ${outcome.reason} ${outcome.detail}`) }
    case "failed":
      return {
        taskId,
        resultCode: outcome.error.transient ? "TemporaryFailure" : "PermanentFailure",
        resultString: oneLine(`${outcome.error.tag}: ${outcome.error.message}`)
      }
  }
}

/** The outcome of a task that could not be scanned at all. */
export const invalidTaskOutcome = (error: InvalidTask): Outcome => ({
  eventId: error.taskId,
  bucket: error.bucket,
  key: error.key,
  ms: 0,
  source: "backfill",
  outcome: "failed",
  error: { tag: error._tag, message: error.message, transient: false }
})

/** The answer to `job`, its results in the order of its tasks. */
export const respond = (job: BatchJob, results: ReadonlyArray<TaskResult>): BatchResponse => ({
  invocationSchemaVersion: job.schemaVersion,
  treatMissingKeysAs: "PermanentFailure",
  invocationId: job.invocationId,
  results
})

/**
 * The answer when the Lambda could not start (its cold start failed): every task may succeed
 * later, so every task is a `TemporaryFailure` with the reason, and Batch Operations retries it.
 */
export const notStarted = (job: BatchJob, reason: string): BatchResponse =>
  respond(job, job.tasks.map((task) => ({ taskId: task.taskId, resultCode: "TemporaryFailure", resultString: oneLine(`cold start failed: ${reason}`) })))
