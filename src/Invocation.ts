/**
 * One Lambda invocation: decode what arrived, scan every item, record each outcome as it ends.
 * A single event whose scan failed fails the invocation (Lambda retries it, then hands it to
 * the on-failure destination); an SQS batch reports only its failed messages.
 */
import { Effect, Either, Schema } from "effect"
import { Credentials } from "./Credentials.js"
import type { EventItem } from "./Domain.js"
import { decodeInvocation, type InvalidEvent } from "./Events.js"
import { isFailed, type Outcome } from "./Outcome.js"
import { OutcomeLog } from "./OutcomeLog.js"
import { scanItem, type ScanServices } from "./Scan.js"

/** Items of one event (records of a notification) are scanned this many at a time. */
const itemConcurrency = 4

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
  outcome: "failed",
  error: { tag: error._tag, message: error.message }
})

const describe = (outcome: Outcome): string =>
  outcome.outcome === "failed"
    ? `${outcome.eventId} ${outcome.bucket ?? "?"}/${outcome.key ?? "?"}: ${outcome.error.tag}: ${outcome.error.message}`
    : outcome.eventId

export const handle = (input: unknown, options: { readonly deadline?: number } = {}) =>
  Effect.gen(function*() {
    const { ownAccount } = yield* Credentials
    const log = yield* OutcomeLog
    const scanAll = (items: ReadonlyArray<EventItem>) =>
      Effect.forEach(items, (item) => Effect.tap(scanItem(item, options), log.record), { concurrency: itemConcurrency })

    const invocation = yield* decodeInvocation(input, { ownAccount }).pipe(
      Effect.tapError((error) => log.record(invalidOutcome(error))),
      Effect.mapError((error) => new InvocationFailed({ failures: [`invalid event: ${error.message}`] }))
    )

    if (invocation._tag === "Single") {
      const outcomes = yield* scanAll(invocation.items)
      const failed = outcomes.filter(isFailed)
      if (failed.length > 0) return yield* new InvocationFailed({ failures: failed.map(describe) })
      return {
        outcomes: outcomes.map((o) => ({ outcome: o.outcome, eventId: o.eventId, bucket: o.bucket, key: o.key }))
      } satisfies SingleEventResponse as SingleEventResponse
    }

    // Messages of a batch run side by side; each message's items as above.
    const failedIds = yield* Effect.forEach(invocation.messages, (message) =>
      Either.match(message.items, {
        onLeft: (error) => Effect.as(log.record(invalidOutcome(error)), [message.messageId]),
        onRight: (items) => Effect.map(scanAll(items), (outcomes) => outcomes.some(isFailed) ? [message.messageId] : [])
      }), { concurrency: itemConcurrency })
    return {
      batchItemFailures: failedIds.flat().map((itemIdentifier) => ({ itemIdentifier }))
    } satisfies SqsBatchResponse as SqsBatchResponse
  }).pipe(Effect.withSpan("Invocation.handle"))
