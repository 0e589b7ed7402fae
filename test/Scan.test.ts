import { describe, expect, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Option, Ref } from "effect"
import { type AccountId, type BucketName, Ignored, ObjectCreated, ObjectKey, type Region } from "../src/Domain.js"
import { Highvolt } from "../src/Highvolt.js"
import type { Outcome } from "../src/Outcome.js"
import { scanItem } from "../src/Scan.js"
import { Spool } from "../src/Spool.js"
import { maxSubmittableBytes } from "../src/Submission.js"
import type { FakeObject } from "./helpers/fakeS3.js"
import { closedAccount, makeScanLayer, memberAccount, ownAccount, testConfig } from "./helpers/scanLayer.js"
import { openSpoolFiles } from "./helpers/spoolFiles.js"

const pdf = (size: number) => {
  const bytes = Buffer.alloc(size, 0x41)
  bytes.write("%PDF-1.7\n", 0, "latin1")
  return bytes
}
const png = Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), Buffer.alloc(3 * 1024 * 1024, 7)])

const event = (key: string, overrides: Partial<ConstructorParameters<typeof ObjectCreated>[0]> = {}) =>
  new ObjectCreated({
    eventId: "evt-1",
    shape: "cloudtrail",
    eventName: "PutObject",
    eventTime: Option.some("2026-11-28T10:00:00Z"),
    account: memberAccount,
    region: "eu-west-1" as Region,
    bucket: "reports" as BucketName,
    key: ObjectKey.exact(key),
    versionId: Option.none(),
    size: Option.none(),
    etag: Option.none(),
    uploader: Option.some("arn:aws:iam::222222222222:user/alice"),
    sourceIp: Option.some("203.0.113.9"),
    ...overrides
  })

const scan = (objects: Record<string, FakeObject>, item: ObjectCreated | Ignored, options: Parameters<typeof makeScanLayer>[1] = {}) =>
  Effect.gen(function*() {
    const { layer, s3, highvolt } = yield* makeScanLayer(objects, options)
    const outcome = yield* scanItem(item).pipe(Effect.provide(layer))
    return { outcome, s3, submitted: (yield* Ref.get(highvolt.submitted)).map((b) => JSON.parse(b) as Record<string, unknown>) }
  })

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")

