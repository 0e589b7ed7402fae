import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import fc from "fast-check"
import { createHash, randomBytes } from "node:crypto"
import { digestStream } from "../src/Digest.js"
import { Spool, SpoolError } from "../src/Spool.js"
import type { Digests, Md5, Sha1, Sha256 } from "../src/Domain.js"
import { Base64Encoder, base64Length } from "../src/internal/base64.js"
import { App, filenameOf, rfc3339, submissionBody, type SubmissionFields, WholeBodyMaxBytes } from "../src/Submission.js"

const MiB = 1024 * 1024

const digestsOf = (data: Uint8Array): Digests => ({
  sha256: createHash("sha256").update(data).digest("hex") as Sha256,
  sha1: createHash("sha1").update(data).digest("hex") as Sha1,
  md5: createHash("md5").update(data).digest("hex") as Md5,
  bytes: data.length
})

const trickyFields = (data: Uint8Array): SubmissionFields => ({
  mimetype: "text/plain; charset=\"utf-8\"",
  timestamp: new Date("2026-05-23T14:00:00.987Z"),
  digests: digestsOf(data),
  fullPath: "s3://my-bucket/docs/a \"b\"\n.pdf",
  filename: "a \"b\"\n.pdf",
  dataOrigin: {
    os: { hostname: "we\"ird\\host\tname", os: "linux", platform: "linux", release: "6.1", arch: "arm64" },
    cpu: { model: "Intel® Xeon®", cores: 2 },
    memory: { total_mem: 268435456 },
    network: { interface: "eth0", address: "10.0.0.1" }
  },
  s3: {
    account_id: "111122223333",
    region: "eu-west-1",
    bucket: "my-bucket",
    key: "docs/a \"b\"\n.pdf controls \u0000\u0001\u001f\u007f, separators \u2028\u2029, emoji 😀, lone \ud800 surrogate, backslash \\",
    version_id: null,
    etag: "\"0123456789abcdef\"",
    size: data.length,
    event_name: "PutObject",
    event_time: "2026-05-23T13:59:58Z",
    uploader_arn: "arn:aws:iam::111122223333:user/zoë",
    source_ip: "203.0.113.9"
  }
})

const fieldOrder = [
  "mimetype",
  "timestamp",
  "sha256",
  "sha1",
  "md5",
  "app",
  "full_path",
  "filename",
  "data_origin",
  "s3",
  "file_data"
]

const collectPieces = <E, R>(stream: Stream.Stream<Uint8Array, E, R>) =>
  Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** Scans `data` (memory or spool), builds the body, streams it twice. */
const bodyOf = (data: Buffer, memoryLimit: number, fields: (data: Buffer) => SubmissionFields = trickyFields) =>
  Effect.scoped(Effect.gen(function*() {
    const chunks: Array<Uint8Array> = []
    for (let i = 0; i < data.length; i += 10_007) chunks.push(data.subarray(i, i + 10_007))
    const scanned = yield* digestStream(Stream.fromIterable(chunks), { expectedBytes: data.length, inspectHead: () => Effect.void })
    const body = submissionBody(fields(data), scanned.content)
    const first = yield* collectPieces(body.stream)
    const second = yield* collectPieces(body.stream)
    return { tag: scanned.content._tag, contentLength: body.contentLength, first, second, whole: body.whole }
  })).pipe(Effect.provide(Spool.test({ memoryLimit })))

