/**
 * A `Records` list: a classic S3 notification or a CloudTrail log file. Each record is read by
 * its own `eventSource`, so a list is never judged by its first element.
 */
import { ParseResult, Predicate, Schema } from "effect"
import { CloudTrailRecord } from "./cloudTrail.js"
import { NotificationRecord } from "./s3Notification.js"
import { decodeOnly, EventItems, EventItemType, failAt } from "./schema.js"

const RecordItem = decodeOnly(Schema.Unknown, EventItemType, (record, options, ast) => {
  const source = Predicate.hasProperty(record, "eventSource") ? record.eventSource : undefined
  if (source === "aws:s3") return ParseResult.decodeUnknown(NotificationRecord)(record, options)
  if (source === "aws:sqs") {
    return failAt("eventSource", record, ast, "is aws:sqs: an SQS batch is accepted only as the Lambda invocation itself")
  }
  return ParseResult.decodeUnknown(CloudTrailRecord)(record, options)
})

export const RecordsEvent = decodeOnly(
  Schema.Struct({ Records: Schema.Array(RecordItem) }),
  EventItems,
  (event) => ParseResult.succeed(event.Records)
)
