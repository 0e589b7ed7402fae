import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Either, Exit, Option, Schema } from "effect"
import * as fc from "fast-check"
import { readdirSync, readFileSync } from "node:fs"
import { AccountId, type EventItem, type Ignored, type ObjectCreated } from "../src/Domain.js"
import { decodeEvent, decodeInvocation, decodeReplayItem, type InvalidEvent, invocationIdsOf } from "../src/Events.js"

const ctx = { ownAccount: Schema.decodeSync(AccountId)("999999999999") }

const FIXTURES = new URL("./fixtures/events/", import.meta.url)
const FIXTURE_NAMES = readdirSync(FIXTURES).filter((name) => name.endsWith(".json"))
/** A fresh copy of a fixture, free to edit (tests build variants of the samples this way, hence `any`). */
const fixture = (name: string): any => JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"))

const REF = {
  ctEnvelope: "01-cloudtrail-putobject-via-eventbridge.stepfunctions-doc.json",
  ctBare: "02-cloudtrail-putobject-detail.aws-cdk-sample.json",
  ctOutposts: "03-cloudtrail-putobject-detail-versioned-crossaccount.s3-outposts-doc.json",
  redaction: "04-cloudtrail-resources-fragment-accessdenied-redaction.cloudtrail-doc.json",
  s3Put: "05-s3-eventbridge-object-created-putobject.s3-doc.json",
  s3Multipart: "06-s3-eventbridge-object-created-completemultipartupload.gist.json",
  notification: "07-s3-notification-records-encoded-key.aws-lambda-go-testdata.json"
} as const

const TRICKY = "docs/a b+c%2B ü.pdf"
/** How S3 notifications spell TRICKY: form-URL-encoded, `/` kept. */
const TRICKY_ENCODED = "docs/a+b%2Bc%252B+%C3%BC.pdf"

/** Form-URL-encodes a key the way S3 notifications do (space as `+`, `/` left alone). */
const s3Encode = (key: string) => key.split("/").map((part) => encodeURIComponent(part).replaceAll("%20", "+")).join("/")

const single = (items: ReadonlyArray<EventItem>): EventItem => {
  expect(items).toHaveLength(1)
  return items[0]!
}
const asCreated = (item: EventItem): ObjectCreated => {
  expect(item._tag, item._tag === "Ignored" ? item.detail : "").toBe("ObjectCreated")
  return item as ObjectCreated
}
const asIgnored = (item: EventItem): Ignored => {
  expect(item._tag).toBe("Ignored")
  return item as Ignored
}
const created = (input: unknown) => decodeEvent(input, ctx).pipe(Effect.map((items) => asCreated(single(items))))
const ignored = (input: unknown) => decodeEvent(input, ctx).pipe(Effect.map((items) => asIgnored(single(items))))
const invalid = (
  input: unknown,
  decode: (input: unknown, context: typeof ctx) => Effect.Effect<unknown, InvalidEvent> = decodeEvent
) => Effect.flip(decode(input, ctx))

/** Everything an ObjectCreated says, with options flattened, to compare in one `toEqual`. */
const summary = (item: ObjectCreated) => ({
  eventId: item.eventId,
  shape: item.shape,
  eventName: item.eventName,
  eventTime: Option.getOrUndefined(item.eventTime),
  account: item.account,
  region: item.region,
  bucket: item.bucket,
  key: item.key.primary,
  alternateKey: Option.getOrUndefined(item.key.alternate),
  versionId: Option.getOrUndefined(item.versionId),
  size: Option.getOrUndefined(item.size),
  etag: Option.getOrUndefined(item.etag),
  uploader: Option.getOrUndefined(item.uploader),
  sourceIp: Option.getOrUndefined(item.sourceIp)
})
const skipSummary = (item: Ignored) => ({
  eventId: item.eventId,
  reason: item.reason,
  detail: item.detail,
  account: Option.getOrUndefined(item.account),
  region: Option.getOrUndefined(item.region),
  bucket: Option.getOrUndefined(item.bucket),
  key: Option.getOrUndefined(item.key)
})
const keyOf = (item: ObjectCreated) => [item.key.primary, Option.getOrUndefined(item.key.alternate)]