describe("submissionBody", () => {
  for (const size of [0, 1, 2, 3, 4, WholeBodyMaxBytes, WholeBodyMaxBytes + 1, 100_000, 3 * MiB + 2]) {
    for (const memoryLimit of [8 * MiB, 1024]) {
      const where = size > memoryLimit ? "spooled" : "in memory"
      it.live(`${size} bytes ${where}: exact JSON, fields in order, file_data decodes, exact Content-Length, streams twice`, () =>
        Effect.gen(function*() {
          const data = randomBytes(size)
          const { contentLength, first, second, tag, whole } = yield* bodyOf(data, memoryLimit)
          expect(tag).toBe(size > memoryLimit ? "Spooled" : "InMemory")
          const bytes = Buffer.concat(first)
          expect(bytes.length).toBe(contentLength)
          expect(Buffer.concat(second).equals(bytes)).toBe(true)
          // Small content in memory also comes as one buffer, byte for byte the streamed body.
          if (tag === "InMemory" && size <= WholeBodyMaxBytes) expect(Buffer.from(whole!).equals(bytes)).toBe(true)
          else expect(whole).toBeUndefined()

          const json = JSON.parse(bytes.toString("utf8"))
          expect(Object.keys(json)).toEqual(fieldOrder)
          const fields = trickyFields(data)
          expect(json).toEqual({
            mimetype: fields.mimetype,
            timestamp: "2026-05-23T14:00:00Z",
            sha256: fields.digests.sha256,
            sha1: fields.digests.sha1,
            md5: fields.digests.md5,
            app: "aws-s3-lambda",
            full_path: fields.fullPath,
            filename: fields.filename,
            data_origin: fields.dataOrigin,
            s3: fields.s3,
            file_data: data.toString("base64")
          })
          expect(Buffer.from(json.file_data, "base64").equals(data)).toBe(true)
          // Streamed in pieces: no piece is the whole body once the file is more than a piece.
          expect(Math.max(...first.map((p) => p.length))).toBeLessThanOrEqual(Math.max(64 * 1024 + 4, 4096))
        }))
    }
  }

  it.live("property: any field strings, any JSON values, any bytes — valid JSON with exact length", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.record({
            mimetype: fc.string({ unit: "binary" }),
            fullPath: fc.string({ unit: "binary" }),
            filename: fc.string({ unit: fc.constantFrom("a", "\"", "\\", "\n", "\u0000", "\ud800", "\udc00", "é", "😀", "\u2028") }),
            hostname: fc.string({ unit: "binary" }),
            key: fc.string({ unit: "binary" }),
            uploader: fc.option(fc.string({ unit: "binary" }))
          }),
          fc.uint8Array({ maxLength: 3000 }),
          fc.boolean(),
          async (strings, bytes, spool) => {
            const data = Buffer.from(bytes)
            const tricky = trickyFields(data)
            const fields = (d: Buffer): SubmissionFields => ({
              mimetype: strings.mimetype,
              fullPath: strings.fullPath,
              filename: strings.filename,
              timestamp: new Date(0),
              digests: digestsOf(d),
              dataOrigin: { ...tricky.dataOrigin, os: { ...tricky.dataOrigin.os, hostname: strings.hostname } },
              s3: { ...tricky.s3, key: strings.key, uploader_arn: strings.uploader }
            })
            const result = await Effect.runPromise(bodyOf(data, spool ? 100 : MiB, fields))
            const text = Buffer.concat(result.first)
            expect(text.length).toBe(result.contentLength)
            if (!spool) expect(Buffer.from(result.whole!).equals(text)).toBe(true)
            const json = JSON.parse(text.toString("utf8"))
            expect(Object.keys(json)).toEqual(fieldOrder)
            expect(json.mimetype).toBe(strings.mimetype)
            expect(json.full_path).toBe(strings.fullPath)
            expect(json.filename).toBe(strings.filename)
            expect(json.data_origin.os.hostname).toBe(strings.hostname)
            expect(json.s3.key).toBe(strings.key)
            expect(json.s3.uploader_arn).toBe(strings.uploader)
            expect(json.timestamp).toBe("1970-01-01T00:00:00Z")
            expect(json.file_data).toBe(data.toString("base64"))
          }
        ),
        { numRuns: 150 }
      )
    ))

  it("the app is aws-s3-lambda; timestamps are RFC 3339 UTC in whole seconds", () => {
    expect(App).toBe("aws-s3-lambda")
    expect(rfc3339(new Date("2026-05-23T16:00:00.999+02:00"))).toBe("2026-05-23T14:00:00Z")
    expect(rfc3339(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe("2026-01-02T03:04:05Z")
  })

  it.live("a spool removed before the send fails the stream with SpoolError", () =>
    Effect.gen(function*() {
      const data = randomBytes(5000)
      const body = yield* Effect.scoped(
        Effect.map(
          digestStream(Stream.make(data), { expectedBytes: data.length, inspectHead: () => Effect.void }),
          (scanned) => submissionBody(trickyFields(data), scanned.content)
        )
      )
      const error = yield* Effect.flip(Stream.runDrain(body.stream))
      expect(error).toBeInstanceOf(SpoolError)
    }).pipe(Effect.provide(Spool.test({ memoryLimit: 100 }))))
})

describe("Base64Encoder", () => {
  it("property: any bytes × any chunking equals Buffer#toString(\"base64\"), in pieces of at most 64 KiB", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200_000 }),
        fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 10 }).filter((a) => a.some((n) => n > 0)),
        (bytes, cut) => {
          const encoder = new Base64Encoder()
          const out: Array<Uint8Array> = []
          for (let offset = 0, i = 0; offset < bytes.length; i++) {
            const size = cut[i % cut.length]!
            encoder.push(bytes.subarray(offset, offset + size), out)
            offset += size
          }
          encoder.end(out)
          const text = Buffer.concat(out).toString("latin1")
          expect(text).toBe(Buffer.from(bytes).toString("base64"))
          expect(text.length).toBe(base64Length(bytes.length))
          for (const piece of out) expect(piece.length).toBeLessThanOrEqual(64 * 1024 + 4)
        }
      ),
      { numRuns: 200 }
    )
  })
})

describe("filenameOf", () => {
  it("is the key's last segment", () => {
    expect(filenameOf("a/b/c.pdf")).toBe("c.pdf")
    expect(filenameOf("c.pdf")).toBe("c.pdf")
    expect(filenameOf("a/b/")).toBe("b")
  })
})
