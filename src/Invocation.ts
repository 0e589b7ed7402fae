/**
 * One Lambda invocation: decode what arrived, scan every item, record each outcome as it ends.
 * A single event whose scan failed fails the invocation (Lambda retries it, then hands it to
 * the on-failure destination); an SQS batch reports only its failed messages; an S3 Batch
 * Operations job answers one result per task and never fails for a task.
 */
import { Effect, Either, Schema } from "effect"
import type { BatchJob } from "./BatchJob.js"
import { type BatchResponse, invalidTaskOutcome, respond, resultOf } from "./BatchResponse.js"
import { Credentials } from "./Credentials.js"
import type { EventItem } from "./Domain.js"
import { decodeInvocation, type InvalidEvent } from "./Events.js"
import { isFailed, type Outcome } from "./Outcome.js"
import { OutcomeLog } from "./OutcomeLog.js"
import { scanItem, type ScanServices } from "./Scan.js"

/**
 * Scans in flight at once per invocation, across all items of all messages: each may hold up to
 * 8 MiB in memory, and a 256 MB Lambda must not run out.
 */
const scanConcurrency = 4

/** Raised when any item of a single-event invocation failed: Lambda will retry the event. */
export class InvocationFailed extends Schema.TaggedError<InvocationFailed>()("InvocationFailed", {
  failures: Schema.Array(Schema.String)
}) {
  override get message() {
    return `${this.failures.length} item(s) failed: ${this.failures.join("; ")}`
  }
}

export interface SqsBatchResponse {
  readonly batchItemFailures: ReadonlyArray<{ readonly itemIdentifier: string }>
}

export interface SingleEventResponse {
  readonly outcomes: ReadonlyArray<Pick<Outcome, "outcome" | "eventId" | "bucket" | "key">>
}

export type InvocationServices = ScanServices | Credentials | OutcomeLog

/** A failed outcome for input that could not be decoded at all. */
const invalidOutcome = (error: InvalidEvent): Outcome => ({
  eventId: error.eventId ?? "unknown",
  ms: 0,
  source: "realtime",
  outcome: "failed",
  error: { tag: error._tag, message: error.message, transient: false }
})

const describe = (outcome: Outcome): string =>
  outcome.outcome === "failed"
    ? `${outcome.eventId} ${outcome.bucket ?? "?"}/${outcome.key ?? "?"}: ${outcome.error.tag}: ${outcome.error.message}`
    : outcome.eventId

/**
 * Every task of a Batch Operations job through the same per-event program, as a backfill; a task
 * that could not be decoded gets its outcome line and its `PermanentFailure` all the same.
 */
const answerJob = (job: BatchJob, options: { readonly deadline?: number }) =>
  Effect.gen(function*() {
    const log = yield* OutcomeLog
    const results = yield* Effect.forEach(
      job.tasks,
      (task) =>
        Either.match(task.scan, {
          onLeft: (invalid) => Effect.succeed(invalidTaskOutcome(invalid)),
          onRight: (item) => scanItem(item, { ...options, source: "backfill" })
        }).pipe(Effect.tap(log.record), Effect.map((outcome) => resultOf(task.taskId, outcome))),
      { concurrency: scanConcurrency }
    )
    return respond(job, results) satisfies BatchResponse as BatchResponse
  }).pipe(Effect.withSpan("Invocation.answerJob", { attributes: { jobId: job.jobId, tasks: job.tasks.length } }))

export const handle = (input: unknown, options: { readonly deadline?: number } = {}) =>
  Effect.gen(function*() {
    const { ownAccount } = yield* Credentials
    const log = yield* OutcomeLog
    const scanAll = (items: ReadonlyArray<EventItem>) =>
      Effect.forEach(items, (item) => Effect.tap(scanItem(item, options), log.record), { concurrency: scanConcurrency })

    const invocation = yield* decodeInvocation(input, { ownAccount }).pipe(
      Effect.tapError((error) => log.record(invalidOutcome(error))),
      Effect.mapError((error) => new InvocationFailed({ failures: [`invalid event: ${error.message}`] }))
    )

    if (invocation._tag === "BatchJob") return yield* answerJob(invocation.job, options)

    if (invocation._tag === "Single") {
      const outcomes = yield* scanAll(invocation.items)
      const failed = outcomes.filter(isFailed)
      if (failed.length > 0) return yield* new InvocationFailed({ failures: failed.map(describe) })
      return {
        outcomes: outcomes.map((o) => ({ outcome: o.outcome, eventId: o.eventId, bucket: o.bucket, key: o.key }))
      } satisfies SingleEventResponse as SingleEventResponse
    }

    // All items of all messages share one pool; a message fails if it is undecodable or any of its items failed.
    const failed = new Set<string>()
    const work = invocation.messages.flatMap((message): Array<Effect.Effect<unknown, never, ScanServices | OutcomeLog>> =>
      Either.match(message.items, {
        onLeft: (error) => {
          failed.add(message.messageId)
          return [log.record(invalidOutcome(error))]
        },
        onRight: (items) =>
          items.map((item) =>
            scanItem(item, options).pipe(
              Effect.tap(log.record),
              Effect.tap((outcome) => Effect.sync(() => isFailed(outcome) && failed.add(message.messageId)))
            )
          )
      })
    )
    yield* Effect.all(work, { concurrency: scanConcurrency, discard: true })
    return {
      batchItemFailures: invocation.messages.filter((m) => failed.has(m.messageId)).map((m) => ({ itemIdentifier: m.messageId }))
    } satisfies SqsBatchResponse as SqsBatchResponse
  }).pipe(Effect.withSpan("Invocation.handle"))
