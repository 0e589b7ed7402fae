/**
 * The per-event program: one decoded event item in, exactly one `Outcome` out. Its steps, in
 * the order the product takes them:
 *
 *   open the object → check its size → read its head and detect the MIME type → digest (and
 *   keep) the rest in the same pass → ask highvolt-server whether the SHA256 is known → submit
 *   → outcome.
 *
 * Reading is retried as a whole when S3 breaks off mid-body; every way a scan can end becomes
 * an outcome in `Outcome.settle`, so nothing escapes as an exception.
 *
 * No spans on the per-event path (here, `Objects.open`, `digestStream`, `Highvolt`): the
 * application runs untraced (see `AppLayer`), and `Effect.fn` and `Effect.withSpan` still capture
 * a stack trace on every call. The steps are `Effect.fnUntraced`.
 */
import { Clock, Effect, ExecutionStrategy, Exit, Option, Scope } from "effect"
import { DataOrigin } from "./DataOrigin.js"
import * as Deadline from "./Deadline.js"
import { digestStream } from "./Digest.js"
import type { Digests, EventItem, Ignored, ObjectCreated } from "./Domain.js"
import { Highvolt } from "./Highvolt.js"
import { InFlight } from "./InFlight.js"
import * as Mime from "./Mime.js"
import { ObjectError, Objects, type OpenedObject } from "./Objects.js"
import { type Completed, type Ending, type Location, type Outcome, settle, Skipped, type Source } from "./Outcome.js"
import * as Retry from "./Retry.js"
import { ScannerConfig } from "./ScannerConfig.js"
import type { Content, Spool } from "./Spool.js"
import { fieldsOf, maxSubmittableBytes, submissionBody } from "./Submission.js"

/** The services one scan needs; all are built once per container. */
export type ScanServices = ScannerConfig | Objects | Highvolt | InFlight | DataOrigin | Spool

/** An object read to its end: what the rest of the scan works from. */
interface ReadObject {
  readonly opened: OpenedObject
  readonly mimetype: string
  readonly digests: Digests
  /** The raw bytes, kept (in memory or spooled) until the event ends. */
  readonly content: Content
}

/**
 * The outcome of one event item. Never fails: every way it can end is an outcome. With a
 * `deadline` (epoch ms), the scan stops in time and fails with `DeadlineExceeded` rather than
 * being killed by Lambda. `source` (default `realtime`) says what asked for the scan.
 */
export const scanItem = (
  item: EventItem,
  options: { readonly deadline?: number; readonly source?: Source } = {}
): Effect.Effect<Outcome, never, ScanServices> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const ended: Ending = item._tag === "Ignored"
      ? { ...ignoredLocation(item), outcome: "skipped", reason: item.reason, detail: item.detail }
      : yield* scanObject(item).pipe(
        options.deadline === undefined ? (self) => self : Deadline.until(options.deadline),
        settle(locationOf(item))
      )
    return { ...ended, ms: (yield* Clock.currentTimeMillis) - started, source: options.source ?? "realtime" } as Outcome
  })

/** One object's scan, from its event to its verdict; skips and failures are typed errors. */
const scanObject = (event: ObjectCreated) =>
  Effect.gen(function*() {
    const object = yield* read(event)
    const verdict = yield* dedupAndSubmit(event, object)
    return {
      key: object.opened.key,
      versionId: Option.getOrUndefined(object.opened.versionId),
      bytes: object.digests.bytes,
      mimetype: object.mimetype,
      sha256: object.digests.sha256,
      outcome: verdict
    } satisfies Completed
  }).pipe(Effect.scoped)

/** Open → check size → detect and digest; a connection lost mid-body reads again (a skip does not). */
const read = (event: ObjectCreated) =>
  Effect.gen(function*() {
    const opened = yield* open(event)
    yield* checkSize(opened)
    return yield* detectAndDigest(event, opened)
  }).pipe(inAttemptScope, Effect.retry(Retry.transientRetry()))

/** Opens the object the event names (its version, when the event gave one). */
const open = Effect.fnUntraced(function*(event: ObjectCreated) {
  const objects = yield* Objects
  return yield* objects.open({
    account: event.account,
    region: event.region,
    bucket: event.bucket,
    key: event.key,
    versionId: event.versionId
  })
})

