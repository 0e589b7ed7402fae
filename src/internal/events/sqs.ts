/**
 * The Lambda event of an SQS trigger. Each body is one event of its own (S3 notifications and
 * EventBridge rules can target a queue), decoded separately so a bad body fails only its message.
 */
import { Predicate, Schema } from "effect"
import { Event } from "./event.js"
import { JsonText } from "./json.js"

export const SqsBatch = Schema.Struct({
  Records: Schema.Array(Schema.Struct({
    eventSource: Schema.Literal("aws:sqs"),
    messageId: Schema.NonEmptyString,
    body: Schema.String
  }))
})

/** One message's body: JSON text holding one event (decoded apart from the batch). */
export const SqsBody = Schema.Struct({ body: Schema.compose(JsonText, Event) })

/** Whether `input` is an SQS batch rather than an event: its first record says it came from SQS. */
export const isSqsBatch = (input: unknown): boolean =>
  Predicate.hasProperty(input, "Records") && Array.isArray(input.Records) &&
  Predicate.hasProperty(input.Records[0], "eventSource") && input.Records[0].eventSource === "aws:sqs"
