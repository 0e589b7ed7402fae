/**
 * Every input shape, end to end through the production application layer, real AWS SDK v3
 * clients and real HTTP over loopback: CloudTrail via EventBridge (key raw and form-encoded),
 * S3's native "Object Created", classic notifications (`Records[]`) and SQS batches of all of
 * them, each with keys full of `+`, `%`, spaces and non-ASCII. Assertions are on what the
 * emulators received: which key S3 was asked for, and what highvolt-server recorded.
 */
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { emfDocument } from "../../src/Metrics.js"
import { cloudTrail, notification, notificationEventId, type ObjectRef, s3EventBridge, snsNotification, sqsBatch, sqsMessage } from "./events.js"
import {
  type Container,
  getObjectCalls,
  leakedSecrets,
  md5,
  nonLoopbackConnections,
  pdf,
  productFields,
  sha1,
  sha256,
  submissionsOf,
  useStack
} from "./helpers.js"

/** Keys that break naive encoders: `+` (a space when form-decoded), `%` (an escape or not), spaces, non-ASCII. */
const trickyKeys = [
  "docs/a b+c%2B ü.pdf",
  "plus+sign.pdf",
  "100% sure.pdf",
  "%41 looks like an escape.pdf",
  "double  space and trailing .pdf",
  "ünïcødé/文件 名 📄.pdf",
  "q/x+y=z&w;(1)'!*~.pdf"
]

const local = useStack()
let app: Container
let own: string
let m0: string
let m1: string
let r0: string
let r1: string

const run = <A>(effect: Effect.Effect<A>) => Effect.runPromise(effect)

/** Creates a bucket of its own for a test case and puts one unique PDF per tricky key in it. */
const seed = async (bucket: string, account: string, region: string) => {
  await run(local.stack.createBucket({ name: bucket, account, region }))
  return Promise.all(trickyKeys.map(async (key) => {
    const body = pdf(`${bucket}/${key}`)
    const put = await run(local.stack.putObject({ bucket, key, body, contentType: "application/pdf" }))
    const object: ObjectRef = { account, region, bucket, key, size: put.size, etag: `"${md5(body)}"` }
    return { object, body, hash: sha256(body) }
  }))
}

type Seeded = Awaited<ReturnType<typeof seed>>[number]

/** What every successfully scanned object must have left behind in S3's and highvolt's records. */
const expectScanned = ({ object, body, hash }: Seeded, eventName: string) => {
  const calls = getObjectCalls(local.stack, object.bucket, object.key)
  expect(calls.map((c) => c.status), `GetObject ${object.key}`).toEqual([200])
  expect(calls[0]!.account).toBe(object.account)
  const [submission, ...more] = submissionsOf(local.stack, hash)
  expect(more, `one submission for ${object.key}`).toHaveLength(0)
  expect(submission).toMatchObject({ accepted: true, problems: [], warnings: [] })
  expect(submission!.fileData).toMatchObject({ bytes: body.length, sha256: hash, sha1: sha1(body), md5: md5(body) })
  expect(submission!.fields).toMatchObject({
    mimetype: "application/pdf",
    full_path: `s3://${object.bucket}/${object.key}`,
    filename: object.key.split("/").pop(),
    s3: {
      account_id: object.account,
      region: object.region,
      bucket: object.bucket,
      key: object.key,
      size: body.length,
      event_name: eventName
    }
  })
}

beforeAll(async () => {
  own = local.stack.accounts.own
  ;[m0, m1] = local.stack.accounts.members as [string, string]
  ;[r0, r1] = local.stack.regions as [string, string]
  app = local.container()
})

