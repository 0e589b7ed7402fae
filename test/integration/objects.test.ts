/**
 * What the scanner does with the object an event points at, against the S3 emulator's real
 * answers: versions (the event's version is scanned, not the newest), deleted objects, objects
 * highvolt already knows, and every skip with its reason — oversize, archived, SSE-C,
 * disallowed MIME type — none of which reaches highvolt-server.
 */
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { defaults, demoConfig, demoMimeTypes } from "../../emulators/Fixtures.js"
import { cloudTrail, notification, notificationEventId, type ObjectRef, s3EventBridge, sqsBatch, sqsMessage } from "./events.js"
import {
  type Container,
  getObjectCalls,
  highvoltRequests,
  md5,
  pdf,
  sha256,
  useStack,
  submissionsOf
} from "./helpers.js"

const MiB = 1024 * 1024
const maxFileSize = MiB

const local = useStack({
  stack: { config: (url) => ({ ...demoConfig(url, defaults.highvoltPat), core: { mime_types: demoMimeTypes, max_file_size: maxFileSize } }) }
})
let app: Container
let own: string
let m0: string
let r0: string
let r1: string

const run = <A>(effect: Effect.Effect<A>) => Effect.runPromise(effect)

/** A PDF of exactly `size` bytes. */
const pdfOfSize = (label: string, size: number) => {
  const head = pdf(label)
  return Buffer.concat([head, Buffer.alloc(size - head.length, 0x20)])
}

/** An ELF executable header (a type no allow-list should hold) followed by code-ish bytes. */
const elf = () => {
  const bytes = Buffer.alloc(4096, 0x90)
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0]).copy(bytes)
  bytes.writeUInt32LE(Math.floor(Math.random() * 2 ** 32), 64)
  return bytes
}

const sqlite = () => Buffer.concat([Buffer.from("SQLite format 3\u0000", "latin1"), Buffer.alloc(4096 - 16, 1), Buffer.from(String(Math.random()))])

beforeAll(async () => {
  own = local.stack.accounts.own
  m0 = local.stack.accounts.members[0]!
  ;[r0, r1] = local.stack.regions as [string, string]
  app = local.container()
})

