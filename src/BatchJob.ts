/**
 * What an S3 Batch Operations "Invoke AWS Lambda function" job asks, once decoded: the job and
 * its tasks, one object of the manifest each. A task is a scan (`ObjectCreated`, as a real-time
 * event would give) or the reason it cannot be one (`InvalidTask`); either way it gets exactly one
 * result. Decoding is in `src/internal/events/batchOperations.ts`, the answer in `BatchResponse`.
 */
import { type Either, Schema } from "effect"
import type { ObjectCreated } from "./Domain.js"

/** The invocation schema versions Batch Operations sends; the answer repeats the one it got. */
export const SchemaVersion = Schema.Literal("1.0", "2.0")
export type SchemaVersion = typeof SchemaVersion.Type

/**
 * Raised (as a value, per task) when a task cannot be scanned: the job's `userArguments` are
 * missing or malformed (then every task of the job carries the same message), or the task itself
 * names no valid bucket or key. No retry can fix it: the task ends `PermanentFailure`.
 */
export class InvalidTask extends Schema.TaggedError<InvalidTask>()("InvalidTask", {
  taskId: Schema.String,
  message: Schema.String,
  /** As the task spelled them, when it did: for the outcome line. */
  bucket: Schema.optional(Schema.String),
  key: Schema.optional(Schema.String)
}) {}

export interface BatchTask {
  readonly taskId: string
  readonly scan: Either.Either<ObjectCreated, InvalidTask>
}

export interface BatchJob {
  readonly schemaVersion: SchemaVersion
  readonly invocationId: string
  readonly jobId: string
  /** In the order the event listed them. */
  readonly tasks: ReadonlyArray<BatchTask>
}