describe("input shapes, with tricky keys, through the production layers", () => {
  it("CloudTrail via EventBridge, key logged raw: a member account's object is read under its exact name and submitted", async () => {
    const seeded = await seed("it-ct-raw", m0, r1)
    const events = seeded.map(({ object }) => cloudTrail(object))
    const answers = await Promise.all(events.map((event) => app.invoke(event)))
    answers.forEach((answer, i) =>
      expect(answer).toEqual({ outcomes: [{ outcome: "submitted", eventId: events[i]!.id, bucket: "it-ct-raw", key: trickyKeys[i] }] })
    )
    for (const [i, s] of seeded.entries()) {
      expect(app.outcomesOf(events[i]!.id)).toMatchObject([
        { outcome: "submitted", account: m0, region: r1, bucket: "it-ct-raw", key: s.object.key, sha256: s.hash, bytes: s.body.length, mimetype: "application/pdf" }
      ])
      expectScanned(s, "PutObject")
    }
  })

  it("CloudTrail via EventBridge, key form-encoded: the raw reading is not found, the decoded one is read", async () => {
    const seeded = await seed("it-ct-encoded", m1, r0)
    const events = seeded.map(({ object }) => cloudTrail(object, { keyAs: "encoded", eventName: "CompleteMultipartUpload" }))
    await Promise.all(events.map((event) => app.invoke(event)))
    for (const [i, s] of seeded.entries()) {
      expect(app.outcomesOf(events[i]!.id)).toMatchObject([{ outcome: "submitted", key: s.object.key }])
      // First the encoded text as a key (404), then its decoded reading.
      const encoded = events[i]!.detail.requestParameters.key
      expect(getObjectCalls(local.stack, "it-ct-encoded", encoded).map((c) => c.status)).toEqual([404])
      expectScanned(s, "CompleteMultipartUpload")
    }
  })

  it("S3 native EventBridge \"Object Created\": the form-encoded key is decoded", async () => {
    const seeded = await seed("it-s3-eventbridge", m1, r1)
    const events = seeded.map(({ object }) => s3EventBridge(object))
    await Promise.all(events.map((event) => app.invoke(event)))
    for (const [i, s] of seeded.entries()) {
      expect(app.outcomesOf(events[i]!.id)).toMatchObject([{ outcome: "submitted", account: m1, region: r1, key: s.object.key }])
      expectScanned(s, "PutObject")
    }
  })

  it("classic S3 notification: every record of one event is scanned, read with the execution role", async () => {
    const seeded = await seed("it-notification", own, r0)
    const event = notification(seeded.map((s) => s.object))
    const answer = await app.invoke(event)
    expect(answer.outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(trickyKeys.map(() => "submitted"))
    for (const [i, s] of seeded.entries()) {
      expect(app.outcomesOf(notificationEventId(event.Records[i]!))).toMatchObject([{ outcome: "submitted", account: own, key: s.object.key }])
      expect(getObjectCalls(local.stack, "it-notification", s.object.key)[0]!.accessKeyId).toBe(local.stack.ownCredentials.accessKeyId)
      expectScanned(s, "ObjectCreated:Put")
    }
  })

  it("SQS batch of every shape: only the messages that failed are reported in batchItemFailures", async () => {
    const [viaCloudTrail, viaEventBridge, viaNotification] = await Promise.all([
      seed("it-sqs-cloudtrail", m0, r0),
      seed("it-sqs-eventbridge", own, r1),
      seed("it-sqs-notification", own, r0)
    ])
    const good = [
      ...viaCloudTrail!.map((s) => sqsMessage(cloudTrail(s.object))),
      ...viaEventBridge!.map((s) => sqsMessage(s3EventBridge(s.object))),
      ...viaNotification!.map((s) => sqsMessage(notification([s.object])))
    ]
    // A body that is not JSON, and an object of a member account announced by a classic
    // notification (taken to be ours, so read with the execution role: AccessDenied).
    const broken = sqsMessage("{\"Records\": [ this is not json")
    await run(local.stack.putObject({ bucket: local.stack.bucketName(m1, r0), key: "not ours.pdf", body: pdf("not ours") }))
    const denied = sqsMessage(notification([{ account: m1, region: r0, bucket: local.stack.bucketName(m1, r0), key: "not ours.pdf" }]))
    const testEvent = sqsMessage({ Service: "Amazon S3", Event: "s3:TestEvent", Time: "2026-05-23T14:00:00.000Z", Bucket: "it-sqs-notification", RequestId: "5582815E1AEA5ADF", HostId: "x" })
    const messages = [...good.slice(0, 10), broken, ...good.slice(10), denied, testEvent]

    const answer = await app.invoke(sqsBatch(messages))
    expect([...answer.batchItemFailures].sort((a: any, b: any) => a.itemIdentifier.localeCompare(b.itemIdentifier))).toEqual(
      [broken, denied].map((m) => ({ itemIdentifier: m.messageId })).sort((a, b) => a.itemIdentifier.localeCompare(b.itemIdentifier))
    )
    viaCloudTrail!.forEach((s) => expectScanned(s, "PutObject"))
    viaEventBridge!.forEach((s) => expectScanned(s, "PutObject"))
    viaNotification!.forEach((s) => expectScanned(s, "ObjectCreated:Put"))
    const deniedCalls = getObjectCalls(local.stack, local.stack.bucketName(m1, r0), "not ours.pdf")
    expect(deniedCalls.map((c) => [c.status, c.code, c.account])).toEqual([[403, "AccessDenied", own]])
    expect(app.outcomes().filter((o) => o.key === "not ours.pdf")).toMatchObject([
      { outcome: "failed", error: { tag: "ObjectError", message: expect.stringContaining("AccessDenied") } }
    ])
    expect(app.outcomesOf(broken.messageId)).toMatchObject([{ outcome: "failed", error: { tag: "InvalidEvent" } }])
    expect(app.outcomesOf("5582815E1AEA5ADF")).toMatchObject([{ outcome: "skipped", reason: "not-object-created" }])
  })

  it("S3 → SNS → SQS without raw delivery: the S3 event inside SNS's envelope is read under its exact name and submitted", async () => {
    const seeded = (await seed("it-sns", own, r0))!
    const messages = seeded.map((s) => sqsMessage(snsNotification(notification([s.object]))))
    const answer = await app.invoke(sqsBatch(messages))
    expect(answer.batchItemFailures).toEqual([])
    seeded.forEach((s) => expectScanned(s, "ObjectCreated:Put"))
  })

  it("`a+b.pdf` and `a b.pdf` side by side: each shape reads the object its event names, never the other", async () => {
    const bucket = "it-ambiguous"
    await run(local.stack.createBucket({ name: bucket, account: own, region: r1 }))
    const plus = pdf("a+b")
    const space = pdf("a b")
    await run(local.stack.putObject({ bucket, key: "a+b.pdf", body: plus }))
    await run(local.stack.putObject({ bucket, key: "a b.pdf", body: space }))
    const ref = (key: string): ObjectRef => ({ account: own, region: r1, bucket, key })
    const cases = [
      { event: cloudTrail(ref("a+b.pdf")), key: "a+b.pdf", hash: sha256(plus) },
      { event: cloudTrail(ref("a b.pdf")), key: "a b.pdf", hash: sha256(space) },
      { event: s3EventBridge(ref("a+b.pdf")), key: "a+b.pdf", hash: sha256(plus) },
      { event: s3EventBridge(ref("a b.pdf")), key: "a b.pdf", hash: sha256(space) },
      { event: notification([ref("a+b.pdf")]), key: "a+b.pdf", hash: sha256(plus) },
      { event: notification([ref("a b.pdf")]), key: "a b.pdf", hash: sha256(space) }
    ]
    // One after the other: the first of each pair is submitted, the rest are duplicates of it.
    for (const c of cases) {
      const answer = await app.invoke(c.event)
      expect(answer.outcomes[0].key).toBe(c.key)
      expect(app.outcomes().at(-1)).toMatchObject({ key: c.key, sha256: c.hash })
    }
    expect(getObjectCalls(local.stack, bucket, "a+b.pdf").map((c) => c.status)).toEqual([200, 200, 200])
    expect(getObjectCalls(local.stack, bucket, "a b.pdf").map((c) => c.status)).toEqual([200, 200, 200])
  })

  it("CloudTrail calls: CopyObject and PostObject are scanned; a failed call or a non-creating call is skipped before any S3 call", async () => {
    const bucket = local.stack.bucketName(m0, r0)
    const copied = pdf("copied")
    const posted = pdf("posted")
    await run(local.stack.putObject({ bucket, key: "calls/copied.pdf", body: copied }))
    await run(local.stack.putObject({ bucket, key: "calls/posted.pdf", body: posted }))
    const object = (key: string): ObjectRef => ({ account: m0, region: r0, bucket, key })
    const copy = await app.invoke(cloudTrail(object("calls/copied.pdf"), { eventName: "CopyObject" }))
    const post = await app.invoke(cloudTrail(object("calls/posted.pdf"), { eventName: "PostObject" }))
    expect([copy.outcomes[0].outcome, post.outcomes[0].outcome]).toEqual(["submitted", "submitted"])
    expect(submissionsOf(local.stack, sha256(copied))[0]!.fields).toMatchObject({ s3: { event_name: "CopyObject" } })

    const failedCall = cloudTrail(object("calls/never-written.pdf"), { errorCode: "AccessDenied" })
    const getCall = { ...cloudTrail(object("calls/read.pdf")), detail: { ...cloudTrail(object("calls/read.pdf")).detail, eventName: "GetObject" } }
    expect(await app.invoke(failedCall)).toMatchObject({ outcomes: [{ outcome: "skipped" }] })
    expect(await app.invoke(getCall)).toMatchObject({ outcomes: [{ outcome: "skipped" }] })
    expect(app.outcomesOf(failedCall.id)).toMatchObject([{ outcome: "skipped", reason: "failed-call", key: "calls/never-written.pdf" }])
    expect(app.outcomesOf(getCall.id)).toMatchObject([{ outcome: "skipped", reason: "not-object-created" }])
    expect(getObjectCalls(local.stack, bucket, "calls/never-written.pdf")).toHaveLength(0)
    expect(getObjectCalls(local.stack, bucket, "calls/read.pdf")).toHaveLength(0)
  })

  it("a submission carries exactly the product page's fields plus `s3`, and passes the emulator's verification", async () => {
    const bucket = local.stack.bucketName(m1, r1)
    const body = pdf("fields")
    const put = await run(local.stack.putObject({ bucket, key: "reports/2026/Q2 report.pdf", body }))
    const event = cloudTrail({ account: m1, region: r1, bucket, key: "reports/2026/Q2 report.pdf", size: put.size, etag: `"${md5(body)}"` })
    const before = Date.now()
    await app.invoke(event)
    const [submission] = submissionsOf(local.stack, sha256(body))
    expect(submission).toBeDefined()
    // The emulator records every member but `file_data`, which it decoded and digested as it streamed in.
    expect(Object.keys(submission!.fields).sort()).toEqual([...productFields.filter((f) => f !== "file_data"), "s3"].sort())
    expect(submission!.fileData).toEqual({ base64Length: Buffer.from(body).toString("base64").length, bytes: body.length, sha256: sha256(body), sha1: sha1(body), md5: md5(body) })
    expect(submission).toMatchObject({ accepted: true, status: 200, problems: [], warnings: [] })
    expect(submission!.contentLength).toBe(submission!.bodyBytes)
    const fields = submission!.fields as Record<string, any>
    expect(fields).toMatchObject({
      mimetype: "application/pdf",
      sha256: sha256(body),
      sha1: sha1(body),
      md5: md5(body),
      app: "aws-s3-lambda",
      full_path: `s3://${bucket}/reports/2026/Q2 report.pdf`,
      filename: "Q2 report.pdf"
    })
    expect(fields["timestamp"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
    expect(Math.abs(Date.parse(fields["timestamp"]) - before)).toBeLessThan(60_000)
    expect(Object.keys(fields["data_origin"])).toEqual(expect.arrayContaining(["os", "cpu", "memory", "network"]))
    expect(fields["s3"]).toEqual({
      account_id: m1,
      region: r1,
      bucket,
      key: "reports/2026/Q2 report.pdf",
      version_id: null,
      etag: `"${md5(body)}"`,
      size: body.length,
      event_name: "PutObject",
      event_time: "2026-05-23T14:00:00Z",
      uploader_arn: `arn:aws:sts::${m1}:assumed-role/Uploader/uploader`,
      source_ip: "198.51.100.7"
    })
  })

  it("one cold start for all of it: one PAT fetch, one JSONAir login and GET-with-body config, one highvolt login, one GetCallerIdentity", () => {
    expect(local.stack.secretsManager.counters).toMatchObject({ getSecretValue: 1, notFound: 0, denied: 0 })
    expect(local.stack.secretsManager.calls[0]!.params).toMatchObject({ SecretId: local.stack.env.JSONAIR_SECRET_NAME })
    expect(local.stack.jsonair.counters).toMatchObject({ logins: 1, configs: 1, notFound: 0, rateLimited: 0 })
    const config = local.stack.jsonair.requests.find((r) => r.path.endsWith("/config"))!
    expect(config.method).toBe("GET")
    expect(JSON.parse(config.body!)).toEqual({ type: local.stack.profile.type, name: local.stack.profile.name, decode: true })
    expect(local.stack.highvolt.counters).toMatchObject({ logins: 1, loginsRejected: 0, rateLimited: 0, unauthorized: 0, rejected: 0 })
    expect(local.stack.sts.counters.getCallerIdentity).toBe(1)
  })

  it("outcome log lines and errors carry no secret, and nothing left loopback", () => {
    const lines = app.outcomes().map((o) => JSON.stringify(emfDocument(o, 0)))
    expect(lines.length).toBeGreaterThan(30)
    expect(leakedSecrets(local.stack, lines)).toEqual([])
    expect(nonLoopbackConnections()).toEqual([])
  })
})