describe("decodeEvent: the reference events", () => {
  const creations: ReadonlyArray<readonly [string, string, Record<string, unknown>]> = [
    ["01 CloudTrail PutObject via EventBridge", REF.ctEnvelope, {
      eventId: "8d6f9246-b781-44f8-a026-f1c1ab2c61f0",
      shape: "cloudtrail",
      eventName: "PutObject",
      eventTime: "2018-09-12T00:25:10Z",
      account: "123456789012",
      region: "us-east-2",
      bucket: "username-sfn-tutorial",
      key: "test.png",
      alternateKey: undefined,
      versionId: undefined,
      size: undefined,
      etag: undefined,
      uploader: "arn:aws:iam::123456789012:user/username",
      sourceIp: "203.0.113.34"
    }],
    ["02 bare CloudTrail record: region from awsRegion, size from bytesTransferredIn", REF.ctBare, {
      eventId: "3074546e-1bfa-4973-8502-b1bb4d0bda1a",
      shape: "cloudtrail",
      eventName: "PutObject",
      eventTime: "2020-05-22T08:38:05Z",
      account: "123456789012",
      region: "eu-west-1",
      bucket: "BUCKETNAME",
      key: "OBJECTKEY",
      alternateKey: undefined,
      versionId: undefined,
      size: 197,
      etag: undefined,
      uploader: "arn:aws:sts::123456789012:assumed-role/SomeRole/user-SomeRole",
      sourceIp: "1.2.3.4"
    }],
    ["05 native Object Created (PutObject) with its version id", REF.s3Put, {
      eventId: "17793124-05d4-b198-2fde-7ededc63b103",
      shape: "s3-eventbridge",
      eventName: "PutObject",
      eventTime: "2021-11-12T00:00:00Z",
      account: "111122223333",
      region: "ca-central-1",
      bucket: "DOC-EXAMPLE-BUCKET1",
      key: "example-key",
      alternateKey: undefined,
      versionId: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
      size: 5,
      etag: "b1946ac92492d2347c6235b4d2611184",
      uploader: "123456789012",
      sourceIp: "1.2.3.4"
    }],
    ["06 native Object Created (CompleteMultipartUpload) with its version id", REF.s3Multipart, {
      eventId: "c9888434-815d-c6f4-9fc2-4dd7bdeccaaf",
      shape: "s3-eventbridge",
      eventName: "CompleteMultipartUpload",
      eventTime: "2023-08-09T13:09:50Z",
      account: "528068194338",
      region: "eu-west-1",
      bucket: "mxcd-magic-star-691-in",
      key: "raw/health-check/2023-08-08T14:03:40.532432.zip",
      alternateKey: undefined,
      versionId: "uhggCJ2_B6gU2JaXWXebnXFDstO0ID6G",
      size: 198524144,
      etag: "4af981f98d22a0b9979da24b259e5e42-12",
      uploader: "528068194338",
      sourceIp: "94.224.187.252"
    }],
    ["07 classic notification: decoded key, own account, request id + sequencer as event id", REF.notification, {
      eventId: "C3D13FE58DE4C810/Happy Sequencer",
      shape: "s3-notification",
      eventName: "ObjectCreated:Put",
      eventTime: "1970-01-01T00:00:00.123Z",
      account: "999999999999",
      region: "us-east-1",
      bucket: "sourcebucket",
      key: "Happy Face.jpg",
      alternateKey: "Happy%20Face.jpg",
      versionId: "version",
      size: 1024,
      etag: "d41d8cd98f00b204e9800998ecf8427e",
      uploader: "EXAMPLE",
      sourceIp: "127.0.0.1"
    }]
  ]

  it.effect.each(creations)("%s", ([, name, expected]) =>
    Effect.gen(function*() {
      expect(summary(yield* created(fixture(name)))).toEqual(expected)
    }))

  it.effect("03 S3 on Outposts is another event source: not-object-created", () =>
    Effect.gen(function*() {
      expect(skipSummary(yield* ignored(fixture(REF.ctOutposts)))).toEqual({
        eventId: "ee3b4e0c-ab12-459b-9998-0a5a6f2e4015",
        reason: "not-object-created",
        detail: "eventSource s3-outposts.amazonaws.com",
        account: undefined,
        region: "us-east-1",
        bucket: undefined,
        key: undefined
      })
    }))

  it.effect("03 read as if it were S3: versioned, and a duplicate delivery (recipient is not the owner)", () =>
    Effect.gen(function*() {
      const event = fixture(REF.ctOutposts)
      event.eventSource = "s3.amazonaws.com"
      event.requestParameters.key = event.requestParameters.Key
      event.resources[1].type = "AWS::S3::Bucket"
      expect(skipSummary(yield* ignored(event))).toMatchObject({
        reason: "duplicate-delivery",
        account: "222222222222",
        bucket: "DOC-EXAMPLE-BUCKET1",
        key: "path/upload.sh"
      })
      delete event.sharedEventID
      expect(summary(yield* created(event))).toMatchObject({ account: "222222222222", versionId: "001", size: 10 })
    }))

  it.effect("04 is a fragment, not an event", () =>
    Effect.gen(function*() {
      expect((yield* invalid(fixture(REF.redaction))).message).toMatch(/^event: not an S3 event/)
    }))
})