describe("versions", () => {
  it("an object overwritten after its upload is scanned at the event's version, not the newest, in every shape", async () => {
    await run(local.stack.createBucket({ name: "it-versioned-member", account: m0, region: r1, versioned: true }))
    await run(local.stack.createBucket({ name: "it-versioned-own", account: own, region: r0, versioned: true }))
    const cases = [
      { shape: "cloudtrail", bucket: "it-versioned-member", account: m0, region: r1, build: (o: ObjectRef) => cloudTrail(o) },
      { shape: "s3-eventbridge", bucket: "it-versioned-member", account: m0, region: r1, build: (o: ObjectRef) => s3EventBridge(o) },
      { shape: "notification", bucket: "it-versioned-own", account: own, region: r0, build: (o: ObjectRef) => notification([o]) }
    ] as const
    for (const c of cases) {
      const key = `versions/${c.shape} report v+1 ü.pdf`
      const first = pdf(`${c.shape} first`)
      const second = pdf(`${c.shape} second`)
      const v1 = await run(local.stack.putObject({ bucket: c.bucket, key, body: first }))
      const v2 = await run(local.stack.putObject({ bucket: c.bucket, key, body: second }))
      expect(v1.versionId).toBeDefined()
      expect(v2.versionId).not.toBe(v1.versionId)

      // The upload event of the first version arrives after the second upload.
      const object: ObjectRef = { account: c.account, region: c.region, bucket: c.bucket, key, versionId: v1.versionId, etag: `"${md5(first)}"` }
      const answer = await app.invoke(c.build(object))
      expect(answer.outcomes, c.shape).toMatchObject([{ outcome: "submitted", key }])
      expect(app.outcomes().at(-1)).toMatchObject({ outcome: "submitted", versionId: v1.versionId, sha256: sha256(first) })
      expect(getObjectCalls(local.stack, c.bucket, key).map((call) => [call.status, call.params["versionId"]])).toEqual([[200, v1.versionId]])
      expect(submissionsOf(local.stack, sha256(first)).map((s) => (s.fields["s3"] as any).version_id)).toEqual([v1.versionId])
      expect(submissionsOf(local.stack, sha256(second))).toHaveLength(0)

      // The second version's own event scans the second content.
      await app.invoke(c.build({ ...object, versionId: v2.versionId, etag: `"${md5(second)}"` }))
      expect(app.outcomes().at(-1)).toMatchObject({ outcome: "submitted", versionId: v2.versionId, sha256: sha256(second) })
      expect(submissionsOf(local.stack, sha256(second)).map((s) => (s.fields["s3"] as any).version_id)).toEqual([v2.versionId])
    }
  })

  it("deleted objects: skipped as not-found; in a versioned bucket the event's version stays readable behind the delete marker", async () => {
    const plainBucket = local.stack.bucketName(m0, r0)
    await run(local.stack.putObject({ bucket: plainBucket, key: "deleted/gone now.pdf", body: pdf("gone") }))
    await run(local.stack.deleteObject(plainBucket, "deleted/gone now.pdf"))
    const gone = cloudTrail({ account: m0, region: r0, bucket: plainBucket, key: "deleted/gone now.pdf" })
    // Skipped, not failed: the single-event invocation succeeds, Lambda does not retry it.
    expect(await app.invoke(gone)).toMatchObject({ outcomes: [{ outcome: "skipped", key: "deleted/gone now.pdf" }] })
    expect(app.outcomesOf(gone.id)).toMatchObject([{ outcome: "skipped", reason: "not-found", account: m0, bucket: plainBucket }])

    const bucket = "it-versioned-member"
    const body = pdf("kept behind marker")
    const v1 = await run(local.stack.putObject({ bucket, key: "deleted/kept.pdf", body }))
    const { deleteMarker } = await run(local.stack.deleteObject(bucket, "deleted/kept.pdf"))
    expect(deleteMarker).toBeDefined()
    const withVersion = cloudTrail({ account: m0, region: r1, bucket, key: "deleted/kept.pdf", versionId: v1.versionId })
    const withoutVersion = s3EventBridge({ account: m0, region: r1, bucket, key: "deleted/kept.pdf" })
    const answer = await app.invoke(sqsBatch([sqsMessage(withVersion), sqsMessage(withoutVersion)]))
    expect(answer).toEqual({ batchItemFailures: [] })
    expect(app.outcomesOf(withVersion.id)).toMatchObject([{ outcome: "submitted", versionId: v1.versionId, sha256: sha256(body) }])
    expect(app.outcomesOf(withoutVersion.id)).toMatchObject([{ outcome: "skipped", reason: "not-found", key: "deleted/kept.pdf" }])
  })
})

describe("already analyzed", () => {
  it("query answers found: no submission; a byte-identical copy in another account is a duplicate too", async () => {
    const known = pdf("known to highvolt")
    local.stack.highvolt.markKnown(sha256(known))
    await run(local.stack.putObject({ bucket: local.stack.bucketName(m0, r0), key: "dup/known.pdf", body: known }))
    const submitsBefore = highvoltRequests(local.stack, "/submit").length
    const event = cloudTrail({ account: m0, region: r0, bucket: local.stack.bucketName(m0, r0), key: "dup/known.pdf" })
    expect(await app.invoke(event)).toMatchObject({ outcomes: [{ outcome: "duplicate" }] })
    const query = highvoltRequests(local.stack, "/query").find((r) => r.body?.includes(sha256(known)))
    expect(query && JSON.parse(query.body!)).toEqual({ sha256: sha256(known) })
    expect(query?.status).toBe(200)
    expect(highvoltRequests(local.stack, "/submit").length).toBe(submitsBefore)

    // Submitted from one account, then the same bytes uploaded in another.
    const shared = pdf("shared across accounts")
    await run(local.stack.putObject({ bucket: local.stack.bucketName(own, r1), key: "dup/original.pdf", body: shared }))
    await run(local.stack.putObject({ bucket: local.stack.bucketName(m0, r1), key: "dup/copy.pdf", body: shared }))
    await app.invoke(s3EventBridge({ account: own, region: r1, bucket: local.stack.bucketName(own, r1), key: "dup/original.pdf" }))
    await app.invoke(cloudTrail({ account: m0, region: r1, bucket: local.stack.bucketName(m0, r1), key: "dup/copy.pdf" }))
    expect(app.outcomes().slice(-2).map((o) => [o.outcome, o.key])).toEqual([["submitted", "dup/original.pdf"], ["duplicate", "dup/copy.pdf"]])
    expect(submissionsOf(local.stack, sha256(shared))).toHaveLength(1)
  })
})

