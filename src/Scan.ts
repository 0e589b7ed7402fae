/**
 * The per-event program: one decoded event item in, exactly one `Outcome` out. It reads the
 * object once — size check, MIME check on the first 1 MiB, digests and spool in one pass —
 * asks highvolt-server whether the SHA256 is known, and submits it if not. Every failure ends
 * as a `failed` outcome with its tagged error; nothing escapes as an exception.
 */
import type { FileSystem } from "@effect/platform"
import { Cause, Clock, Data, Effect, ExecutionStrategy, Exit, Option, Scope } from "effect"
import { DataOrigin } from "./DataOrigin.js"
import { type Content, digestStream } from "./Digest.js"
import type { Digests, EventItem, Ignored, ObjectCreated, SkipReason } from "./Domain.js"
import { Highvolt } from "./Highvolt.js"
import { InFlight } from "./InFlight.js"
import * as Mime from "./Mime.js"
import { ObjectError, Objects, type OpenedObject } from "./Objects.js"
import type { Findings, Location, Outcome } from "./Outcome.js"
import * as Deadline from "./Deadline.js"
import * as Retry from "./Retry.js"
import { ScannerConfig } from "./ScannerConfig.js"
import { submissionBody } from "./SubmissionBody.js"

/** Ends an event as skipped: not an error, a decision (internal to the scan). */
class Skip extends Data.TaggedError("Skip")<{ readonly reason: SkipReason; readonly detail: string } & Findings> {}

/** The services one scan needs; all are built once per container. */
export type ScanServices = ScannerConfig | Objects | Highvolt | InFlight | DataOrigin | FileSystem.FileSystem

/**
 * The largest object highvolt-server can take: its request body is limited to 1 GiB, and the
 * base64 of the file is 4/3 of it (1 MiB is left for the other fields). Larger objects would
 * only ever be refused (413), whatever `max_file_size` says.
 */
export const maxSubmittableBytes = Math.floor((1024 ** 3 - 1024 ** 2) / 4) * 3

/** The last segment of a key: what the product page calls `filename`. */
export const filenameOf = (key: string): string => key.split("/").filter((s) => s !== "").pop() ?? key

const locationOf = (event: ObjectCreated, key = event.key.primary, versionId = event.versionId): Location => ({
  eventId: event.eventId,
  account: event.account,
  region: event.region,
  bucket: event.bucket,
  key,
  versionId: Option.getOrUndefined(versionId)
})

const ignoredLocation = (item: Ignored): Location => ({
  eventId: item.eventId,
  account: Option.getOrUndefined(item.account),
  region: Option.getOrUndefined(item.region),
  bucket: Option.getOrUndefined(item.bucket),
  key: Option.getOrUndefined(item.key)
})

/** What investigators need to find the upload again, sent along with the file. */
const s3Details = (event: ObjectCreated, opened: OpenedObject, bytes: number) => ({
  account_id: event.account,
  region: event.region,
  bucket: event.bucket,
  key: opened.key,
  version_id: Option.getOrNull(opened.versionId),
  etag: Option.getOrNull(opened.etag.pipe(Option.orElse(() => event.etag))),
  size: bytes,
  event_name: event.eventName,
  event_time: Option.getOrNull(event.eventTime),
  uploader_arn: Option.getOrNull(event.uploader),
  source_ip: Option.getOrNull(event.sourceIp)
})

interface Read {
  readonly opened: OpenedObject
  readonly mimetype: string
  readonly digests: Digests
  readonly content: Content
}

/**
 * One attempt at reading the object, in a scope of its own: a failed attempt's spool file is
 * removed before the next attempt starts, a successful one lives until the event ends.
 */
const readOnce = (event: ObjectCreated) =>
  Effect.gen(function*() {
    const config = yield* ScannerConfig
    const objects = yield* Objects
    const outer = yield* Effect.scope
    const attempt = yield* Scope.fork(outer, ExecutionStrategy.sequential)
    return yield* Effect.gen(function*() {
      const opened = yield* objects.open({
        account: event.account,
        region: event.region,
        bucket: event.bucket,
        key: event.key,
        versionId: event.versionId
      })
      // An empty object (a console "folder" marker, a placeholder) holds nothing to analyze,
      // and highvolt-server requires a non-empty file_data.
      if (opened.contentLength === 0) {
        return yield* new Skip({ reason: "size", detail: "empty object: nothing to analyze", bytes: 0 })
      }
      if (opened.contentLength > config.core.max_file_size) {
        return yield* new Skip({
          reason: "size",
          detail: `${opened.contentLength} bytes exceeds max_file_size ${config.core.max_file_size}`,
          bytes: opened.contentLength
        })
      }
      if (opened.contentLength > maxSubmittableBytes) {
        return yield* new Skip({
          reason: "size",
          detail: `${opened.contentLength} bytes: its base64 would exceed highvolt-server's 1 GiB body limit`,
          bytes: opened.contentLength
        })
      }
      const scanned = yield* digestStream(opened.body, {
        expectedBytes: opened.contentLength,
        inspectHead: (head) =>
          Effect.flatMap(Mime.detect(head), (mimetype) =>
            config.core.mime_types.allows(mimetype)
              ? Effect.succeed(mimetype)
              : Effect.fail(
                new Skip({ reason: "mime", detail: `${mimetype} is not in the allow-list`, mimetype, bytes: opened.contentLength })
              ))
      })
      return { opened, mimetype: scanned.head, digests: scanned.digests, content: scanned.content } satisfies Read
    }).pipe(
      // A body shorter or longer than S3 announced is a broken transfer: worth another read.
      Effect.catchTag("BodyLengthMismatch", (mismatch) =>
        Effect.fail(
          new ObjectError({
            account: event.account,
            region: event.region,
            bucket: event.bucket,
            key: event.key.primary,
            ...Option.match(event.versionId, { onNone: () => ({}), onSome: (versionId) => ({ versionId }) }),
            reason: "unavailable",
            detail: mismatch.message
          })
        )),
      Scope.extend(attempt),
      Effect.onExit((exit) => Exit.isFailure(exit) ? Scope.close(attempt, exit) : Effect.void)
    )
  })

