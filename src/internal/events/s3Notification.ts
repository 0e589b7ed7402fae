/**
 * Classic S3 event notifications (`{"Records":[…]}` sent straight to Lambda, or to SQS/SNS),
 * and the `s3:TestEvent` S3 sends once when such a notification is configured.
 */
import { Effect, Option, Schema } from "effect"
import { BucketName, Ignored, ObjectCreated, Region } from "../../Domain.js"
import { notificationKey, WireKey } from "./keys.js"
import { decodeOnly, EventItemType, OwnAccount } from "./schema.js"

const NotificationRecordWire = Schema.Struct({
  eventSource: Schema.Literal("aws:s3"),
  eventName: Schema.String,
  eventTime: Schema.optional(Schema.String),
  awsRegion: Region,
  userIdentity: Schema.optional(Schema.Struct({ principalId: Schema.optional(Schema.String) })),
  requestParameters: Schema.optional(Schema.Struct({ sourceIPAddress: Schema.optional(Schema.String) })),
  /** Only names the event: a record without it is still scanned (or skipped) on its merits. */
  responseElements: Schema.optional(Schema.Struct({ "x-amz-request-id": Schema.optional(Schema.String) })),
  s3: Schema.Struct({
    bucket: Schema.Struct({ name: BucketName }),
    object: Schema.Struct({
      key: WireKey,
      size: Schema.optional(Schema.NonNegative),
      eTag: Schema.optional(Schema.String),
      versionId: Schema.optional(Schema.String),
      /** Orders the events of one key; with the request id it names the event. */
      sequencer: Schema.optional(Schema.String)
    })
  })
})

/** One record of a classic notification; its bucket is taken to be in the Lambda's own account (see `OwnAccount`). */
export const NotificationRecord = decodeOnly(
  NotificationRecordWire,
  EventItemType,
  (record) =>
    Effect.map(OwnAccount, (ownAccount) => {
      const { bucket, object } = record.s3
      const eventId = [record.responseElements?.["x-amz-request-id"], object.sequencer].filter((part) => part !== undefined && part !== "").join("/") ||
        `${bucket.name}/${object.key}`
      const key = notificationKey(object.key)
      if (!record.eventName.startsWith("ObjectCreated:")) {
        return new Ignored({
          eventId,
          reason: "not-object-created",
          detail: `eventName ${record.eventName}`,
          account: Option.some(ownAccount),
          region: Option.some(record.awsRegion),
          bucket: Option.some(bucket.name),
          key: Option.some(key.primary)
        })
      }
      return new ObjectCreated({
        eventId,
        shape: "s3-notification",
        eventName: record.eventName,
        eventTime: Option.fromNullable(record.eventTime),
        account: ownAccount,
        region: record.awsRegion,
        bucket: bucket.name,
        key,
        versionId: Option.fromNullable(object.versionId),
        size: Option.fromNullable(object.size),
        etag: Option.fromNullable(object.eTag),
        uploader: Option.fromNullable(record.userIdentity?.principalId),
        sourceIp: Option.fromNullable(record.requestParameters?.sourceIPAddress)
      })
    })
)

/** The message S3 sends to check that a new notification target works; there is nothing to scan. */
export const TestEvent = decodeOnly(
  Schema.Struct({
    Event: Schema.Literal("s3:TestEvent"),
    RequestId: Schema.NonEmptyString,
    Bucket: Schema.optional(Schema.String)
  }),
  EventItemType,
  (test) =>
    Effect.succeed(
      new Ignored({
        eventId: test.RequestId,
        reason: "not-object-created",
        detail: test.Event,
        account: Option.none(),
        region: Option.none(),
        bucket: Option.fromNullable(test.Bucket),
        key: Option.none()
      })
    )
)
