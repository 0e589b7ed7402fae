/**
 * How an event ended. Every event ends in exactly one outcome, and every outcome is logged as
 * one structured line: `submitted`, `duplicate` (already analyzed), `skipped` (with a reason) or
 * `failed` (with the tagged error), plus where the object is and what we learnt about it.
 */
import type { SkipReason } from "./Domain.js"

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
}

export type Outcome =
  & Location
  & Findings
  & { readonly ms: number }
  & (
    | { readonly outcome: "submitted" }
    | { readonly outcome: "duplicate" }
    | { readonly outcome: "skipped"; readonly reason: SkipReason; readonly detail: string }
    | { readonly outcome: "failed"; readonly error: FailureDetail }
  )

export const isFailed = (outcome: Outcome): outcome is Extract<Outcome, { outcome: "failed" }> => outcome.outcome === "failed"