/** Scans one object; skips and failures come out as typed errors, turned into outcomes by `scanItem`. */
const scanObject = (event: ObjectCreated) =>
  Effect.gen(function*() {
    const highvolt = yield* Highvolt
    const dataOrigin = yield* DataOrigin
    const inFlight = yield* InFlight
    // A connection lost mid-body or a short body is worth another read; Skip is not retried.
    const read = yield* readOnce(event).pipe(Effect.retry(Retry.transientRetry()))
    const findings: Findings = { bytes: read.digests.bytes, mimetype: read.mimetype, sha256: read.digests.sha256 }
    const where = locationOf(event, read.opened.key, read.opened.versionId)

    const verdict = yield* inFlight.once(
      read.digests.sha256,
      Effect.gen(function*() {
        if (yield* highvolt.isKnown(read.digests.sha256)) return "duplicate" as const
        const timestamp = new Date(yield* Clock.currentTimeMillis)
        yield* highvolt.submit(submissionBody({
          mimetype: read.mimetype,
          timestamp,
          digests: read.digests,
          fullPath: `s3://${event.bucket}/${read.opened.key}`,
          filename: filenameOf(read.opened.key),
          dataOrigin,
          s3: s3Details(event, read.opened, read.digests.bytes)
        }, read.content))
        return "submitted" as const
      })
    )
    return { ...where, ...findings, outcome: verdict }
  }).pipe(Effect.scoped)

const failureOf = (error: { readonly _tag: string; readonly message: string }) => ({
  tag: error._tag,
  message: error.message
})

/**
 * The outcome of one event item. Never fails: skips, typed errors and even defects (bugs)
 * become outcomes, so that every event is accounted for. With a `deadline` (epoch ms), the
 * scan stops in time and fails with `DeadlineExceeded` rather than being killed by Lambda.
 */
export const scanItem = (item: EventItem, options: { readonly deadline?: number } = {}): Effect.Effect<Outcome, never, ScanServices> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - started)
    if (item._tag === "Ignored") {
      return { ...ignoredLocation(item), ms: yield* elapsed, outcome: "skipped", reason: item.reason, detail: item.detail } as const
    }
    const where = locationOf(item)
    const ended = yield* scanObject(item).pipe(
      options.deadline === undefined ? (self) => self : Deadline.until(options.deadline),
      Effect.map((outcome): Omit<Outcome, "ms"> => outcome),
      Effect.catchTags({
        Skip: (skip) =>
          Effect.succeed({ ...where, bytes: skip.bytes, mimetype: skip.mimetype, outcome: "skipped", reason: skip.reason, detail: skip.detail } as const),
        ObjectError: (error) =>
          error.reason === "not-found" || error.reason === "archived" || error.reason === "sse-c"
            ? Effect.succeed({ ...where, key: error.key, outcome: "skipped", reason: error.reason, detail: error.detail } as const)
            : Effect.succeed({ ...where, outcome: "failed", error: failureOf(error) } as const)
      }),
      Effect.catchAll((error) => Effect.succeed({ ...where, outcome: "failed", error: failureOf(error) } as const)),
      Effect.catchAllDefect((defect) =>
        Effect.succeed({ ...where, outcome: "failed", error: { tag: "Defect", message: Cause.pretty(Cause.die(defect)).split("\n")[0] ?? "defect" } } as const)
      ),
      // What is left is an interruption that is not this event's own (for that, no handler runs):
      // work it waited on, shared with another event, was cancelled. It must not escape: it would
      // stop the other events of the invocation, and this one would end with no outcome.
      Effect.catchAllCause(() =>
        Effect.succeed({
          ...where,
          outcome: "failed",
          error: { tag: "Interrupted", message: "work this event waited on, shared with another event, was cancelled" }
        } as const)
      ),
      Effect.withSpan("Scan.scanItem", { attributes: { eventId: item.eventId } })
    )
    return { ...ended, ms: yield* elapsed } as Outcome
  })
