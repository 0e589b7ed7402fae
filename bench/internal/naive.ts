/**
 * The buffer-everything variant the memory benchmark compares with: the same production services
 * (S3 client, MIME detection, highvolt client), but the object is collected into one Buffer,
 * hashed, and the submission built as one JSON string with `file_data` as a base64 string,
 * then sent as one Buffer. What a straightforward implementation does.
 */
import { Chunk, Clock, Effect, Stream } from "effect"
import { createHash } from "node:crypto"
import { DataOrigin } from "../../src/DataOrigin.js"
import type { Md5, ObjectCreated, Sha1, Sha256 } from "../../src/Domain.js"
import { Highvolt } from "../../src/Highvolt.js"
import * as Mime from "../../src/Mime.js"
import { Objects } from "../../src/Objects.js"
import type { Outcome } from "../../src/Outcome.js"
import { ScannerConfig } from "../../src/ScannerConfig.js"
import { App, rfc3339 } from "../../src/Submission.js"

export const naiveScan = (event: ObjectCreated) =>
  Effect.gen(function*() {
    const config = yield* ScannerConfig
    const objects = yield* Objects
    const highvolt = yield* Highvolt
    const dataOrigin = yield* DataOrigin
    const started = yield* Clock.currentTimeMillis
    const where = { eventId: event.eventId, source: "realtime" as const, account: event.account, region: event.region, bucket: event.bucket, key: event.key.primary }
    const opened = yield* objects.open(event)
    const bytes = Buffer.concat(Chunk.toReadonlyArray(yield* Stream.runCollect(opened.body)))
    const mimetype = yield* Mime.detect(bytes.subarray(0, Mime.HEAD_BYTES))
    const ms = () => Date.now() - started
    if (!config.core.mime_types.allows(mimetype)) {
      return { ...where, ms: ms(), outcome: "skipped", reason: "mime", detail: mimetype } as Outcome
    }
    const sha256 = createHash("sha256").update(bytes).digest("hex") as Sha256
    const sha1 = createHash("sha1").update(bytes).digest("hex") as Sha1
    const md5 = createHash("md5").update(bytes).digest("hex") as Md5
    if (yield* highvolt.isKnown(sha256)) return { ...where, ms: ms(), outcome: "duplicate", bytes: bytes.length, sha256 } as Outcome
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
      s3: { account_id: event.account, region: event.region, bucket: event.bucket, key: opened.key, size: bytes.length },
      file_data: bytes.toString("base64")
    })
    const body = Buffer.from(json, "utf8")
    yield* highvolt.submit({ sha256, contentLength: body.length, stream: Stream.succeed(body) })
    return { ...where, ms: ms(), outcome: "submitted", bytes: bytes.length, sha256 } as Outcome
  }).pipe(
    Effect.scoped,
    Effect.catchAll((error) =>
      Effect.succeed({ eventId: event.eventId, ms: 0, outcome: "failed", error: { tag: error._tag, message: error.message } } as Outcome)
    )
  )
