/**
 * One item of a replay file: whatever an operator can pull back out of AWS after the scanner
 * failed on an event. Besides every live shape, that is an SQS message (as `aws sqs
 * receive-message` prints it, or as Lambda received it) and a Lambda on-failure destination
 * record, on its own (as an SQS destination's message body holds it) or as the `detail` of an
 * EventBridge destination's event. Archived EventBridge events replay as the plain envelope
 * (with a `replay-name`), which `Event` already reads.
 */
import { ParseResult, Predicate, Schema } from "effect"
import { Event } from "./event.js"
import { JsonText } from "./json.js"
import { decodeOnly, EventItems } from "./schema.js"
import { isSnsMessage } from "./sns.js"
import { isSqsBatch } from "./sqs.js"

const LAMBDA_FAILURE = "Lambda Function Invocation Result - Failure"

/** What a Lambda on-failure destination receives: the failed event is `requestPayload`. */
const OnFailure = decodeOnly(
  Schema.Struct({ requestPayload: Event }),
  EventItems,
  (record) => ParseResult.succeed(record.requestPayload)
)
const OnFailureEvent = decodeOnly(
  Schema.Struct({ "detail-type": Schema.Literal(LAMBDA_FAILURE), detail: OnFailure }),
  EventItems,
  (event) => ParseResult.succeed(event.detail)
)

/** An event, or an on-failure record wrapping one: what a message body or a replay item holds. */
const Payload = decodeOnly(Schema.Unknown, EventItems, (input, options) => {
  if (Predicate.hasProperty(input, "requestPayload")) return ParseResult.decodeUnknown(OnFailure)(input, options)
  if (Predicate.hasProperty(input, "detail-type") && input["detail-type"] === LAMBDA_FAILURE) {
    return ParseResult.decodeUnknown(OnFailureEvent)(input, options)
  }
  return ParseResult.decodeUnknown(Event)(input, options)
})

const PayloadJson = Schema.compose(JsonText, Payload)

/** A message as `aws sqs receive-message` prints it. */
const PrintedMessage = decodeOnly(
  Schema.Struct({ MessageId: Schema.NonEmptyString, Body: PayloadJson }),
  EventItems,
  (message) => ParseResult.succeed(message.Body)
)

/** A message as an SQS-triggered Lambda receives it. */
const LambdaMessage = decodeOnly(
  Schema.Struct({ messageId: Schema.NonEmptyString, body: PayloadJson }),
  EventItems,
  (message) => ParseResult.succeed(message.body)
)

/** A whole SQS invocation; unlike the live path, one bad body fails the item, so the operator sees it. */
const Batch = decodeOnly(
  Schema.Struct({ Records: Schema.Array(LambdaMessage) }),
  EventItems,
  (batch) => ParseResult.succeed(batch.Records.flat())
)

export const ReplayItem = decodeOnly(Schema.Unknown, EventItems, (input, options) => {
  if (isSqsBatch(input)) return ParseResult.decodeUnknown(Batch)(input, options)
  // SNS's envelope has a `MessageId` too; it is an event shape, not a printed SQS message.
  if (Predicate.hasProperty(input, "MessageId") && !isSnsMessage(input)) return ParseResult.decodeUnknown(PrintedMessage)(input, options)
  if (Predicate.hasProperty(input, "messageId")) return ParseResult.decodeUnknown(LambdaMessage)(input, options)
  return ParseResult.decodeUnknown(Payload)(input, options)
})
