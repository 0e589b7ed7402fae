/**
 * S3's own EventBridge events (`source` `aws.s3`, sent when the bucket has EventBridge
 * notifications on). Only "Object Created" is scanned; the others (deleted, restored, tagged,
 * …) are skipped with the location they name.
 */
import { Either, Option, ParseResult, Schema, type SchemaAST } from "effect"
import { BucketName, type EventItem, Ignored, ObjectCreated } from "../../Domain.js"
import { notificationKey, notifiedName, WireKey } from "./keys.js"
import type { Envelope } from "./schema.js"

const ObjectCreatedDetail = Schema.Struct({
  bucket: Schema.Struct({ name: BucketName }),
  object: Schema.Struct({
    key: WireKey,
    size: Schema.optional(Schema.NonNegative),
    etag: Schema.optional(Schema.String),
    "version-id": Schema.optional(Schema.String)
  }),
  /** The creating call: `PutObject`, `CompleteMultipartUpload`, `CopyObject`, `PostObject`. */
  reason: Schema.optional(Schema.String),
  requester: Schema.optional(Schema.String),
  "source-ip-address": Schema.optional(Schema.String)
})

/** The location any S3 event gives, read loosely: it only labels a skipped event. */
const AnyDetail = Schema.Struct({
  bucket: Schema.optional(Schema.Struct({ name: Schema.optional(Schema.String) })),
  object: Schema.optional(Schema.Struct({ key: Schema.optional(Schema.String) }))
})

const OBJECT_CREATED = "Object Created"

/** Decodes the `detail` of an `aws.s3` event of type `detailType`; issues are relative to `detail`. */
export const decodeS3EventBridge = (
  envelope: Envelope,
  detailType: string,
  detail: unknown,
  options: SchemaAST.ParseOptions
): Either.Either<EventItem, ParseResult.ParseIssue> => {
  if (detailType !== OBJECT_CREATED) {
    return ParseResult.decodeUnknownEither(AnyDetail)(detail, options).pipe(Either.map((any) =>
      new Ignored({
        eventId: envelope.id,
        reason: "not-object-created",
        detail: `detail-type ${detailType}`,
        account: Option.some(envelope.account),
        region: Option.some(envelope.region),
        bucket: Option.fromNullable(any.bucket?.name),
        key: Option.map(Option.fromNullable(any.object?.key), notifiedName)
      })
    ))
  }
  return ParseResult.decodeUnknownEither(ObjectCreatedDetail)(detail, options).pipe(Either.map((created) =>
    new ObjectCreated({
      eventId: envelope.id,
      shape: "s3-eventbridge",
      eventName: created.reason ?? OBJECT_CREATED,
      eventTime: envelope.time,
      // S3 sends these events to the bucket owner's default bus; forwarding keeps `account`.
      account: envelope.account,
      region: envelope.region,
      bucket: created.bucket.name,
      key: notificationKey(created.object.key),
      versionId: Option.fromNullable(created.object["version-id"]),
      size: Option.fromNullable(created.object.size),
      etag: Option.fromNullable(created.object.etag),
      uploader: Option.fromNullable(created.requester),
      sourceIp: Option.fromNullable(created["source-ip-address"])
    })
  ))
}
