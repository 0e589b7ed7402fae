/**
 * The scanner's vocabulary: what an S3 upload event becomes once decoded at the edge,
 * and the outcomes an event can end in. Nothing downstream of `Events` sees `unknown`.
 */
import { Option, Schema } from "effect"

/** A 12-digit AWS account id. */
export const AccountId = Schema.String.pipe(
  Schema.pattern(/^\d{12}$/, { message: () => "an AWS account id is 12 digits" }),
  Schema.brand("AccountId")
)
export type AccountId = typeof AccountId.Type

/** An AWS region name such as `eu-west-1` or `us-gov-west-1`. */
export const Region = Schema.String.pipe(
  Schema.pattern(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: () => "not an AWS region name" }),
  Schema.brand("Region")
)
export type Region = typeof Region.Type

/** An S3 bucket name (legacy names allowed: no further validation than S3's own limits). */
export const BucketName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9._-]{1,255}$/, { message: () => "not an S3 bucket name" }),
  Schema.brand("BucketName")
)
export type BucketName = typeof BucketName.Type

/** Lower-case hex digests, as highvolt-server expects them. */
export const Sha256 = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/), Schema.brand("Sha256"))
export type Sha256 = typeof Sha256.Type
export const Sha1 = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{40}$/), Schema.brand("Sha1"))
export type Sha1 = typeof Sha1.Type
export const Md5 = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{32}$/), Schema.brand("Md5"))
export type Md5 = typeof Md5.Type

/** The three digests of one object and its length in bytes. */
export interface Digests {
  readonly sha256: Sha256
  readonly sha1: Sha1
  readonly md5: Md5
  readonly bytes: number
}

/**
 * An object key as the event spelled it. Notifications form-URL-encode keys and CloudTrail
 * may or may not: `primary` is the most likely true name, `alternate` the other reading,
 * tried once when `primary` is not found.
 */
export class ObjectKey extends Schema.Class<ObjectKey>("ObjectKey")({
  primary: Schema.NonEmptyString,
  alternate: Schema.OptionFromSelf(Schema.NonEmptyString)
}) {
  /** A key that has exactly one reading. */
  static exact(key: string): ObjectKey {
    return new ObjectKey({ primary: key, alternate: Option.none() })
  }
}

/** Which input shape an event arrived in (or that the object was listed by a direct backfill). */
export const EventShape = Schema.Literal(
  "cloudtrail",
  "s3-eventbridge",
  "s3-notification",
  "s3-batch-operations",
  /** Not an event: an object listed by `highvolt-s3 backfill --direct`. */
  "backfill"
)
export type EventShape = typeof EventShape.Type

/** One object creation to scan: everything the per-event program needs, already validated. */
export class ObjectCreated extends Schema.TaggedClass<ObjectCreated>()("ObjectCreated", {
  /** CloudTrail `eventID`, EventBridge `id`, or the notification's request id + sequencer. */
  eventId: Schema.String,
  shape: EventShape,
  /** `PutObject`, `CompleteMultipartUpload`, `ObjectCreated:Put`, … as the event named it. */
  eventName: Schema.String,
  eventTime: Schema.OptionFromSelf(Schema.String),
  /** The account that owns the bucket (whose role we assume). */
  account: AccountId,
  region: Region,
  bucket: BucketName,
  key: ObjectKey,
  versionId: Schema.OptionFromSelf(Schema.String),
  size: Schema.OptionFromSelf(Schema.Number),
  etag: Schema.OptionFromSelf(Schema.String),
  /** ARN (CloudTrail) or principal id (notifications) of who wrote the object. */
  uploader: Schema.OptionFromSelf(Schema.String),
  sourceIp: Schema.OptionFromSelf(Schema.String)
}) {}

/** Why an event ended without a submission although nothing went wrong. */
export const SkipReason = Schema.Literal(
  "mime",
  "size",
  "archived",
  "sse-c",
  "not-found",
  "not-object-created",
  "failed-call",
  "duplicate-delivery"
)
export type SkipReason = typeof SkipReason.Type

/** The reasons an event can be skipped at decoding time, before any AWS call. */
export const IgnoreReason = Schema.Literal("not-object-created", "failed-call", "duplicate-delivery")
export type IgnoreReason = typeof IgnoreReason.Type

/**
 * An event that decodes fine but must not be scanned (a failed call, a second CloudTrail
 * copy, a non-creating call). Carries whatever location the event gave, for the outcome log.
 */
export class Ignored extends Schema.TaggedClass<Ignored>()("Ignored", {
  eventId: Schema.String,
  reason: IgnoreReason,
  /** Human-readable detail, e.g. `errorCode AccessDenied` or `eventName GetObject`. */
  detail: Schema.String,
  account: Schema.OptionFromSelf(Schema.String),
  region: Schema.OptionFromSelf(Schema.String),
  bucket: Schema.OptionFromSelf(Schema.String),
  key: Schema.OptionFromSelf(Schema.String)
}) {}

/** What one decoded event (or one record of a notification) asks of the scanner. */
export type EventItem = ObjectCreated | Ignored