/** Skips what cannot or need not be analyzed, before a byte of it is downloaded. */
const checkSize = Effect.fnUntraced(function*(opened: OpenedObject) {
  const config = yield* ScannerConfig
  const bytes = opened.contentLength
  // An empty object (a console "folder" marker, a placeholder) holds nothing to analyze, and
  // highvolt-server requires a non-empty file_data.
  if (bytes === 0) return yield* new Skipped({ reason: "size", detail: "empty object: nothing to analyze", bytes })
  if (bytes > config.core.max_file_size) {
    return yield* new Skipped({ reason: "size", detail: `${bytes} bytes exceeds max_file_size ${config.core.max_file_size}`, bytes })
  }
  if (bytes > maxSubmittableBytes) {
    return yield* new Skipped({ reason: "size", detail: `${bytes} bytes: its base64 would exceed highvolt-server's 1 GiB body limit`, bytes })
  }
})

/**
 * Reads the body once: the head goes to MIME detection before anything past it is pulled (a
 * disallowed type is never downloaded), and the same pass digests and keeps every byte.
 */
const detectAndDigest = Effect.fnUntraced(function*(event: ObjectCreated, opened: OpenedObject) {
  const { content, digests, head: mimetype } = yield* digestStream(opened.body, {
    expectedBytes: opened.contentLength,
    inspectHead: detectMime(opened)
  }).pipe(
    // A body shorter or longer than S3 announced is a broken transfer: worth another read.
    Effect.catchTag("BodyLengthMismatch", (mismatch) =>
      new ObjectError({
        account: event.account,
        region: event.region,
        bucket: event.bucket,
        key: opened.key,
        ...Option.match(opened.versionId, { onNone: () => ({}), onSome: (versionId) => ({ versionId }) }),
        reason: "unavailable",
        detail: mismatch.message
      }))
  )
  return { opened, mimetype, digests, content } satisfies ReadObject
})

/** The MIME type of the object's head, if the allow-list takes it. */
const detectMime = (opened: OpenedObject) => (head: Uint8Array) =>
  Effect.gen(function*() {
    const config = yield* ScannerConfig
    const mimetype = yield* Mime.detect(head)
    if (config.core.mime_types.allows(mimetype)) return mimetype
    return yield* new Skipped({ reason: "mime", detail: `${mimetype} is not in the allow-list`, mimetype, bytes: opened.contentLength })
  })

/**
 * Asks highvolt-server whether the bytes were already analyzed and submits them if not; events
 * in this container with the same bytes at the same time share one query-and-submit.
 */
const dedupAndSubmit = Effect.fnUntraced(function*(event: ObjectCreated, object: ReadObject) {
  const highvolt = yield* Highvolt
  const inFlight = yield* InFlight
  return yield* inFlight.once(
    object.digests.sha256,
    Effect.gen(function*() {
      if (yield* highvolt.isKnown(object.digests.sha256)) return "duplicate" as const
      yield* submit(event, object)
      return "submitted" as const
    })
  )
})

/** Sends the object to highvolt-server for analysis. */
const submit = Effect.fnUntraced(function*(event: ObjectCreated, object: ReadObject) {
  const highvolt = yield* Highvolt
  const dataOrigin = yield* DataOrigin
  const timestamp = new Date(yield* Clock.currentTimeMillis)
  const fields = fieldsOf({ event, opened: object.opened, mimetype: object.mimetype, digests: object.digests, timestamp, dataOrigin })
  yield* highvolt.submit(submissionBody(fields, object.content))
})

/**
 * Runs one read attempt in a scope of its own: a failed attempt's spool file is removed before
 * the next attempt starts, a successful one lives as long as the event's scope.
 */
const inAttemptScope = <A, E, R>(attempt: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Scope.Scope> | Scope.Scope> =>
  Effect.flatMap(Effect.scope, (outer) =>
    Effect.flatMap(Scope.fork(outer, ExecutionStrategy.sequential), (scope) =>
      attempt.pipe(
        Scope.extend(scope),
        Effect.onExit((exit) => Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void)
      )))

const locationOf = (event: ObjectCreated): Location => ({
  eventId: event.eventId,
  account: event.account,
  region: event.region,
  bucket: event.bucket,
  key: event.key.primary,
  versionId: Option.getOrUndefined(event.versionId)
})

const ignoredLocation = (item: Ignored): Location => ({
  eventId: item.eventId,
  account: Option.getOrUndefined(item.account),
  region: Option.getOrUndefined(item.region),
  bucket: Option.getOrUndefined(item.bucket),
  key: Option.getOrUndefined(item.key)
})