describe("decodeEvent: CloudTrail rules", () => {
  const creations: ReadonlyArray<readonly [string, string, Record<string, unknown>]> = [
    ["CompleteMultipartUpload: version id kept, bytesTransferredIn (the part list) is not the size", "cloudtrail-complete-multipart-upload.synthetic.json", {
      eventId: "0a1b2c3d-0000-4000-8000-00000000c0mu",
      eventName: "CompleteMultipartUpload",
      account: "111122223333",
      bucket: "uploads-eu",
      key: "videos/big.mp4",
      versionId: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
      size: undefined
    }],
    ["CopyObject is a creation; the copy's version id, not the source's", "cloudtrail-copy-object.synthetic.json", {
      eventName: "CopyObject",
      region: "us-west-2",
      bucket: "archive-us",
      key: "copies/report.pdf",
      versionId: "Copy.Version.1",
      size: undefined
    }],
    ["PostObject (bare record): etag from responseElements, uploader falls back to principalId", "cloudtrail-post-object.synthetic.json", {
      eventId: "6e9f5a1c-3333-4a2b-9c3d-0000000post1",
      eventName: "PostObject",
      account: "444455556666",
      region: "ap-southeast-2",
      key: "inbox/form upload.txt",
      etag: "\"9b2cf535f27731c974343645a3985328\"",
      uploader: "AIDAEXAMPLEPOSTUSER",
      size: undefined
    }]
  ]

  it.effect.each(creations)("%s", ([, name, expected]) =>
    Effect.gen(function*() {
      expect(summary(yield* created(fixture(name)))).toMatchObject(expected)
    }))

  it.effect("an event with errorCode is a failed call, never scanned", () =>
    Effect.gen(function*() {
      expect(skipSummary(yield* ignored(fixture("cloudtrail-putobject-access-denied.synthetic.json")))).toEqual({
        eventId: "0a1b2c3d-0000-4000-8000-00000denied",
        reason: "failed-call",
        detail: "errorCode AccessDenied",
        account: "222233334444",
        region: "eu-central-1",
        bucket: "amzn-s3-demo-bucket2",
        key: "incoming/x.bin"
      })
    }))

  it.effect("a failed call is skipped even when it lacks what a scan would need", () =>
    Effect.gen(function*() {
      const event = fixture("cloudtrail-complete-multipart-upload.synthetic.json")
      event.detail.errorCode = "NoSuchUpload"
      event.detail.requestParameters = null
      delete event.detail.awsRegion
      expect(skipSummary(yield* ignored(event))).toMatchObject({
        reason: "failed-call",
        detail: "errorCode NoSuchUpload",
        region: "eu-west-1",
        bucket: undefined
      })
    }))

  it.effect.each([
    ["GetObject", "eventName GetObject"],
    ["DeleteObject", "eventName DeleteObject"],
    ["CreateMultipartUpload", "eventName CreateMultipartUpload"],
    ["UploadPart", "eventName UploadPart"]
  ])("%s is not an object creation", ([eventName, detail]) =>
    Effect.gen(function*() {
      const event = fixture(REF.ctEnvelope)
      event.detail.eventName = eventName
      expect(skipSummary(yield* ignored(event))).toMatchObject({
        reason: "not-object-created",
        detail,
        bucket: "username-sfn-tutorial",
        key: "test.png"
      })
    }))

  it.effect("non-creating S3 calls need no key (DeleteObjects, ListObjects)", () =>
    Effect.gen(function*() {
      const event = fixture(REF.ctEnvelope)
      event.detail.eventName = "DeleteObjects"
      event.detail.requestParameters = { bucketName: "username-sfn-tutorial", delete: "" }
      expect((yield* ignored(event)).detail).toBe("eventName DeleteObjects")
    }))

  it.effect("another service's CloudTrail event through EventBridge is skipped by its eventSource", () =>
    Effect.gen(function*() {
      const event = fixture(REF.ctEnvelope)
      event.source = "aws.dynamodb"
      event.detail = { eventSource: "dynamodb.amazonaws.com", eventName: "PutItem", eventID: "d1", requestParameters: { key: { id: 1 } } }
      expect(skipSummary(yield* ignored(event))).toMatchObject({
        eventId: "8d6f9246-b781-44f8-a026-f1c1ab2c61f0",
        reason: "not-object-created",
        detail: "eventSource dynamodb.amazonaws.com"
      })
    }))

  it.effect("a CloudTrail log file: every record on its own, other services skipped", () =>
    Effect.gen(function*() {
      const items = yield* decodeEvent(fixture("cloudtrail-log-file.synthetic.json"), ctx)
      expect(items.map((item) => item._tag === "ObjectCreated" ? item.key.primary : item.detail)).toEqual([
        "in/data.json",
        "eventName GetObject",
        "eventSource dynamodb.amazonaws.com",
        "eventSource kms.amazonaws.com"
      ])
      expect(items.map((item) => item.eventId)).toEqual([
        "6e9f5a1c-8888-4a2b-9c3d-0000000logput",
        "6e9f5a1c-9999-4a2b-9c3d-0000000logget",
        "6e9f5a1c-aaaa-4a2b-9c3d-0000000logddb",
        "6e9f5a1c-bbbb-4a2b-9c3d-0000000logkms"
      ])
      expect(asCreated(items[0]!).size).toEqual(Option.some(2048))
    }))

  it.effect("an empty CloudTrail log file has no items", () =>
    Effect.gen(function*() {
      expect(yield* decodeEvent({ Records: [] }, ctx)).toEqual([])
    }))

  it.effect("the envelope id names the event; a bare record is named by its eventID", () =>
    Effect.gen(function*() {
      expect((yield* created(fixture(REF.ctEnvelope))).eventId).toBe("8d6f9246-b781-44f8-a026-f1c1ab2c61f0")
      expect((yield* created(fixture(REF.ctEnvelope).detail)).eventId).toBe("cdc4b7ed-e171-4cef-975a-ad829d4123e8")
    }))

  it.effect("region: awsRegion first, else the envelope's; a bare record without one is invalid", () =>
    Effect.gen(function*() {
      const event = fixture(REF.ctEnvelope)
      event.detail.awsRegion = "eu-north-1"
      expect((yield* created(event)).region).toBe("eu-north-1")
      delete event.detail.awsRegion
      expect((yield* created(event)).region).toBe("us-east-2")
      const bare = fixture(REF.ctBare)
      delete bare.awsRegion
      expect((yield* invalid(bare)).message).toBe("awsRegion: is missing")
    }))

  it.effect("eventTime: the record's, else the envelope's", () =>
    Effect.gen(function*() {
      const event = fixture("cloudtrail-copy-object.synthetic.json")
      expect((yield* created(event)).eventTime).toEqual(Option.some("2024-03-05T10:15:29Z"))
      delete event.detail.eventTime
      expect((yield* created(event)).eventTime).toEqual(Option.some("2024-03-05T10:15:30Z"))
    }))
})

describe("decodeEvent: the bucket owner's account", () => {
  const redaction = fixture(REF.redaction)
  /** Sample 01 with the resources of fragment 04 and distinct recipient and envelope accounts. */
  const withResources = (resources: unknown) => {
    const event = fixture(REF.ctEnvelope)
    event.account = "333333333333"
    event.detail.recipientAccountId = "222222222222"
    event.detail.resources = resources
    return event
  }

  it.effect("the bucket resource's accountId when present (04 historic)", () =>
    Effect.gen(function*() {
      expect((yield* created(withResources(redaction.historic.resources))).account).toBe("123456789012")
    }))

  it.effect("a redacted (empty) accountId falls back to recipientAccountId (04 current)", () =>
    Effect.gen(function*() {
      expect((yield* created(withResources(redaction.current.resources))).account).toBe("222222222222")
    }))

  it.effect("then to the envelope's account", () =>
    Effect.gen(function*() {
      const event = withResources(redaction.current.resources)
      delete event.detail.recipientAccountId
      expect((yield* created(event)).account).toBe("333333333333")
      delete event.detail.resources
      expect((yield* created(event)).account).toBe("333333333333")
    }))

  it.effect("a bare record with no account anywhere is invalid", () =>
    Effect.gen(function*() {
      const bare = fixture(REF.ctBare)
      bare.resources = redaction.current.resources
      delete bare.recipientAccountId
      expect(yield* invalid(bare)).toMatchObject({
        message: "recipientAccountId: is missing, and no resource names the bucket's account",
        eventId: "3074546e-1bfa-4973-8502-b1bb4d0bda1a"
      })
    }))
})