describe("Scan", () => {
  it.live("submits a new object with exactly the product page's fields plus s3", () =>
    Effect.gen(function*() {
      const bytes = pdf(5000)
      const { outcome, submitted } = yield* scan({ "reports/q3/report 1.pdf": { bytes, versionId: "v7" } }, event("q3/report 1.pdf"))
      expect(outcome).toMatchObject({ outcome: "submitted", bucket: "reports", key: "q3/report 1.pdf", versionId: "v7", bytes: 5000, mimetype: "application/pdf", sha256: sha256(bytes) })
      expect(submitted).toHaveLength(1)
      const body = submitted[0]!
      expect(Object.keys(body).sort()).toEqual(["app", "data_origin", "file_data", "filename", "full_path", "md5", "mimetype", "s3", "sha1", "sha256", "timestamp"])
      expect(body).toMatchObject({
        app: "aws-s3-lambda",
        mimetype: "application/pdf",
        full_path: "s3://reports/q3/report 1.pdf",
        filename: "report 1.pdf",
        sha256: sha256(bytes),
        sha1: createHash("sha1").update(bytes).digest("hex"),
        md5: createHash("md5").update(bytes).digest("hex"),
        s3: {
          account_id: memberAccount,
          region: "eu-west-1",
          bucket: "reports",
          key: "q3/report 1.pdf",
          version_id: "v7",
          size: 5000,
          event_name: "PutObject",
          event_time: "2026-11-28T10:00:00Z",
          uploader_arn: "arn:aws:iam::222222222222:user/alice",
          source_ip: "203.0.113.9"
        }
      })
      expect(Buffer.from(body["file_data"] as string, "base64").equals(bytes)).toBe(true)
      expect(body["timestamp"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    }))

  it.live("skips content highvolt-server already analyzed, without submitting", () =>
    Effect.gen(function*() {
      const bytes = pdf(100)
      const { outcome, submitted } = yield* scan({ "reports/a.pdf": { bytes } }, event("a.pdf"), { known: [sha256(bytes)] })
      expect(outcome).toMatchObject({ outcome: "duplicate", sha256: sha256(bytes) })
      expect(submitted).toHaveLength(0)
    }))

  it.live("two events with identical bytes at once: one submission, one duplicate", () =>
    Effect.gen(function*() {
      const bytes = pdf(200_000)
      const { layer, highvolt } = yield* makeScanLayer({ "reports/a.pdf": { bytes }, "copies/b.pdf": { bytes } })
      const outcomes = yield* Effect.all([
        scanItem(event("a.pdf")),
        scanItem(event("b.pdf", { bucket: "copies" as BucketName, account: ownAccount }))
      ], { concurrency: "unbounded" }).pipe(Effect.provide(layer))
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(["duplicate", "submitted"])
      expect(yield* Ref.get(highvolt.submitted)).toHaveLength(1)
    }))

  it.live("a disallowed type is skipped after reading only the first 1 MiB", () =>
    Effect.gen(function*() {
      const { outcome, s3, submitted } = yield* scan({ "reports/pic.png": { bytes: png } }, event("pic.png"))
      expect(outcome).toMatchObject({ outcome: "skipped", reason: "mime", mimetype: "image/png" })
      expect(s3.pulledChunks()).toBeLessThanOrEqual(17 + 2) // 1 MiB in 64 KiB chunks, plus what Node reads ahead
      expect(submitted).toHaveLength(0)
    }))

  it.live("an object over max_file_size is skipped without downloading it", () =>
    Effect.gen(function*() {
      const { outcome, s3 } = yield* scan({ "reports/big.pdf": { bytes: pdf(40 * 1024 * 1024) } }, event("big.pdf"))
      expect(outcome).toMatchObject({ outcome: "skipped", reason: "size", bytes: 40 * 1024 * 1024 })
      expect(s3.pulledChunks()).toBeLessThanOrEqual(2)
    }))

  it.live("an object whose base64 could never fit highvolt-server's 1 GiB body is skipped, unread", () =>
    Effect.gen(function*() {
      const big = maxSubmittableBytes + 1
      // A sparse stand-in: only its length matters, nothing of it may be read.
      const { outcome, s3 } = yield* scan(
        { "reports/huge.pdf": { bytes: { length: big, subarray: () => new Uint8Array(0) } as unknown as Uint8Array } },
        event("huge.pdf"),
        { config: testConfig(["application/pdf"], 2 * 1024 ** 3) }
      )
      expect(outcome).toMatchObject({ outcome: "skipped", reason: "size", bytes: big })
      if (outcome.outcome === "skipped") expect(outcome.detail).toContain("1 GiB body limit")
      expect(s3.pulledChunks()).toBeLessThanOrEqual(2)
    }))

  it.live("an empty object (a folder marker) is skipped: there is nothing to analyze", () =>
    Effect.gen(function*() {
      const { outcome, submitted } = yield* scan({ "reports/folder/": { bytes: new Uint8Array(0) } }, event("folder/"))
      expect(outcome).toMatchObject({ outcome: "skipped", reason: "size", detail: "empty object: nothing to analyze", bytes: 0 })
      expect(submitted).toHaveLength(0)
    }))

  it.live.each([
    [{ code: "InvalidObjectState", status: 403 }, "archived"],
    [{ code: "InvalidRequest", status: 400, message: "The object was stored using a form of Server Side Encryption." }, "sse-c"]
  ] as const)("S3 %j ends as skipped %s", ([error, reason]) =>
    Effect.gen(function*() {
      const { outcome } = yield* scan({ "reports/x.pdf": { bytes: pdf(10), error } }, event("x.pdf"))
      expect(outcome).toMatchObject({ outcome: "skipped", reason })
    }))

  it.live("an object deleted before we read it is skipped as not-found", () =>
    Effect.gen(function*() {
      const { outcome } = yield* scan({}, event("gone.pdf"))
      expect(outcome).toMatchObject({ outcome: "skipped", reason: "not-found", key: "gone.pdf" })
    }))

  it.live("access denied fails visibly, naming bucket, key and account", () =>
    Effect.gen(function*() {
      const { outcome } = yield* scan({ "reports/x.pdf": { bytes: pdf(10), error: { code: "AccessDenied", status: 403 } } }, event("x.pdf"))
      expect(outcome.outcome).toBe("failed")
      if (outcome.outcome !== "failed") return
      expect(outcome.error.tag).toBe("ObjectError")
      expect(outcome.error.message).toContain("s3://reports/x.pdf")
      expect(outcome.error.message).toContain(memberAccount)
    }))

  it.live("a role we may not assume fails without reading anything", () =>
    Effect.gen(function*() {
      const { outcome, s3 } = yield* scan({ "reports/x.pdf": { bytes: pdf(10) } }, event("x.pdf", { account: closedAccount as AccountId }))
      expect(outcome).toMatchObject({ outcome: "failed", error: { tag: "CredentialsError" } })
      expect(s3.gets).toHaveLength(0)
    }))

  it.live("a body cut short is re-read, and never submitted truncated", () =>
    Effect.gen(function*() {
      const { layer, s3, highvolt } = yield* makeScanLayer({ "reports/x.pdf": { bytes: pdf(300_000), truncateAt: 200_000 } })
      // Real I/O, so a real clock: the deadline bounds the retries.
      const outcome = yield* scanItem(event("x.pdf"), { deadline: Date.now() + 2_000 }).pipe(Effect.provide(layer))
      expect(outcome).toMatchObject({ outcome: "failed", error: { tag: "ObjectError" } })
      if (outcome.outcome === "failed") expect(outcome.error.message).toContain("body ended after 200000 of 300000 bytes")
      expect(s3.gets.length).toBeGreaterThan(1)
      expect(yield* Ref.get(highvolt.submitted)).toHaveLength(0)
    }))

  it.live("large objects are spooled to an unnamed file, closed afterwards", () =>
    Effect.gen(function*() {
      // A directory of its own: other test files spool into the shared one at the same time.
      const tmp = mkdtempSync(join(tmpdir(), "scan-test-"))
      const seen: Array<number> = []
      const watcher = setInterval(() => seen.push(openSpoolFiles().length), 5)
      const bytes = pdf(9 * 1024 * 1024 + 1)
      const { outcome, submitted } = yield* scan({ "reports/large.pdf": { bytes } }, event("large.pdf"), { spool: Spool.test({ directory: Option.some(tmp) }) }).pipe(
        Effect.ensuring(Effect.sync(() => clearInterval(watcher)))
      )
      const left = readdirSync(tmp)
      rmSync(tmp, { recursive: true, force: true })
      expect(outcome).toMatchObject({ outcome: "submitted", bytes: bytes.length })
      expect(Buffer.from(submitted[0]!["file_data"] as string, "base64").equals(bytes)).toBe(true)
      expect(Math.max(...seen)).toBeGreaterThan(0) // it did spool…
      expect(left).toEqual([]) // …under no name…
      expect(openSpoolFiles()).toEqual([]) // …and the file was closed with the layer
    }))

  it.live("an item the decoder ignored is recorded as skipped with its reason", () =>
    Effect.gen(function*() {
      const item = new Ignored({ eventId: "e2", reason: "failed-call", detail: "errorCode AccessDenied", account: Option.some(ownAccount), region: Option.none(), bucket: Option.some("b"), key: Option.some("k") })
      const { outcome, s3 } = yield* scan({}, item)
      expect(outcome).toMatchObject({ outcome: "skipped", reason: "failed-call", detail: "errorCode AccessDenied", bucket: "b", key: "k" })
      expect(s3.gets).toHaveLength(0)
    }))

  it.live("a stalled submit ends as failed with DeadlineExceeded before the deadline", () =>
    Effect.gen(function*() {
      const { layer } = yield* makeScanLayer({ "reports/a.pdf": { bytes: pdf(10) } })
      const stalled = Layer.succeed(Highvolt, { isKnown: () => Effect.succeed(false), submit: () => Effect.never })
      const started = Date.now()
      const outcome: Outcome = yield* scanItem(event("a.pdf"), { deadline: Date.now() + 300 }).pipe(Effect.provide(Layer.merge(layer, stalled)))
      expect(outcome).toMatchObject({ outcome: "failed", error: { tag: "DeadlineExceeded" } })
      expect(Date.now() - started).toBeLessThan(2_000)
    }))
})
