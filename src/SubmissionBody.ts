/**
 * The JSON body of highvolt-server's `POST /submit`, streamed: every field but `file_data` is
 * serialized up front (a few KiB), then the base64 of the kept bytes is produced chunk by chunk
 * from memory or from the spool file while it is sent. The exact `Content-Length` is known
 * before the first byte, and the body is never held as one string.
 */
import { Stream } from "effect"
import { type Content, spooledThrough, SpoolReadBytes, type SpoolError } from "./Digest.js"
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

/** Slices in-memory content into spool-sized pieces, so base64 is produced piece by piece. */
function* pieces(chunks: ReadonlyArray<Uint8Array>): Generator<Uint8Array> {
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i += SpoolReadBytes) {
      yield chunk.subarray(i, Math.min(chunk.length, i + SpoolReadBytes))
    }
  }
}

function* encodeAll(chunks: ReadonlyArray<Uint8Array>): Generator<Uint8Array> {
  const encoder = new Base64Encoder()
  for (const piece of pieces(chunks)) {
    const out = encoder.push(piece)
    if (out.length > 0) yield out
  }
  const last = encoder.end()
  if (last.length > 0) yield last
}

/** The base64 text of the content, as a stream of ASCII bytes; a fresh encoder per run. */
export const base64Stream = (content: Content): Stream.Stream<Uint8Array, SpoolError> =>
  Stream.suspend(() => {
    if (content._tag === "InMemory") return Stream.fromIteratorSucceed(encodeAll(content.chunks), 1)
    const encoder = new Base64Encoder()
    return spooledThrough(content, (bytes) => encoder.push(bytes)).pipe(
      Stream.concat(Stream.sync(() => encoder.end())),
      Stream.filter((bytes) => bytes.length > 0)
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