describe("decodeEvent: one write delivered twice (sharedEventID)", () => {
  it.effect("the copy for the caller's account is a duplicate delivery", () =>
    Effect.gen(function*() {
      expect(skipSummary(yield* ignored(fixture("cloudtrail-shared-event-caller-copy.synthetic.json")))).toEqual({
        eventId: "0a1b2c3d-0000-4000-8000-0000shared01",
        reason: "duplicate-delivery",
        detail:
          "sharedEventID f4b0c7d2-7777-4e1f-8a9b-0000000shared: copy for 222222222222, the bucket owner 111111111111 gets its own",
        account: "111111111111",
        region: "us-east-1",
        bucket: "owner-bucket",
        key: "shared/data.csv"
      })
    }))

  it.effect("the bucket owner's copy is scanned, in the owner's account", () =>
    Effect.gen(function*() {
      expect(summary(yield* created(fixture("cloudtrail-shared-event-owner-copy.synthetic.json")))).toMatchObject({
        eventId: "0a1b2c3d-0000-4000-8000-0000shared02",
        account: "111111111111",
        versionId: "Shared.Version.1",
        uploader: "arn:aws:sts::222222222222:assumed-role/Writer/writer"
      })
    }))

  it.effect("without sharedEventID a record is scanned whoever received it", () =>
    Effect.gen(function*() {
      const event = fixture("cloudtrail-shared-event-caller-copy.synthetic.json")
      delete event.detail.sharedEventID
      expect((yield* created(event)).account).toBe("111111111111")
    }))
})

describe("decodeEvent: S3's own EventBridge events and classic notifications", () => {
  it.effect("Object Deleted and other S3 detail-types are skipped with their location", () =>
    Effect.gen(function*() {
      expect(skipSummary(yield* ignored(fixture("s3-eventbridge-object-deleted.synthetic.json")))).toEqual({
        eventId: "17793124-05d4-b198-2fde-0000000delete",
        reason: "not-object-created",
        detail: "detail-type Object Deleted",
        account: "123456789012",
        region: "eu-west-1",
        bucket: "tricky-bucket",
        key: "old file.txt"
      })
      const restored = fixture(REF.s3Put)
      restored["detail-type"] = "Object Restore Completed"
      expect((yield* ignored(restored)).detail).toBe("detail-type Object Restore Completed")
    }))

  it.effect("an Object Created event from another source is not S3's", () =>
    Effect.gen(function*() {
      const event = fixture(REF.s3Put)
      event.source = "custom.uploader"
      expect(skipSummary(yield* ignored(event))).toMatchObject({
        reason: "not-object-created",
        detail: "detail-type Object Created from custom.uploader",
        account: "111122223333"
      })
    }))

  it.effect("an event without reason is still an object creation", () =>
    Effect.gen(function*() {
      const event = fixture(REF.s3Put)
      delete event.detail.reason
      expect((yield* created(event)).eventName).toBe("Object Created")
    }))

  const skipped: ReadonlyArray<readonly [string, string, Record<string, unknown>]> = [
    ["ObjectRemoved notifications are skipped with the decoded key", "s3-notification-object-removed.synthetic.json", {
      eventId: "C3D13FE58DE4C810/0055AED6DCD90281E6",
      reason: "not-object-created",
      detail: "eventName ObjectRemoved:Delete",
      account: "999999999999",
      region: "us-east-1",
      bucket: "tricky-bucket",
      key: "gone away.txt"
    }],
    ["s3:TestEvent is skipped", "s3-test-event.s3-doc.json", {
      eventId: "5582815E1AEA5ADF",
      reason: "not-object-created",
      detail: "s3:TestEvent",
      account: undefined,
      region: undefined,
      bucket: "tricky-bucket",
      key: undefined
    }]
  ]

  it.effect.each(skipped)("%s", ([, name, expected]) =>
    Effect.gen(function*() {
      expect(skipSummary(yield* ignored(fixture(name)))).toEqual(expected)
    }))

  it.effect("a notification record without responseElements is still decoded, named by its location", () =>
    Effect.gen(function*() {
      const event = fixture("s3-notification-object-removed.synthetic.json")
      delete event.Records[0].responseElements
      delete event.Records[0].s3.object.sequencer
      expect(skipSummary(yield* ignored(event))).toMatchObject({ eventId: "tricky-bucket/gone+away.txt", reason: "not-object-created" })
    }))

  it.effect.each(["ObjectCreated:Put", "ObjectCreated:Post", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload"])(
    "%s is a creation",
    (eventName) =>
      Effect.gen(function*() {
        const event = fixture(REF.notification)
        event.Records[0].eventName = eventName
        expect((yield* created(event)).eventName).toBe(eventName)
      })
  )

  it.effect("every record of a notification becomes an item; no sequencer leaves the request id alone", () =>
    Effect.gen(function*() {
      const event = fixture(REF.notification)
      const second = structuredClone(event.Records[0])
      second.s3.object.key = "second.txt"
      delete second.s3.object.sequencer
      event.Records.push(second)
      const items = yield* decodeEvent(event, ctx)
      expect(items.map((item) => asCreated(item).key.primary)).toEqual(["Happy Face.jpg", "second.txt"])
      expect(items.map((item) => item.eventId)).toEqual(["C3D13FE58DE4C810/Happy Sequencer", "C3D13FE58DE4C810"])
    }))
})

describe("decodeEvent: keys", () => {
  it("S3's encoding of the awkward key is the one the fixtures use", () => {
    expect(s3Encode(TRICKY)).toBe(TRICKY_ENCODED)
  })

  it.effect("docs/a b+c%2B ü.pdf in every shape", () =>
    Effect.gen(function*() {
      expect(keyOf(yield* created(fixture("s3-notification-tricky-key.synthetic.json")))).toEqual([TRICKY, TRICKY_ENCODED])
      expect(keyOf(yield* created(fixture("s3-eventbridge-tricky-key.synthetic.json")))).toEqual([TRICKY, TRICKY_ENCODED])
      // CloudTrail: the raw key first; read as encoded it would mean another name.
      expect(keyOf(yield* created(fixture("cloudtrail-tricky-key-raw.synthetic.json")))).toEqual([TRICKY, "docs/a b c+ ü.pdf"])
      // Should CloudTrail encode after all, the true name is the alternate.
      expect(keyOf(yield* created(fixture("cloudtrail-tricky-key-encoded.synthetic.json")))).toEqual([TRICKY_ENCODED, TRICKY])
    }))

  const shapes = {
    notification: (wire: string) => {
      const event = fixture("s3-notification-tricky-key.synthetic.json")
      event.Records[0].s3.object.key = wire
      return event
    },
    eventBridge: (wire: string) => {
      const event = fixture("s3-eventbridge-tricky-key.synthetic.json")
      event.detail.object.key = wire
      return event
    },
    cloudTrail: (wire: string) => {
      const event = fixture("cloudtrail-tricky-key-raw.synthetic.json")
      event.detail.requestParameters.key = wire
      return event
    }
  }

  // [true name, its form-decoded reading when that is valid and differs]
  it.effect.each([
    [TRICKY, "docs/a b c+ ü.pdf"],
    ["a b", undefined],
    ["a+b", "a b"],
    ["100%", undefined],
    ["%", undefined],
    ["50%25 off", "50% off"],
    ["ü/日本語 ファイル.txt", undefined],
    ["emoji 😀.png", undefined],
    ["plain/key.txt", undefined]
  ] as const)("%j: notifications decode it, CloudTrail keeps it", ([name, formDecoded]) =>
    Effect.gen(function*() {
      const wire = s3Encode(name)
      const encodedAlternate = wire === name ? undefined : wire
      expect(keyOf(yield* created(shapes.notification(wire)))).toEqual([name, encodedAlternate])
      expect(keyOf(yield* created(shapes.eventBridge(wire)))).toEqual([name, encodedAlternate])
      expect(keyOf(yield* created(shapes.cloudTrail(name)))).toEqual([name, formDecoded])
      expect(keyOf(yield* created(shapes.cloudTrail(wire)))).toEqual([wire, encodedAlternate && name])
    }))

  it.effect.each(["100%.txt", "%zz", "a%E3%81", "%ED%A0%80"])("malformed escapes %j: the key is taken as is", (wire) =>
    Effect.gen(function*() {
      for (const shape of Object.values(shapes)) {
        expect(keyOf(yield* created(shape(wire)))).toEqual([wire, undefined])
      }
    }))

  it("any name S3 encodes decodes back to itself", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), (name) => {
        const wire = s3Encode(name)
        const [primary] = keyOf(Effect.runSync(created(shapes.notification(wire))))
        const [, alternate] = keyOf(Effect.runSync(created(shapes.cloudTrail(wire))))
        expect(primary).toBe(name)
        expect(alternate ?? wire).toBe(name)
      }),
      { numRuns: 300 }
    )
  })
})

