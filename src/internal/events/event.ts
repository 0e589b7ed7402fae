/**
 * One event of any accepted shape, told apart by the field only that shape has: an EventBridge
 * envelope has `detail-type`, a notification or CloudTrail log file has `Records`, S3's test
 * message has `Event`, a bare CloudTrail record has `eventSource`, and SNS's envelope around any of
 * them (S3 → SNS → SQS without raw delivery) has `Type` and `Message`.
 */
import { ParseResult, Predicate, Schema } from "effect"
import { CloudTrailRecord } from "./cloudTrail.js"
import { EventBridgeEvent } from "./eventBridge.js"
import { describe } from "./issue.js"
import { RecordsEvent } from "./records.js"
import { TestEvent } from "./s3Notification.js"
import type { EventItem } from "../../Domain.js"
import { decodeOnly, EventItems, type OwnAccount } from "./schema.js"
import { isSnsMessage, SnsMessage, type SnsMessageJson } from "./sns.js"

// Annotated: the SNS envelope holds an `Event`, so its type cannot be inferred from itself.
export const Event: Schema.Schema<ReadonlyArray<EventItem>, unknown, OwnAccount> = decodeOnly(Schema.Unknown, EventItems, (input, options, ast) => {
  if (!Predicate.isRecord(input)) {
    return ParseResult.fail(new ParseResult.Type(ast, input, `expected an event object, got ${describe(input)}`))
  }
  if ("detail-type" in input) return ParseResult.decodeUnknown(EventBridgeEvent)(input, options)
  if ("Records" in input) return ParseResult.decodeUnknown(RecordsEvent)(input, options)
  if ("Event" in input) return ParseResult.map(ParseResult.decodeUnknown(TestEvent)(input, options), (item) => [item])
  if (isSnsMessage(input)) return ParseResult.decodeUnknown(FromSns)(input, options)
  if ("eventSource" in input) return ParseResult.map(ParseResult.decodeUnknown(CloudTrailRecord)(input, options), (item) => [item])
  return ParseResult.fail(
    new ParseResult.Type(
      ast,
      input,
      "not an S3 event: expected an EventBridge envelope (detail-type), Records, a CloudTrail record (eventSource), or an SNS notification (Type, Message)"
    )
  )
})

const FromSns: Schema.Schema<ReadonlyArray<EventItem>, SnsMessageJson, OwnAccount> = SnsMessage(Schema.suspend(() => Event))
