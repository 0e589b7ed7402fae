/**
 * The EventBridge envelope: CloudTrail API calls (the primary path), S3's own events, and
 * anything else a rule lets through (skipped, never an error: a broad rule is not bad input).
 * A replayed archive event is the same envelope with a `replay-name`.
 */
import { Option, ParseResult, Schema } from "effect"
import { AccountId, Ignored, Region } from "../../Domain.js"
import { decodeCloudTrail } from "./cloudTrail.js"
import { decodeS3EventBridge } from "./s3EventBridge.js"
import { decodeOnly, type Envelope, EventItems } from "./schema.js"

const EnvelopeWire = Schema.Struct({
  id: Schema.NonEmptyString,
  "detail-type": Schema.String,
  source: Schema.String,
  account: AccountId,
  region: Region,
  time: Schema.optional(Schema.String),
  detail: Schema.Unknown
})

const CLOUDTRAIL_CALL = "AWS API Call via CloudTrail"

export const EventBridgeEvent = decodeOnly(EnvelopeWire, EventItems, (wire, options) => {
  const envelope: Envelope = {
    id: wire.id,
    account: wire.account,
    region: wire.region,
    time: Option.fromNullable(wire.time)
  }
  const inDetail = (issue: ParseResult.ParseIssue) => new ParseResult.Pointer("detail", wire, issue)
  if (wire["detail-type"] === CLOUDTRAIL_CALL) {
    return decodeCloudTrail(wire.detail, Option.some(envelope), options).pipe(
      ParseResult.mapBoth({ onFailure: inDetail, onSuccess: (item) => [item] })
    )
  }
  if (wire.source === "aws.s3") {
    return decodeS3EventBridge(envelope, wire["detail-type"], wire.detail, options).pipe(
      ParseResult.mapBoth({ onFailure: inDetail, onSuccess: (item) => [item] })
    )
  }
  return ParseResult.succeed([
    new Ignored({
      eventId: wire.id,
      reason: "not-object-created",
      detail: `detail-type ${wire["detail-type"]} from ${wire.source}`,
      account: Option.some(wire.account),
      region: Option.some(wire.region),
      bucket: Option.none(),
      key: Option.none()
    })
  ])
})
