/**
 * CloudTrail S3 data events, whether a record on its own, one of a CloudTrail log file's
 * `Records`, or the `detail` of an EventBridge "AWS API Call via CloudTrail" envelope.
 *
 * Decoded in three steps so that only a successful object-creating S3 call has to carry all a
 * scan needs: a log file holds every service's records (DynamoDB's `requestParameters.key` is
 * an object), and failed or non-creating calls are skipped with whatever location they give.
 */
import { Either, Option, ParseResult, Schema, type SchemaAST } from "effect"
import { AccountId, BucketName, type EventItem, Ignored, type IgnoreReason, ObjectCreated, Region } from "../../Domain.js"
import { cloudTrailKey, WireKey } from "./keys.js"
import { decodeOnly, type Envelope, EventItemType, failAt } from "./schema.js"

const S3_SOURCE = "s3.amazonaws.com"
const CREATING_CALLS: ReadonlySet<string> = new Set(["PutObject", "CompleteMultipartUpload", "CopyObject", "PostObject"])

/** Any service's record: enough to tell an S3 call from the rest. */
const Call = Schema.Struct({
  eventSource: Schema.String,
  eventName: Schema.String,
  eventID: Schema.NonEmptyString,
  awsRegion: Schema.optional(Schema.String)
})

const resources = <A extends string, I>(accountId: Schema.Schema<A, I>) =>
  Schema.optional(Schema.Array(Schema.Struct({
    type: Schema.optional(Schema.String),
    /** Empty in the copy sent to a cross-account caller that was denied (CloudTrail redacts it). */
    accountId: Schema.optional(Schema.Union(Schema.Literal(""), accountId))
  })))

/** An S3 call, read for its outcome and, loosely, its location. */
const S3Call = Schema.Struct({
  ...Call.fields,
  errorCode: Schema.optional(Schema.String),
  recipientAccountId: Schema.optional(Schema.String),
  resources: resources(Schema.String),
  requestParameters: Schema.optional(Schema.NullOr(Schema.Struct({
    bucketName: Schema.optional(Schema.String),
    key: Schema.optional(Schema.String)
  })))
})

/** A successful object creation: everything the scan needs, validated. */
const S3Write = Schema.Struct({
  eventName: Schema.String,
  eventID: Schema.NonEmptyString,
  eventTime: Schema.optional(Schema.String),
  awsRegion: Schema.optional(Region),
  recipientAccountId: Schema.optional(AccountId),
  /** Present when CloudTrail delivered the same call to more than one account. */
  sharedEventID: Schema.optional(Schema.String),
  resources: resources(AccountId),
  requestParameters: Schema.Struct({ bucketName: BucketName, key: WireKey }),
  responseElements: Schema.optional(Schema.NullOr(Schema.Struct({
    "x-amz-version-id": Schema.optional(Schema.String),
    ETag: Schema.optional(Schema.String)
  }))),
  additionalEventData: Schema.optional(Schema.NullOr(Schema.Struct({
    bytesTransferredIn: Schema.optional(Schema.NonNegative)
  }))),
  userIdentity: Schema.optional(Schema.NullOr(Schema.Struct({
    arn: Schema.optional(Schema.String),
    principalId: Schema.optional(Schema.String)
  }))),
  sourceIPAddress: Schema.optional(Schema.String)
})

type Resources<A extends string> =
  | ReadonlyArray<{ readonly type?: string | undefined; readonly accountId?: A | "" | undefined }>
  | undefined

/** The bucket's account: the bucket resource's `accountId` when not redacted, else the recipient, else the envelope's. */
const ownerOf = <A extends string>(
  resources: Resources<A>,
  recipient: A | undefined,
  envelopeAccount: Option.Option<A>
): Option.Option<A> => {
  const bucketAccount = resources?.find((resource) => resource.type === "AWS::S3::Bucket")?.accountId
  if (bucketAccount !== undefined && bucketAccount !== "") return Option.some(bucketAccount)
  return recipient !== undefined ? Option.some(recipient) : envelopeAccount
}

