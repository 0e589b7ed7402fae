/**
 * Building blocks shared by the input shapes: the decoded item types, a decode-only
 * transformation, and the one piece of context decoding needs.
 */
import { Context, type Effect, type Option, ParseResult, Schema, type SchemaAST } from "effect"
import { type AccountId, Ignored, ObjectCreated, type Region } from "../../Domain.js"

/** One decoded item, checked as an instance: the wire schemas build it, nothing re-validates it as JSON. */
export const EventItemType = Schema.Union(Schema.typeSchema(ObjectCreated), Schema.typeSchema(Ignored))
export const EventItems = Schema.Array(EventItemType)

/**
 * The Lambda's own account. Classic S3 notifications do not say which account owns the bucket
 * (the owner is a canonical principal id, the bucket ARN has no account field), so their
 * bucket is taken to be in the account that receives the notification.
 */
export class OwnAccount extends Context.Tag("highvolt/Events/OwnAccount")<OwnAccount, AccountId>() {}

/** What an EventBridge envelope tells about the event it carries. */
export interface Envelope {
  readonly id: string
  readonly account: AccountId
  readonly region: Region
  readonly time: Option.Option<string>
}

/**
 * A transformation that only decodes. Events are never written back in their wire shape, so
 * encoding is refused rather than half-implemented.
 *
 * `decode` should answer with an `Either` (`ParseResult.succeed`/`fail`/`map`…) whenever it
 * needs no service: Schema runs `Either`s inline, but queues every `Effect` of an array before
 * running any, so one `Effect` per element turns a huge junk `Records` list into minutes of work.
 */
export const decodeOnly = <From extends Schema.Schema.Any, To extends Schema.Schema.Any, R>(
  from: From,
  to: To,
  decode: (
    value: Schema.Schema.Type<From>,
    options: SchemaAST.ParseOptions,
    ast: SchemaAST.Transformation
  ) => Effect.Effect<Schema.Schema.Encoded<To>, ParseResult.ParseIssue, R>
) =>
  Schema.transformOrFail(from, to, {
    strict: true,
    decode: (value, options, ast) => decode(value, options, ast),
    encode: (_, __, ast, item) => ParseResult.fail(new ParseResult.Forbidden(ast, item, "events are decoded only"))
  })

/** Fails at `key` of `actual` with a message of our own (the issue formatter adds the path). */
export const failAt = (key: PropertyKey, actual: unknown, ast: SchemaAST.AST, message: string) =>
  ParseResult.fail(new ParseResult.Pointer(key, actual, new ParseResult.Type(ast, undefined, message)))