/** Each message of a batch fixture as [last digit of its id, its items rendered, or its error]. */
const batchOutcomes = (name: string, render: (item: EventItem) => string) =>
  Effect.map(decodeInvocation(fixture(name), ctx), (invocation) => {
    if (invocation._tag !== "SqsBatch") return expect.fail("expected an SQS batch")
    return invocation.messages.map(({ items, messageId }) => [
      messageId.slice(-1),
      Either.match(items, {
        onLeft: (error) => `${error.eventId === messageId ? "invalid" : "wrong id"}: ${error.message}`,
        onRight: (items) => items.map(render).join()
      })
    ])
  })

describe("decodeInvocation", () => {
  it.effect("a single event", () =>
    Effect.gen(function*() {
      const invocation = yield* decodeInvocation(fixture(REF.ctEnvelope), ctx)
      expect(invocation._tag).toBe("Single")
      if (invocation._tag === "Single") expect(asCreated(single(invocation.items)).key.primary).toBe("test.png")
    }))

  it.effect("an S3 Batch Operations job: each task an ObjectCreated of the job's account and Region, its key URL-decoded", () =>
    Effect.gen(function*() {
      const invocation = yield* decodeInvocation(fixture("s3-batch-operations-job-v2.synthetic.json"), ctx)
      if (invocation._tag !== "BatchJob") return expect.fail("expected a Batch Operations job")
      expect(invocation.job).toMatchObject({ schemaVersion: "2.0", jobId: "f3cc4f60-61f6-4a2b-8a21-d07600c373ce" })
      const [task] = invocation.job.tasks
      const item = Either.getOrThrow(task!.scan)
      expect(item).toMatchObject({ eventId: "dGFza2lkZ29lc2hlcmUK", shape: "s3-batch-operations", account: "222222222222", region: "eu-west-1", bucket: "tricky-bucket" })
      expect(item.key.primary).toBe("docs/a b+c%20 ü.pdf")
      expect(item.versionId).toEqual(Option.none())
      expect(invocationIdsOf(fixture("s3-batch-operations-job-v2.synthetic.json"))).toEqual(["dGFza2lkZ29lc2hlcmUK"])
    }))

  it.effect("a Batch Operations envelope that is not one fails the invocation, naming the field", () =>
    Effect.gen(function*() {
      const job = fixture("s3-batch-operations-job-v2.synthetic.json")
      delete job.invocationId
      const error = yield* Effect.flip(decodeInvocation(job, ctx))
      expect(error.message).toBe("invocationId: is missing")
    }))

  it.effect("an SQS batch: every body decoded on its own, a bad body fails only its message", () =>
    Effect.gen(function*() {
      const outcomes = yield* batchOutcomes("sqs-batch.synthetic.json", (item) => item._tag === "ObjectCreated" ? item.key.primary : item.detail)
      expect(outcomes).toEqual([
        ["1", TRICKY],
        ["2", "example-key"],
        ["3", "invalid: body: is not valid JSON"],
        ["4", "s3:TestEvent"],
        ["5", "invalid: body.detail.requestParameters.key: is missing"]
      ])
    }))

  it.effect("a batch whose own structure is broken fails as a whole", () =>
    Effect.gen(function*() {
      const batch = fixture("sqs-batch.synthetic.json")
      delete batch.Records[1].messageId
      expect((yield* invalid(batch, decodeInvocation)).message).toBe("Records[1].messageId: is missing")
      batch.Records[1] = fixture(REF.notification).Records[0]
      expect((yield* invalid(batch, decodeInvocation)).message).toBe(
        "Records[1].eventSource: expected \"aws:sqs\", got \"aws:s3\""
      )
    }))

  it.effect("a body that is itself an SQS batch is not an event", () =>
    Effect.gen(function*() {
      const batch = fixture("sqs-batch.synthetic.json")
      batch.Records[0].body = JSON.stringify(fixture("sqs-batch.synthetic.json"))
      const invocation = yield* decodeInvocation(batch, ctx)
      if (invocation._tag !== "SqsBatch") return expect.fail("expected an SQS batch")
      const first = invocation.messages[0]!.items
      expect(Either.isLeft(first) && first.left.message).toBe(
        "body.Records[0].eventSource: is aws:sqs: an SQS batch is accepted only as the Lambda invocation itself"
      )
    }))

  it.effect("S3 → SNS → SQS: SNS's envelope unwrapped; its own confirmations skipped; a bad Message fails only its message, named", () =>
    Effect.gen(function*() {
      const outcomes = yield* batchOutcomes(
        "sqs-sns-envelope.synthetic.json",
        (item) => item._tag === "ObjectCreated" ? `${item.bucket}/${item.key.primary}` : `${item.reason} ${item.detail}`
      )
      expect(outcomes).toEqual([
        ["1", `tricky-bucket/${TRICKY}`],
        ["2", "not-object-created s3:TestEvent"],
        ["3", "not-object-created SNS SubscriptionConfirmation of arn:aws:sns:eu-west-1:123456789012:s3-object-created"],
        ["4", "invalid: body.Message: is not valid JSON"],
        ["5", "invalid: body.Message.Records[0].s3.object.key: is missing"]
      ])
    }))

  it.effect("an SNS envelope of an unknown Type, or without TopicArn, is an InvalidEvent naming the field", () =>
    Effect.gen(function*() {
      const envelope = JSON.parse(fixture("sqs-sns-envelope.synthetic.json").Records[0].body)
      expect((yield* invalid({ ...envelope, Type: "Notice" })).message).toMatch(/^Type: expected "Notification" or "SubscriptionConfirmation" or "UnsubscribeConfirmation", got "Notice"/)
      const { TopicArn: _, ...withoutTopic } = envelope
      expect((yield* invalid(withoutTopic)).message).toBe("TopicArn: is missing")
      expect(asCreated(single(yield* decodeEvent(envelope, ctx))).key.primary).toBe(TRICKY)
    }))

  it.effect("decodeEvent refuses an SQS batch", () =>
    Effect.gen(function*() {
      expect((yield* invalid(fixture("sqs-batch.synthetic.json"))).message).toMatch(/^Records\[0\]\.eventSource: is aws:sqs/)
    }))
})