describe("skipped objects, with their reasons, never sent to highvolt", () => {
  it("oversize, archived, SSE-C, disallowed MIME and deleted objects in one SQS batch; the size limit is inclusive", async () => {
    const bucket = local.stack.bucketName(own, r0)
    const objects: Array<{ key: string; body: Buffer; archived?: "GLACIER" | "DEEP_ARCHIVE"; sseC?: boolean; deleted?: boolean }> = [
      { key: "skip/oversize by one.pdf", body: pdfOfSize("oversize", maxFileSize + 1) },
      { key: "skip/glacier.pdf", body: pdf("glacier"), archived: "GLACIER" },
      { key: "skip/deep archive.pdf", body: pdf("deep"), archived: "DEEP_ARCHIVE" },
      { key: "skip/customer key.pdf", body: pdf("sse-c"), sseC: true },
      { key: "skip/program", body: elf() },
      { key: "skip/data.sqlite", body: sqlite() },
      { key: "skip/deleted.pdf", body: pdf("deleted"), deleted: true },
      { key: "skip/exactly max size.pdf", body: pdfOfSize("exact", maxFileSize) }
    ]
    for (const o of objects) {
      await run(local.stack.putObject({ bucket, key: o.key, body: o.body, ...(o.archived ? { archived: o.archived } : {}), ...(o.sseC ? { sseC: true } : {}) }))
      if (o.deleted) await run(local.stack.deleteObject(bucket, o.key))
    }
    const queriesBefore = highvoltRequests(local.stack, "/query").length
    const submitsBefore = highvoltRequests(local.stack, "/submit").length
    const event = notification(objects.map((o) => ({ account: own, region: r0, bucket, key: o.key })))
    const messages = event.Records.map((record) => sqsMessage({ Records: [record] }))
    const answer = await app.invoke(sqsBatch(messages))
    expect(answer).toEqual({ batchItemFailures: [] })

    const outcomeOf = (i: number) => app.outcomesOf(notificationEventId(event.Records[i]!))
    expect(outcomeOf(0)).toMatchObject([{ outcome: "skipped", reason: "size", bytes: maxFileSize + 1, detail: expect.stringContaining(String(maxFileSize)) }])
    expect(outcomeOf(1)).toMatchObject([{ outcome: "skipped", reason: "archived", key: "skip/glacier.pdf" }])
    expect(outcomeOf(2)).toMatchObject([{ outcome: "skipped", reason: "archived", key: "skip/deep archive.pdf" }])
    expect(outcomeOf(3)).toMatchObject([{ outcome: "skipped", reason: "sse-c", key: "skip/customer key.pdf" }])
    expect(outcomeOf(4)).toMatchObject([{ outcome: "skipped", reason: "mime", mimetype: expect.stringMatching(/^application\/x-(elf|executable)/) }])
    expect(outcomeOf(5)).toMatchObject([{ outcome: "skipped", reason: "mime", mimetype: expect.stringMatching(/sqlite/) }])
    expect(outcomeOf(6)).toMatchObject([{ outcome: "skipped", reason: "not-found", key: "skip/deleted.pdf" }])
    expect(outcomeOf(7)).toMatchObject([{ outcome: "submitted", bytes: maxFileSize }])

    // Only the object within the limits reached highvolt: one query, one submission.
    expect(highvoltRequests(local.stack, "/query").length - queriesBefore).toBe(1)
    expect(highvoltRequests(local.stack, "/submit").length - submitsBefore).toBe(1)
    expect(submissionsOf(local.stack, sha256(objects[7]!.body))).toMatchObject([{ accepted: true, fileData: { bytes: maxFileSize } }])
    // What S3 answered for each skip.
    const statusOf = (key: string) => getObjectCalls(local.stack, bucket, key).map((c) => [c.status, c.code])
    expect(statusOf("skip/glacier.pdf")).toEqual([[403, "InvalidObjectState"]])
    expect(statusOf("skip/customer key.pdf")).toEqual([[400, "InvalidRequest"]])
    expect(statusOf("skip/deleted.pdf")).toEqual([[404, "status 404"]])
  })

  it("a skip in a single-event invocation succeeds: nothing for Lambda to retry", async () => {
    const bucket = local.stack.bucketName(m0, r0)
    await run(local.stack.putObject({ bucket, key: "skip/single glacier.pdf", body: pdf("single"), archived: true }))
    const event = cloudTrail({ account: m0, region: r0, bucket, key: "skip/single glacier.pdf" })
    expect(await app.invoke(event)).toEqual({ outcomes: [{ outcome: "skipped", eventId: event.id, bucket, key: "skip/single glacier.pdf" }] })
  })
})

