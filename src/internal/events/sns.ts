/**
 * An SNS message as a subscribed SQS queue receives it when raw message delivery is off (the
 * default): S3 notifies a topic, the topic fans out to queues, and each message body is SNS's
 * envelope with the S3 event as the JSON text of its `Message`. A cross-account subscription
 * also puts SNS's own `SubscriptionConfirmation` (and `UnsubscribeConfirmation`) in the queue:
 * those are not object creations, skipped rather than failed into the dead-letter queue.
 */
import { Option, ParseResult, Predicate, Schema } from "effect"
import { type EventItem, Ignored } from "../../Domain.js"
import { JsonText } from "./json.js"
import { decodeOnly, EventItems } from "./schema.js"

/** The envelope's fields that matter here, as they arrive. */
export interface SnsMessageJson {
  readonly Type: "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation"
  readonly MessageId: string
  readonly TopicArn: string
  readonly Message: string
}

/** Whether `input` is SNS's envelope: only it has `Type` beside `Message`. */
export const isSnsMessage = (input: unknown): boolean =>
  Predicate.hasProperty(input, "Type") && Predicate.hasProperty(input, "Message")

const SnsMessageWire = Schema.Struct({
  Type: Schema.Literal("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"),
  MessageId: Schema.NonEmptyString,
  TopicArn: Schema.String,
  Message: Schema.String
})

/** The envelope around `event` (the event schema, passed in: the envelope is one of its shapes). */
export const SnsMessage = <R>(
  event: Schema.Schema<ReadonlyArray<EventItem>, unknown, R>
): Schema.Schema<ReadonlyArray<EventItem>, SnsMessageJson, R> => {
  const message = Schema.compose(JsonText, event)
  return decodeOnly(SnsMessageWire, EventItems, (envelope, options) =>
    envelope.Type === "Notification"
      ? ParseResult.mapError(
        ParseResult.decodeUnknown(message)(envelope.Message, options),
        (issue) => new ParseResult.Pointer("Message", envelope, issue)
      )
      : ParseResult.succeed([
        new Ignored({
          eventId: envelope.MessageId,
          reason: "not-object-created",
          detail: `SNS ${envelope.Type} of ${envelope.TopicArn}`,
          account: Option.none(),
          region: Option.none(),
          bucket: Option.none(),
          key: Option.none()
        })
      ]))
}