describe("invocationIdsOf: what an invocation carries, before any decoding", () => {
  it("an SQS batch: its message ids, in order, a record without one named unknown", () => {
    const batch = fixture("sqs-batch.synthetic.json")
    const ids = batch.Records.map((r: { messageId: string }) => r.messageId)
    expect(invocationIdsOf(batch)).toEqual(ids)
    delete batch.Records[1].messageId
    expect(invocationIdsOf(batch)).toEqual([ids[0], "unknown", ...ids.slice(2)])
  })

  it("a single event: its own id; input without one: unknown", () => {
    const event = fixture(REF.ctEnvelope)
    expect(invocationIdsOf(event)).toEqual([event.id])
    expect(invocationIdsOf("not an event")).toEqual(["unknown"])
  })
})

describe("decodeReplayItem", () => {
  it.effect("an SNS envelope, alone or as the body of a printed SQS message", () =>
    Effect.gen(function*() {
      const body = fixture("sqs-sns-envelope.synthetic.json").Records[0].body
      for (const item of [JSON.parse(body), { MessageId: "m-1", ReceiptHandle: "r", Body: body }]) {
        expect(asCreated(single(yield* decodeReplayItem(item, ctx))).key.primary).toBe(TRICKY)
      }
    }))

  const multipartKey = "videos/big.mp4"

  it.effect("a Lambda on-failure destination record", () =>
    Effect.gen(function*() {
      const items = yield* decodeReplayItem(fixture("replay-on-failure.synthetic.json"), ctx)
      expect(asCreated(single(items)).key.primary).toBe(multipartKey)
    }))

  it.effect("an on-failure record delivered through EventBridge", () =>
    Effect.gen(function*() {
      const items = yield* decodeReplayItem(fixture("replay-on-failure-eventbridge.synthetic.json"), ctx)
      expect(asCreated(single(items)).eventId).toBe("0a1b2c3d-0000-4000-8000-00000000c0mu")
    }))

  it.effect("an SQS message as `aws sqs receive-message` prints it (here carrying an on-failure record)", () =>
    Effect.gen(function*() {
      const items = yield* decodeReplayItem(fixture("replay-sqs-receive-message.synthetic.json"), ctx)
      expect(asCreated(single(items)).key.primary).toBe(multipartKey)
    }))

  it.effect("an EventBridge archive replay (replay-name)", () =>
    Effect.gen(function*() {
      const items = yield* decodeReplayItem(fixture("replay-eventbridge-archive.synthetic.json"), ctx)
      expect(asCreated(single(items)).key.primary).toBe("test.png")
    }))

  it.effect("every live event decodes the same as a replay item", () =>
    Effect.gen(function*() {
      for (const name of FIXTURE_NAMES.filter((name) => !name.startsWith("replay-") && !name.startsWith("sqs-"))) {
        const live = yield* Effect.either(decodeEvent(fixture(name), ctx))
        const replayed = yield* Effect.either(decodeReplayItem(fixture(name), ctx))
        expect(replayed, name).toEqual(live)
      }
    }))

  it.effect("an SQS message as Lambda received it, and a whole SQS invocation", () =>
    Effect.gen(function*() {
      const batch = fixture("sqs-batch.synthetic.json")
      const items = yield* decodeReplayItem(batch.Records[1], ctx)
      expect(asCreated(single(items)).key.primary).toBe("example-key")
      // The live path fails bad messages one by one; a replay item is all or nothing.
      expect((yield* invalid(batch, decodeReplayItem)).message).toBe("Records[2].body: is not valid JSON")
      batch.Records.splice(2, 1)
      batch.Records.splice(3, 1)
      const all = yield* decodeReplayItem(batch, ctx)
      expect(all.map((item) => item.eventId)).toEqual([
        "C3D13FE58DE4C810/0055AED6DCD90281E5",
        "17793124-05d4-b198-2fde-7ededc63b103",
        "5582815E1AEA5ADF"
      ])
    }))

  it.effect("a wrapped event that is broken is reported at its path inside the wrapper", () =>
    Effect.gen(function*() {
      const message = fixture("replay-sqs-receive-message.synthetic.json")
      const record = JSON.parse(message.Body)
      delete record.requestPayload.detail.requestParameters.bucketName
      message.Body = JSON.stringify(record)
      expect(yield* invalid(message, decodeReplayItem)).toMatchObject({
        message: "Body.requestPayload.detail.requestParameters.bucketName: is missing",
        eventId: "22222222-aaaa-4bbb-8ccc-000000000001"
      })
      const onFailure = fixture("replay-on-failure-eventbridge.synthetic.json")
      onFailure.detail.requestPayload = []
      expect((yield* invalid(onFailure, decodeReplayItem)).message).toBe(
        "detail.requestPayload: expected an event object, got an array of 0"
      )
    }))
})

