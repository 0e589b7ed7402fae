/**
 * The designs the benchmarks compare the scanner with, on the same production services (S3
 * client, MIME detection, highvolt client); both build the submission as one JSON string with
 * `file_data` as a base64 string, sent as one Buffer:
 *
 * - `naiveScan`, buffer everything: the object collected into one Buffer, then hashed and encoded.
 *   What a straightforward implementation does.
 * - `goScan`, the Go original's design (see the product page): the role assumed again and a
 *   Region-scoped S3 client built at every invocation, the body hashed in one streamed pass
 *   that builds the base64 text whole beside it.
 */
import { Chunk, Clock, Effect, Layer, Stream } from "effect"
import { createHash } from "node:crypto"
import { Credentials } from "../../src/Credentials.js"
import { DataOrigin } from "../../src/DataOrigin.js"
import type { Md5, ObjectCreated, Sha1, Sha256 } from "../../src/Domain.js"
import { Environment } from "../../src/Environment.js"
import { Highvolt } from "../../src/Highvolt.js"
import * as Mime from "../../src/Mime.js"
import { type ObjectError, Objects } from "../../src/Objects.js"
import type { Outcome } from "../../src/Outcome.js"
import { ScannerConfig } from "../../src/ScannerConfig.js"
import { App, rfc3339 } from "../../src/Submission.js"

/** An object read whole: its first bytes, digests and base64 text. */
interface Whole {
  readonly size: number
  readonly head: Uint8Array
  readonly sha256: Sha256
  readonly sha1: Sha1
  readonly md5: Md5
  readonly base64: () => string
}

/** A failure as the scanner reports one: the run counts it and names the first. */
const asFailed = (event: ObjectCreated) => (error: { readonly _tag: string; readonly message: string }) =>
  Effect.succeed({ eventId: event.eventId, ms: 0, outcome: "failed", error: { tag: error._tag, message: error.message } } as Outcome)

const scanWhole = (
  event: ObjectCreated,
  read: (body: Stream.Stream<Uint8Array, ObjectError>) => Effect.Effect<Whole, ObjectError>
) =>
  Effect.gen(function*() {
    const config = yield* ScannerConfig
    const objects = yield* Objects
    const highvolt = yield* Highvolt
    const dataOrigin = yield* DataOrigin
    const started = yield* Clock.currentTimeMillis
    const where = { eventId: event.eventId, source: "realtime" as const, account: event.account, region: event.region, bucket: event.bucket, key: event.key.primary }
    const opened = yield* objects.open(event)
    const whole = yield* read(opened.body)
    const mimetype = yield* Mime.detect(whole.head)
    const ms = () => Date.now() - started
    if (!config.core.mime_types.allows(mimetype)) {
      return { ...where, ms: ms(), outcome: "skipped", reason: "mime", detail: mimetype } as Outcome
    }
    const { md5, sha1, sha256, size } = whole
    if (yield* highvolt.isKnown(sha256)) return { ...where, ms: ms(), outcome: "duplicate", bytes: size, sha256 } as Outcome
    const json = JSON.stringify({
      mimetype,
      timestamp: rfc3339(new Date()),
      sha256,
      sha1,
      md5,
      app: App,
      full_path: `s3://${event.bucket}/${opened.key}`,
      filename: opened.key.split("/").pop(),
      data_origin: dataOrigin,
      s3: { account_id: event.account, region: event.region, bucket: event.bucket, key: opened.key, size },
      file_data: whole.base64()
    })
    const body = Buffer.from(json, "utf8")
    yield* highvolt.submit({ sha256, contentLength: body.length, stream: Stream.succeed(body) })
    return { ...where, ms: ms(), outcome: "submitted", bytes: size, sha256 } as Outcome
  }).pipe(Effect.scoped, Effect.catchAll(asFailed(event)))

/** Buffer everything: one Buffer of the whole object, hashed and encoded at the end. */
export const naiveScan = (event: ObjectCreated) =>
  scanWhole(event, (body) =>
    Stream.runCollect(body).pipe(Effect.map((chunks): Whole => {
      const bytes = Buffer.concat(Chunk.toReadonlyArray(chunks))
      return {
        size: bytes.length,
        head: bytes.subarray(0, Mime.HEAD_BYTES),
        sha256: createHash("sha256").update(bytes).digest("hex") as Sha256,
        sha1: createHash("sha1").update(bytes).digest("hex") as Sha1,
        md5: createHash("md5").update(bytes).digest("hex") as Md5,
        base64: () => bytes.toString("base64")
      }
    })))

/** One pass: each chunk hashed and encoded (3-byte groups carried over), the text joined whole. */
const hashAndEncode = (body: Stream.Stream<Uint8Array, ObjectError>) =>
  Effect.suspend(() => {
    const sha256 = createHash("sha256")
    const sha1 = createHash("sha1")
    const md5 = createHash("md5")
    const head: Array<Buffer> = []
    let headBytes = 0
    let size = 0
    let carry = Buffer.alloc(0)
    const text: Array<string> = []
    return Stream.runForEach(body, (chunk) =>
      Effect.sync(() => {
        const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        sha256.update(bytes)
        sha1.update(bytes)
        md5.update(bytes)
        size += bytes.length
        if (headBytes < Mime.HEAD_BYTES) {
          head.push(Buffer.from(bytes.subarray(0, Mime.HEAD_BYTES - headBytes)))
          headBytes += Math.min(bytes.length, Mime.HEAD_BYTES - headBytes)
        }
        const pending = carry.length === 0 ? bytes : Buffer.concat([carry, bytes])
        const whole = pending.length - (pending.length % 3)
        text.push(pending.subarray(0, whole).toString("base64"))
        carry = Buffer.from(pending.subarray(whole))
      })).pipe(Effect.map((): Whole => {
        const base64 = text.join("") + carry.toString("base64")
        return {
          size,
          head: Buffer.concat(head),
          sha256: sha256.digest("hex") as Sha256,
          sha1: sha1.digest("hex") as Sha1,
          md5: md5.digest("hex") as Md5,
          base64: () => base64
        }
      }))
  })

/** Per invocation, as the Go original: no cached session, a new S3 client and connection pool. */
const perInvocationObjects = Objects.layer.pipe(Layer.provide(Environment.layer))

/** The Go original's design. */
export const goScan = (event: ObjectCreated): Effect.Effect<Outcome, never, Credentials | DataOrigin | ScannerConfig | Highvolt | Objects> =>
  Effect.gen(function*() {
    const credentials = yield* Credentials
    yield* credentials.invalidate(event.account)
    return yield* scanWhole(event, hashAndEncode)
  }).pipe(Effect.provide(perInvocationObjects), Effect.catchAll(asFailed(event)))
