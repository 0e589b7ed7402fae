/**
 * highvolt-server's `POST /submit`, as its wire contract spells it: which objects can be
 * submitted at all, the fields that go with the file (typed), and the JSON body, streamed:
 * every field but `file_data` is serialized up front (a few KiB), then the base64 of the kept
 * bytes is produced chunk by chunk from memory or from the spool file while it is sent. The
 * exact `Content-Length` is known before the first byte, and the body is never held as one
 * string.
 */
import { Chunk, Effect, Option, Stream } from "effect"
import type { DataOriginShape } from "./DataOrigin.js"
import type { Digests, ObjectCreated, Sha256 } from "./Domain.js"
import { asBuffer, Base64Encoder, base64Length, PieceBytes } from "./internal/base64.js"
import type { OpenedObject } from "./Objects.js"
import { type Content, type SpoolError, SpoolReadBytes, spoolThrough } from "./Spool.js"

/**
 * The largest object highvolt-server can take: its request body is limited to 1 GiB, and the
 * base64 of the file is 4/3 of it (1 MiB is left for the other fields). Larger objects would
 * only ever be refused (413), whatever `max_file_size` says.
 */
export const maxSubmittableBytes = Math.floor((1024 ** 3 - 1024 ** 2) / 4) * 3

/** The last segment of a key: what the product page calls `filename`. */
export const filenameOf = (key: string): string => key.split("/").filter((s) => s !== "").pop() ?? key

/** The `s3` block: what investigators need to find the upload again. */
export interface S3Details {
  readonly account_id: string
  readonly region: string
  readonly bucket: string
  readonly key: string
  readonly version_id: string | null
  readonly etag: string | null
  readonly size: number
  readonly event_name: string
  readonly event_time: string | null
  readonly uploader_arn: string | null
  readonly source_ip: string | null
}

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
  /** The execution environment, collected once per container. */
  readonly dataOrigin: DataOriginShape
  readonly s3: S3Details
}

/** What the scan learnt about one object, from which its submission's fields follow. */
export interface ScannedObject {
  readonly event: ObjectCreated
  /** The object as S3 served it: the key reading found, its version and ETag. */
  readonly opened: Pick<OpenedObject, "key" | "versionId" | "etag">
  readonly mimetype: string
  readonly digests: Digests
  readonly timestamp: Date
  readonly dataOrigin: DataOriginShape
}

/** The fields of one object's submission. */
export const fieldsOf = ({ dataOrigin, digests, event, mimetype, opened, timestamp }: ScannedObject): SubmissionFields => ({
  mimetype,
  timestamp,
  digests,
  fullPath: `s3://${event.bucket}/${opened.key}`,
  filename: filenameOf(opened.key),
  dataOrigin,
  s3: {
    account_id: event.account,
    region: event.region,
    bucket: event.bucket,
    key: opened.key,
    version_id: Option.getOrNull(opened.versionId),
    etag: Option.getOrNull(opened.etag.pipe(Option.orElse(() => event.etag))),
    size: digests.bytes,
    event_name: event.eventName,
    event_time: Option.getOrNull(event.eventTime),
    uploader_arn: Option.getOrNull(event.uploader),
    source_ip: Option.getOrNull(event.sourceIp)
  }
})

export interface StreamedBody {
  /** The body's `sha256`: a retry asks highvolt-server whether the submission already landed. */
  readonly sha256: Sha256
  readonly contentLength: number
  /** Re-runnable: each run re-reads the content (a submit retry sends the same bytes). */
  readonly stream: Stream.Stream<Uint8Array, SpoolError>
  /**
   * The same bytes as `stream`, in one buffer, when the content is small and in memory (at most
   * `WholeBodyMaxBytes`): sent as is, without running a stream (which costs more CPU than
   * encoding such a file).
   */
  readonly whole?: Uint8Array
}

/**
 * Content up to this many bytes (in memory) also gets its body as one buffer: one base64 piece
 * (64 KiB of text), the size the streamed body is cut into anyway.
 */
export const WholeBodyMaxBytes = PieceBytes

/** RFC 3339 in UTC, whole seconds: `2026-05-23T14:00:00Z`. */
export const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z")

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
    `{"mimetype":${JSON.stringify(fields.mimetype)}` +
      `,"timestamp":${JSON.stringify(rfc3339(fields.timestamp))}` +
      `,"sha256":${JSON.stringify(fields.digests.sha256)}` +
      `,"sha1":${JSON.stringify(fields.digests.sha1)}` +
      `,"md5":${JSON.stringify(fields.digests.md5)}` +
      `,"app":${JSON.stringify(App)}` +
      `,"full_path":${JSON.stringify(fields.fullPath)}` +
      `,"filename":${JSON.stringify(fields.filename)}` +
      `,"data_origin":${JSON.stringify(fields.dataOrigin)}` +
      `,"s3":${JSON.stringify(fields.s3)}` +
      `,"file_data":"`,
    "utf8"
  )
  const suffix = Buffer.from(`"}`, "latin1")
  const contentLength = prefix.length + base64Length(content.bytes) + suffix.length
  return {
    sha256: fields.digests.sha256,
    contentLength,
    stream: Stream.succeed<Uint8Array>(prefix).pipe(
      Stream.concat(base64Stream(content)),
      Stream.concat(Stream.succeed<Uint8Array>(suffix))
    ),
    ...(content._tag === "InMemory" && content.bytes <= WholeBodyMaxBytes ? { whole: wholeBody(prefix, content.chunks, suffix, contentLength) } : {})
  }
}

/** prefix + base64 of the chunks + suffix, in one buffer of exactly `length` bytes. */
const wholeBody = (prefix: Buffer, chunks: ReadonlyArray<Uint8Array>, suffix: Buffer, length: number): Buffer => {
  const body = Buffer.allocUnsafe(length)
  let at = prefix.copy(body, 0)
  const bytes = chunks.length === 1 ? asBuffer(chunks[0]!) : Buffer.concat(chunks)
  at += body.write(bytes.toString("base64"), at, "latin1")
  suffix.copy(body, at)
  return body
}