describe("bad input is an InvalidEvent naming the field", () => {
  const edit = (name: string, change: (event: any) => void) => () => {
    const event = fixture(name)
    change(event)
    return event
  }
  const cases: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ["an array", () => [fixture(REF.ctEnvelope)], "event: expected an event object, got an array of 1"],
    ["a number", () => 42, "event: expected an event object, got 42"],
    ["a string", () => "PutObject", "event: expected an event object, got \"PutObject\""],
    ["null", () => null, "event: expected an event object, got null"],
    ["an unknown object", () => ({ hello: "world" }), "event: not an S3 event: expected an EventBridge envelope (detail-type), Records, a CloudTrail record (eventSource), or an SNS notification (Type, Message)"],
    ["Records not a list", () => ({ Records: {} }), "Records: expected an array, got an object"],
    ["a record that is not an object", () => ({ Records: [7] }), "Records[0]: expected an object, got 7"],
    ["a missing bucket", edit(REF.ctEnvelope, (e) => delete e.detail.requestParameters.bucketName), "detail.requestParameters.bucketName: is missing"],
    ["a missing key", edit(REF.ctEnvelope, (e) => delete e.detail.requestParameters.key), "detail.requestParameters.key: is missing"],
    ["an empty key", edit(REF.ctEnvelope, (e) => e.detail.requestParameters.key = ""), "detail.requestParameters.key: expected a non empty string, got \"\""],
    ["an empty bucket", edit(REF.ctEnvelope, (e) => e.detail.requestParameters.bucketName = ""), "detail.requestParameters.bucketName: not an S3 bucket name, got \"\""],
    ["a bucket of the wrong type", edit(REF.ctEnvelope, (e) => e.detail.requestParameters.bucketName = 42), "detail.requestParameters.bucketName: expected a string, got 42"],
    ["no requestParameters", edit(REF.ctEnvelope, (e) => e.detail.requestParameters = null), "detail.requestParameters: expected an object, got null"],
    ["a detail that is a list", edit(REF.ctEnvelope, (e) => e.detail = []), "detail: expected an object, got an array of 0"],
    ["no detail", edit(REF.ctEnvelope, (e) => delete e.detail), "detail: expected an object, got nothing"],
    ["an empty envelope id", edit(REF.ctEnvelope, (e) => e.id = ""), "id: expected a non empty string, got \"\""],
    ["a short account", edit(REF.ctEnvelope, (e) => e.account = "12345"), "account: an AWS account id is 12 digits, got \"12345\""],
    ["a bad bucket accountId", edit(REF.ctEnvelope, (e) => e.detail.resources[1].accountId = "abc"), "detail.resources[1].accountId: an AWS account id is 12 digits, got \"abc\""],
    ["a bad region", edit(REF.ctBare, (e) => e.awsRegion = "Mars"), "awsRegion: not an AWS region name, got \"Mars\""],
    ["a bad version id", edit(REF.ctBare, (e) => e.responseElements = { "x-amz-version-id": 3 }), "responseElements[\"x-amz-version-id\"]: expected a string, got 3"],
    ["a negative size", edit(REF.s3Put, (e) => e.detail.object.size = -1), "detail.object.size: expected a non-negative number, got -1"],
    ["a notification without bucket", edit(REF.notification, (e) => delete e.Records[0].s3.bucket), "Records[0].s3.bucket: is missing"],
    ["a notification with a numeric request id", edit(REF.notification, (e) => e.Records[0].responseElements = { "x-amz-request-id": 7 }), "Records[0].responseElements[\"x-amz-request-id\"]: expected a string, got 7"],
    ["a wrong test event", edit("s3-test-event.s3-doc.json", (e) => e.Event = "s3:Other"), "Event: expected \"s3:TestEvent\", got \"s3:Other\""]
  ]
  it.effect.each(cases)("%s", ([, input, message]) =>
    Effect.gen(function*() {
      expect((yield* invalid(input())).message).toBe(message)
    }))

  it.effect("the error carries the event's own id when it has one", () =>
    Effect.gen(function*() {
      expect((yield* invalid(edit(REF.ctEnvelope, (e) => delete e.detail.requestParameters)())).eventId).toBe(
        "8d6f9246-b781-44f8-a026-f1c1ab2c61f0"
      )
      expect((yield* invalid({ id: "x".repeat(1000) })).eventId).toBeUndefined()
    }))
})

