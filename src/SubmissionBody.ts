/**
 * The JSON body of highvolt-server's `POST /submit`, streamed: every field but `file_data` is
 * serialized up front (a few KiB), then the base64 of the kept bytes is produced chunk by chunk
 * from memory or from the spool file while it is sent. The exact `Content-Length` is known
 * before the first byte, and the body is never held as one string.
 */
import { Chunk, Effect, Option, Stream } from "effect"
import { type Content, type SpoolError, SpoolReadBytes, spoolThrough } from "./Digest.js"
import type { Digests } from "./Domain.js"
import { Base64Encoder, base64Length } from "./internal/base64.js"

/** The `app` field: which Highvolt client submitted the file. */
export const App = "aws-s3-lambda"

export interface SubmissionFields {
  /** The full MIME string, e.g. `text/plain; charset=utf-8`. */
  readonly mimetype: string
  /** Sent as RFC 3339 UTC without milliseconds, e.g. `2026-05-23T14:00:00Z`. */
  readonly timestamp: Date
  readonly digests: Digests
  /** `s3://bucket/key`. */
  readonly fullPath: string
  /** The key's last segment. */
  readonly filename: string
  /** A JSON value describing the execution environment, collected once per container. */
  readonly dataOrigin: unknown
  /** A JSON object: account, region, bucket, key, versionId, etag, size, eventName, eventTime, uploader, sourceIp. */
  readonly s3: unknown
}

export interface StreamedBody {
  readonly contentLength: number
  /** Re-runnable: each run re-reads the content (a submit retry sends the same bytes). */
  readonly stream: Stream.Stream<Uint8Array, SpoolError>
}

/** RFC 3339 in UTC, whole seconds: `2026-05-23T14:00:00Z`. */
export const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z")

/** `JSON.stringify`, with `null` for what JSON cannot represent (`undefined`, functions). */
const json = (value: unknown): string => JSON.stringify(value) ?? "null"

/** In-memory content, encoded `SpoolReadBytes` of input per pull (a few 64 KiB pieces each). */
const memoryBase64 = (chunks: ReadonlyArray<Uint8Array>): Stream.Stream<Uint8Array> =>
  Stream.suspend(() => {
    const encoder = new Base64Encoder()
    let index = 0
    let offset = 0
    let ended = false
    return Stream.repeatEffectChunkOption(Effect.suspend(() => {
      const out: Array<Uint8Array> = []
      while (out.length === 0) {
        const chunk = chunks[index]
        if (chunk === undefined) {
          if (ended) return Effect.fail(Option.none())
          ended = true
          encoder.end(out)
          break
        }
        const end = Math.min(chunk.length, offset + SpoolReadBytes)
        encoder.push(offset === 0 && end === chunk.length ? chunk : chunk.subarray(offset, end), out)
        if (end === chunk.length) {
          index++
          offset = 0
        } else {
          offset = end
        }
      }
      return Effect.succeed(Chunk.unsafeFromArray(out))
    }))
  })

/** The base64 text of the content, as a stream of ASCII bytes; a fresh encoder per run. */
export const base64Stream = (content: Content): Stream.Stream<Uint8Array, SpoolError> =>
  content._tag === "InMemory"
    ? memoryBase64(content.chunks)
    : Stream.suspend(() => {
      const encoder = new Base64Encoder()
      return spoolThrough<Uint8Array>(content, (bytes, out) => encoder.push(bytes, out)).pipe(
        Stream.concat(Stream.suspend(() => {
          const out: Array<Uint8Array> = []
          encoder.end(out)
          return Stream.fromIterable(out)
        }))
      )
    })

/**
 * The exact body of `POST /submit`: `mimetype`, `timestamp`, `sha256`, `sha1`, `md5`, `app`,
 * `full_path`, `filename`, `data_origin`, `s3`, then `file_data` last, streamed. Fails only with
 * `SpoolError`, when the spool file cannot be read back.
 */
export const submissionBody = (fields: SubmissionFields, content: Content): StreamedBody => {
  const prefix = Buffer.from(
    `{"mimetype":${json(fields.mimetype)}` +
      `,"timestamp":${json(rfc3339(fields.timestamp))}` +
      `,"sha256":${json(fields.digests.sha256)}` +
      `,"sha1":${json(fields.digests.sha1)}` +
      `,"md5":${json(fields.digests.md5)}` +
      `,"app":${json(App)}` +
      `,"full_path":${json(fields.fullPath)}` +
      `,"filename":${json(fields.filename)}` +
      `,"data_origin":${json(fields.dataOrigin)}` +
      `,"s3":${json(fields.s3)}` +
      `,"file_data":"`,
    "utf8"
  )
  const suffix = Buffer.from(`"}`, "latin1")
  return {
    contentLength: prefix.length + base64Length(content.bytes) + suffix.length,
    stream: Stream.succeed<Uint8Array>(prefix).pipe(
      Stream.concat(base64Stream(content)),
      Stream.concat(Stream.succeed<Uint8Array>(suffix))
    )
  }
}