describe("S3 trouble", () => {
  it("SlowDown ×2, a reset connection and a truncated body are retried: one correct submission", async () => {
    const bucket = local.stack.bucketName(own, r1)
    const key = "trouble/flaky read.pdf"
    // Big enough to arrive in many chunks, so the truncation happens mid-body (and within max_file_size).
    const body = Buffer.concat([pdf("flaky"), Buffer.alloc(MiB - 4096, 0x41)])
    await run(local.stack.putObject({ bucket, key, body }))
    local.stack.s3.faults.inject({ kind: "slow-down" }, { bucket, key, times: 2 })
    local.stack.s3.faults.inject({ kind: "reset" }, { bucket, key })
    local.stack.s3.faults.inject({ kind: "truncate-body" }, { bucket, key })
    const event = cloudTrail({ account: own, region: r1, bucket, key })
    expect(await app.invoke(event)).toMatchObject({ outcomes: [{ outcome: "submitted" }] })
    expect(getObjectCalls(local.stack, bucket, key).map((c) => c.code ?? c.status)).toEqual(["SlowDown", "SlowDown", 0, 0, 200])
    // The digests are those of the whole object, not of a truncated read.
    expect(app.outcomesOf(event.id)).toMatchObject([{ outcome: "submitted", bytes: body.length, sha256: sha256(body) }])
    expect(submissionsOf(local.stack, sha256(body))).toMatchObject([{ accepted: true, fileData: { bytes: body.length } }])
  })

  it("an S3 that answers too slowly fails the event with DeadlineExceeded before Lambda's own timeout", async () => {
    const bucket = local.stack.bucketName(own, r0)
    const key = "trouble/slow.pdf"
    await run(local.stack.putObject({ bucket, key, body: pdf("slow") }))
    // S3 answers after 6 s; Lambda would kill the function after 4.5 s.
    local.stack.s3.faults.inject({ kind: "delay", ms: 6_000 }, { bucket, key })
    const event = cloudTrail({ account: own, region: r0, bucket, key })
    const started = Date.now()
    // 4.5 s left: the scanner keeps a 3 s margin, so it must give up after about 1.5 s.
    const error = await app.invokeFailing(event, 4_500)
    const elapsed = Date.now() - started
    expect(error.message).toMatch(/did not finish within its time budget/)
    expect(elapsed, "the invocation must end before Lambda's timeout (4.5 s)").toBeLessThan(3_500)
    expect(app.outcomesOf(event.id)).toMatchObject([{ outcome: "failed", key, error: { tag: "DeadlineExceeded" } }])
  })
})