/** Where a skipped call happened, as far as it says. */
interface Location {
  readonly account: Option.Option<string>
  readonly bucket: Option.Option<string>
  readonly key: Option.Option<string>
}
const nowhere: Location = { account: Option.none(), bucket: Option.none(), key: Option.none() }

/** Decodes one CloudTrail record (from an envelope's `detail` when `envelope` is given) into its item. */
export const decodeCloudTrail = (
  raw: unknown,
  envelope: Option.Option<Envelope>,
  options: SchemaAST.ParseOptions
): Either.Either<EventItem, ParseResult.ParseIssue> =>
  Either.gen(function*() {
    const call = yield* ParseResult.decodeUnknownEither(Call)(raw, options)
    const eventId = Option.match(envelope, { onNone: () => call.eventID, onSome: (e) => e.id })
    const region = Option.orElse(Option.fromNullable(call.awsRegion), () => Option.map(envelope, (e) => e.region))
    const skip = (reason: IgnoreReason, detail: string, where: Location = nowhere) =>
      new Ignored({ eventId, reason, detail, region, ...where })
    if (call.eventSource !== S3_SOURCE) return skip("not-object-created", `eventSource ${call.eventSource}`)

    const s3 = yield* ParseResult.decodeUnknownEither(S3Call)(raw, options)
    const where: Location = {
      account: ownerOf(s3.resources, s3.recipientAccountId, Option.map(envelope, (e) => e.account)),
      bucket: Option.fromNullable(s3.requestParameters?.bucketName),
      key: Option.fromNullable(s3.requestParameters?.key)
    }
    if (!CREATING_CALLS.has(s3.eventName)) return skip("not-object-created", `eventName ${s3.eventName}`, where)
    if (s3.errorCode !== undefined) return skip("failed-call", `errorCode ${s3.errorCode}`, where)

    const write = yield* ParseResult.decodeUnknownEither(S3Write)(raw, options)
    const account = ownerOf(write.resources, write.recipientAccountId, Option.map(envelope, (e) => e.account))
    if (Option.isNone(account)) {
      return yield* failAt("recipientAccountId", raw, S3Write.ast, "is missing, and no resource names the bucket's account")
    }
    if (
      write.sharedEventID !== undefined && write.recipientAccountId !== undefined &&
      write.recipientAccountId !== account.value
    ) {
      return skip(
        "duplicate-delivery",
        `sharedEventID ${write.sharedEventID}: copy for ${write.recipientAccountId}, the bucket owner ${account.value} gets its own`,
        where
      )
    }
    const writeRegion = Option.orElse(Option.fromNullable(write.awsRegion), () => Option.map(envelope, (e) => e.region))
    if (Option.isNone(writeRegion)) return yield* failAt("awsRegion", raw, S3Write.ast, "is missing")

    return new ObjectCreated({
      eventId,
      shape: "cloudtrail",
      eventName: write.eventName,
      eventTime: Option.orElse(Option.fromNullable(write.eventTime), () => Option.flatMap(envelope, (e) => e.time)),
      account: account.value,
      region: writeRegion.value,
      bucket: write.requestParameters.bucketName,
      key: cloudTrailKey(write.requestParameters.key),
      versionId: Option.fromNullable(write.responseElements?.["x-amz-version-id"]),
      etag: Option.fromNullable(write.responseElements?.ETag),
      // For the other calls it counts the request body (the part list, nothing for a copy), not the object.
      size: write.eventName === "PutObject"
        ? Option.fromNullable(write.additionalEventData?.bytesTransferredIn)
        : Option.none(),
      uploader: Option.fromNullable(write.userIdentity?.arn ?? write.userIdentity?.principalId),
      sourceIp: Option.fromNullable(write.sourceIPAddress)
    })
  })

/** A CloudTrail record with no envelope: a bare record or one of a log file's `Records`. */
export const CloudTrailRecord = decodeOnly(
  Schema.Unknown,
  EventItemType,
  (raw, options) => decodeCloudTrail(raw, Option.none(), options)
)
