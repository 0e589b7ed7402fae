/**
 * The edge of the scanner: every accepted input shape decoded once, with Schema, into
 * `ObjectCreated` (scan it) or `Ignored` (skip it, with a reason). Nothing past this module
 * sees `unknown`.
 *
 * Shapes: (1) a CloudTrail S3 data event in its EventBridge envelope (the primary path), a bare
 * CloudTrail record, or a CloudTrail log file `{"Records":[…]}`; (2) S3's own EventBridge
 * "Object Created" event; (3) a classic S3 notification `{"Records":[…]}` (and `s3:TestEvent`);
 * (4) an SQS batch whose bodies are any of these; (5) an S3 Batch Operations job (`BatchJob`).
 *
 * Untraced (no `Effect.fn`): it runs for every event, and the application runs untraced.
 */
import { Effect, Either, ParseResult, Predicate, Schema } from "effect"
import type { BatchJob } from "./BatchJob.js"
import type { AccountId, EventItem } from "./Domain.js"
import { decodeBatchJob, isBatchJob } from "./internal/events/batchOperations.js"
import { Event } from "./internal/events/event.js"
import { eventIdOf, formatIssue } from "./internal/events/issue.js"
import { ReplayItem } from "./internal/events/replay.js"
import { OwnAccount } from "./internal/events/schema.js"
import { isSqsBatch, SqsBatch, SqsBody } from "./internal/events/sqs.js"

/** Raised when an input cannot be understood at all; `message` names what is wrong (path + problem), never echoes whole payloads. */
export class InvalidEvent extends Schema.TaggedError<InvalidEvent>()("InvalidEvent", {
  message: Schema.String,
  eventId: Schema.optional(Schema.String)
}) {}

/**
 * What decoding needs beyond the event. Classic S3 notifications carry no account id (the bucket
 * owner is a canonical user id, the bucket ARN has no account field), so their bucket is taken
 * to be in the Lambda's own account: a bucket can only notify a Lambda of its own account
 * unless someone grants another account's bucket `lambda:InvokeFunction`, and the organization-
 * wide path (CloudTrail through EventBridge) names the owner explicitly.
 */
export interface DecodeContext {
  readonly ownAccount: AccountId
}

const decodeWith = <A, I>(schema: Schema.Schema<A, I, OwnAccount>, root: string) =>
(
  input: unknown,
  ctx: DecodeContext,
  eventId: string | undefined = eventIdOf(input)
): Effect.Effect<A, InvalidEvent> =>
  ParseResult.decodeUnknown(schema)(input).pipe(
    Effect.provideService(OwnAccount, ctx.ownAccount),
    Effect.mapError((issue) =>
      new InvalidEvent({ message: formatIssue(issue, root), ...(eventId === undefined ? {} : { eventId }) })
    )
  )

const decodeOne = decodeWith(Event, "event")
const decodeBody = decodeWith(SqsBody, "message")
const decodeBatch = decodeWith(SqsBatch, "event")
const decodeReplay = decodeWith(ReplayItem, "item")

/** One event of shape 1–3 (CloudTrail via EventBridge, also a bare CloudTrail record or a CloudTrail log file {"Records":[...]} ; native S3 "Object Created"; classic S3 notification Records[]) → its items. */
export const decodeEvent: (input: unknown, ctx: DecodeContext) => Effect.Effect<ReadonlyArray<EventItem>, InvalidEvent> =
  (input: unknown, ctx: DecodeContext) => Effect.suspend(() => decodeOne(input, ctx))

export interface SqsMessage {
  readonly messageId: string
  readonly items: Either.Either<ReadonlyArray<EventItem>, InvalidEvent>
}

export type Invocation =
  | { readonly _tag: "Single"; readonly items: ReadonlyArray<EventItem> }
  | { readonly _tag: "SqsBatch"; readonly messages: ReadonlyArray<SqsMessage> }
  | { readonly _tag: "BatchJob"; readonly job: BatchJob }

/**
 * What a Lambda invocation carries: a single event (shapes 1–3), an SQS batch whose bodies are
 * such events (a bad body fails only its message), or an S3 Batch Operations job (a bad task or
 * bad job arguments fail only the tasks concerned; only a bad envelope fails the invocation).
 */
export const decodeInvocation: (input: unknown, ctx: DecodeContext) => Effect.Effect<Invocation, InvalidEvent> = Effect
  .fnUntraced(function*(input: unknown, ctx: DecodeContext) {
    if (isBatchJob(input)) {
      const job = yield* Either.match(decodeBatchJob(input), {
        onLeft: (issue) => Effect.fail(new InvalidEvent({ message: formatIssue(issue, "event"), ...invocationIdOf(input) })),
        onRight: Effect.succeed
      })
      return { _tag: "BatchJob", job } as const
    }
    if (!isSqsBatch(input)) {
      const items = yield* decodeOne(input, ctx)
      return { _tag: "Single", items } as const
    }
    const batch = yield* decodeBatch(input, ctx)
    const messages = yield* Effect.forEach(batch.Records, ({ body, messageId }) =>
      decodeBody({ body }, ctx, messageId).pipe(
        Effect.either,
        Effect.map((decoded): SqsMessage => ({ messageId, items: Either.map(decoded, (message) => message.body) }))
      ))
    return { _tag: "SqsBatch", messages } as const
  })

/**
 * The ids of what an invocation carries, read without decoding it, for a failure before any
 * decoding (a cold start): an SQS batch's message ids (what Lambda hands back), or the event's id.
 */
export const invocationIdsOf = (input: unknown): ReadonlyArray<string> =>
  isBatchJob(input)
    ? batchTaskIdsOf(input)
    : isSqsBatch(input)
    ? (input as { readonly Records: ReadonlyArray<unknown> }).Records.map((record) =>
      Predicate.hasProperty(record, "messageId") && typeof record.messageId === "string" ? record.messageId : "unknown"
    )
    : [eventIdOf(input) ?? "unknown"]

/** A job's invocation id, for the log line of a job that is not one. */
const invocationIdOf = (input: unknown): { readonly eventId?: string } =>
  Predicate.hasProperty(input, "invocationId") && typeof input.invocationId === "string" && input.invocationId.length <= 256
    ? { eventId: input.invocationId }
    : {}

const batchTaskIdsOf = (input: unknown): ReadonlyArray<string> =>
  Predicate.hasProperty(input, "tasks") && Array.isArray(input.tasks)
    ? input.tasks.map((task: unknown) => Predicate.hasProperty(task, "taskId") && typeof task.taskId === "string" ? task.taskId : "unknown")
    : ["unknown"]

/** For the replay CLI: one item of a replay file — any shape above, or an SQS message as `aws sqs receive-message` prints it ({MessageId, Body}), an EventBridge archive/replay record, or a Lambda on-failure destination record ({requestContext, requestPayload, ...}) wrapping one. */
export const decodeReplayItem: (input: unknown, ctx: DecodeContext) => Effect.Effect<ReadonlyArray<EventItem>, InvalidEvent> =
  (input: unknown, ctx: DecodeContext) => Effect.suspend(() => decodeReplay(input, ctx))