describe("10 MB events", () => {
  const TEN_MB = 10 * 1024 * 1024
  const huge = "x".repeat(TEN_MB)
  const timed = <A>(run: () => A): A => {
    const start = performance.now()
    const result = run()
    expect(performance.now() - start).toBeLessThan(2_000)
    return result
  }
  const failure = (input: unknown): InvalidEvent => {
    const result = timed(() => Effect.runSync(Effect.either(decodeEvent(input, ctx))))
    if (Either.isRight(result)) return expect.fail("expected an InvalidEvent")
    expect(result.left.message.length).toBeLessThan(200)
    return result.left
  }

  it("a 10 MB key is not an S3 key", () => {
    const event = fixture(REF.ctEnvelope)
    event.detail.requestParameters.key = huge
    expect(failure(event).message).toBe(
      `detail.requestParameters.key: an S3 key is at most 1024 bytes (3072 characters encoded), got a string of ${TEN_MB} characters`
    )
  })

  it("a 10 MB bucket name or event id is described, not echoed", () => {
    const event = fixture(REF.notification)
    event.Records[0].s3.bucket.name = huge
    expect(failure(event).message).toBe(`Records[0].s3.bucket.name: not an S3 bucket name, got a string of ${TEN_MB} characters`)
    expect(failure({ id: huge, "detail-type": "x" })).toMatchObject({
      message: "source: is missing"
    })
  })

  it("10 MB of records that are not records", () => {
    expect(failure({ Records: Array.from({ length: TEN_MB / 8 }, (_, i) => i) }).message).toBe(
      "Records[0]: expected an object, got 0"
    )
  })

  it("10 MB of fields we do not use do not stop a valid event", () => {
    const event = fixture(REF.ctEnvelope)
    event.detail.padding = huge
    event.detail.requestParameters.padding = Array.from({ length: 100_000 }, (_, i) => ({ i }))
    const items = timed(() => Effect.runSync(decodeEvent(event, ctx)))
    expect(asCreated(single(items)).key.primary).toBe("test.png")
  })

  it("a 10 MB SQS body fails only its message", () => {
    const batch = fixture("sqs-batch.synthetic.json")
    batch.Records[0].body = `{"Records": "${huge}`
    const invocation = timed(() => Effect.runSync(decodeInvocation(batch, ctx)))
    if (invocation._tag !== "SqsBatch") return expect.fail("expected an SQS batch")
    expect(invocation.messages.map(({ items }) => Either.isRight(items))).toEqual([false, true, false, true, false])
    const first = invocation.messages[0]!.items
    expect(Either.isLeft(first) && first.left.message).toBe("body: is not valid JSON")
  })
})

describe("no input makes decoding throw or die", () => {
  const decoders = { decodeEvent, decodeInvocation, decodeReplayItem }
  /** Succeeds, or fails with a short InvalidEvent; anything else (a throw, a defect) fails the property. */
  const wellBehaved = (input: unknown) => {
    for (const [name, decode] of Object.entries(decoders)) {
      const exit = Effect.runSyncExit(decode(input, ctx) as Effect.Effect<unknown, InvalidEvent>)
      if (Exit.isSuccess(exit)) continue
      const failure = Cause.failureOption(exit.cause)
      expect(Option.isSome(failure) && !Cause.isDie(exit.cause), `${name}: ${Cause.pretty(exit.cause)}`).toBe(true)
      if (Option.isSome(failure)) {
        expect(failure.value._tag).toBe("InvalidEvent")
        expect(failure.value.message.length).toBeLessThan(300)
      }
    }
  }

  it("arbitrary JSON", () => {
    fc.assert(fc.property(fc.jsonValue(), wellBehaved), { numRuns: 500 })
  })

  it("arbitrary JSON with the field that picks a shape", () => {
    const shaped = fc.record({
      marker: fc.constantFrom("detail-type", "Records", "Event", "eventSource", "requestPayload", "MessageId", "messageId"),
      value: fc.jsonValue(),
      rest: fc.dictionary(fc.string(), fc.jsonValue())
    }).map(({ marker, rest, value }) => ({ ...rest, [marker]: value }))
    fc.assert(fc.property(shaped, wellBehaved), { numRuns: 500 })
  })

  /** Every path into a JSON value, to replace or delete one part of a real event. */
  const pathsOf = (value: unknown, path: ReadonlyArray<string | number> = []): Array<ReadonlyArray<string | number>> =>
    value === null || typeof value !== "object"
      ? [path]
      : [path, ...Object.entries(value).flatMap(([key, inner]) => pathsOf(inner, [...path, Array.isArray(value) ? Number(key) : key]))]

  it("real events with one part replaced or removed", () => {
    const mutated = fc.constantFrom(...FIXTURE_NAMES).chain((name) => {
      const paths = pathsOf(fixture(name)).filter((path) => path.length > 0)
      return fc.tuple(fc.constant(name), fc.constantFrom(...paths), fc.option(fc.jsonValue(), { nil: undefined }))
    }).map(([name, path, replacement]) => {
      const event = fixture(name)
      const parent = path.slice(0, -1).reduce((inner, key) => inner[key], event)
      const last = path[path.length - 1]!
      if (replacement === undefined) delete parent[last]
      else parent[last] = replacement
      return event
    })
    fc.assert(fc.property(mutated, wellBehaved), { numRuns: 1000 })
  })
})
