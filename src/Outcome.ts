/**
 * How an event ended. Every event ends in exactly one outcome, and every outcome is logged as
 * one structured line: `submitted`, `duplicate` (already analyzed), `skipped` (with a reason) or
 * `failed` (with the tagged error), plus where the object is and what we learnt about it.
 * `settle` is the one place where the ways a scan can end become outcomes.
 */
import { Cause, Data, Effect, Predicate } from "effect"
import type { SkipReason } from "./Domain.js"
import type { ObjectError, ObjectErrorReason } from "./Objects.js"

/** Where the event points, as far as it was known. */
export interface Location {
  readonly eventId: string
  readonly account?: string | undefined
  readonly region?: string | undefined
  readonly bucket?: string | undefined
  readonly key?: string | undefined
  readonly versionId?: string | undefined
}

/** What the scan learnt about the object before it ended. */
export interface Findings {
  readonly bytes?: number | undefined
  readonly mimetype?: string | undefined
  readonly sha256?: string | undefined
}

export interface FailureDetail {
  /** The error's `_tag`: `ObjectError`, `CredentialsError`, `ServiceError`, `DeadlineExceeded`, … */
  readonly tag: string
  readonly message: string
  /**
   * Whether trying the event again later may succeed: throttling, 5xx, no answer, the deadline.
   * S3 Batch Operations retries such a task (`TemporaryFailure`); the rest are `PermanentFailure`.
   */
  readonly transient: boolean
}

/** What started the scan: an event as it happened, or a backfill of what already existed (S3 Batch Operations). */
export const sources = ["realtime", "backfill"] as const
export type Source = typeof sources[number]

/** How an event ended, before its duration is known. */
export type Ending =
  & Location
  & Findings
  & (
    | { readonly outcome: "submitted" }
    | { readonly outcome: "duplicate" }
    | { readonly outcome: "skipped"; readonly reason: SkipReason; readonly detail: string }
    | { readonly outcome: "failed"; readonly error: FailureDetail }
  )

export type Outcome = Ending & { readonly ms: number; readonly source: Source }

export const isFailed = (outcome: Outcome): outcome is Extract<Outcome, { outcome: "failed" }> => outcome.outcome === "failed"

/**
 * Ends an event as skipped: not an error but a decision (too large, a MIME type outside the
 * allow-list), raised by the scan's steps and turned into a `skipped` outcome by `settle`.
 */
export class Skipped extends Data.TaggedError("Skipped")<{ readonly reason: SkipReason; readonly detail: string } & Findings> {}

const isSkipped = (error: unknown): error is Skipped => Predicate.isTagged(error, "Skipped")

/** Objects that S3 would not serve for a reason no retry can change are skipped, not failed. */
const unreadable = new Set<ObjectErrorReason>(["not-found", "archived", "sse-c"])
const isUnreadable = (error: unknown): error is ObjectError & { readonly reason: "not-found" | "archived" | "sse-c" } =>
  Predicate.isTagged(error, "ObjectError") && unreadable.has((error as ObjectError).reason)

/** Errors say whether a retry can help (`transient`); running out of time always can. */
const isTransient = (error: { readonly _tag: string }): boolean =>
  error._tag === "DeadlineExceeded" || (Predicate.hasProperty(error, "transient") && error.transient === true)

/** What an outcome says of the error that failed it. */
export const failureOf = (error: { readonly _tag: string; readonly message: string }): FailureDetail => ({
  tag: error._tag,
  message: error.message,
  transient: isTransient(error)
})

/**
 * A scan that got to the end: submitted or found to be a duplicate, with what it learnt and the
 * key and version S3 served (which may differ from the event's reading of them).
 */
export type Completed = Findings & Pick<Location, "key" | "versionId"> & { readonly outcome: "submitted" | "duplicate" }

/**
 * Turns however a scan ended into its outcome, at `where`. Never fails: skips, typed errors and
 * even defects (bugs) become outcomes, so that every event is accounted for.
 */
export const settle = (where: Location) =>
<E extends { readonly _tag: string; readonly message: string }, R>(
  scan: Effect.Effect<Completed, E | Skipped, R>
): Effect.Effect<Ending, never, R> =>
  scan.pipe(
    Effect.map((completed): Ending => ({ ...where, ...completed })),
    Effect.catchAll((error): Effect.Effect<Ending> => {
      if (isSkipped(error)) {
        return Effect.succeed({ ...where, bytes: error.bytes, mimetype: error.mimetype, outcome: "skipped", reason: error.reason, detail: error.detail })
      }
      if (isUnreadable(error)) {
        return Effect.succeed({ ...where, key: error.key, outcome: "skipped", reason: error.reason, detail: error.detail })
      }
      return Effect.succeed({ ...where, outcome: "failed", error: failureOf(error) })
    }),
    Effect.catchAllDefect((defect) =>
      Effect.succeed({
        ...where,
        outcome: "failed",
        error: { tag: "Defect", message: Cause.pretty(Cause.die(defect)).split("\n")[0] ?? "defect", transient: false }
      } as const)
    ),
    // What is left is an interruption that is not this event's own (for that, no handler runs):
    // work it waited on, shared with another event, was cancelled. It must not escape: it would
    // stop the other events of the invocation, and this one would end with no outcome.
    Effect.catchAllCause(() =>
      Effect.succeed({
        ...where,
        outcome: "failed",
        error: { tag: "Interrupted", message: "work this event waited on, shared with another event, was cancelled", transient: true }
      } as const)
    )
  )
