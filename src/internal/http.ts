/** How JSONAir and highvolt calls are made and how their failures become `ServiceError`s. */
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Duration, Effect, Option, ParseResult, Schema } from "effect"
import { ServiceError, type ServiceName } from "../ServiceError.js"

export interface CallContext {
  readonly service: ServiceName
  readonly operation: string
  /** Beyond this the attempt is abandoned as a `timeout` (and retried if the policy allows). */
  readonly timeout: Duration.DurationInput
}

const maxDetail = 300

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const ErrorBody = Schema.Struct({
  error: Schema.optional(Schema.String),
  reason: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String)
})

/** The server's own words about a failure, from `{"error": …}` or `{"reason": …}` bodies. */
const describeFailure = (response: HttpClientResponse.HttpClientResponse) =>
  response.text.pipe(
    Effect.map((text) => {
      const parsed = Schema.decodeUnknownOption(Schema.parseJson(ErrorBody))(text)
      const words = Option.flatMap(parsed, (b) => Option.fromNullable(b.error ?? b.reason ?? b.status))
      return Option.getOrElse(words, () => text.trim() === "" ? "no error text" : text).slice(0, maxDetail)
    }),
    Effect.orElseSucceed(() => "unreadable error body")
  )

/**
 * Executes `request` and returns its 2xx response; anything else becomes a `ServiceError`.
 * Transport failures keep only their message: the platform's error holds the request, headers included.
 */
export const execute = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  context: CallContext
): Effect.Effect<HttpClientResponse.HttpClientResponse, ServiceError> =>
  client.execute(request).pipe(
    Effect.catchAll((error) =>
      Effect.fail(
        new ServiceError({
          service: context.service,
          operation: context.operation,
          reason: "transport",
          detail: error.reason + (error.cause instanceof Error ? `: ${error.cause.message}` : "")
        })
      )
    ),
    Effect.timeoutFail({
      duration: context.timeout,
      onTimeout: () =>
        new ServiceError({
          service: context.service,
          operation: context.operation,
          reason: "timeout",
          detail: `no answer within ${Duration.format(Duration.decode(context.timeout))}`
        })
    }),
    Effect.flatMap((response) =>
      response.status >= 200 && response.status < 300
        ? Effect.succeed(response)
        : Effect.flatMap(describeFailure(response), (detail) =>
          Effect.fail(
            new ServiceError({
              service: context.service,
              operation: context.operation,
              reason: "status",
              status: response.status,
              detail,
              ...withRetryAfter(parseRetryAfter(response.headers["retry-after"], Date.now()))
            })
          ))
    )
  )

const withRetryAfter = (ms: number | undefined) => (ms === undefined ? {} : { retryAfterMs: ms })

/**
 * Where an answer differs from what we expect, as paths only: the values themselves may be
 * tokens (a login answer), and must not reach an error message.
 */
const issuePaths = (error: ParseResult.ParseError): string => {
  const paths = ParseResult.ArrayFormatter.formatErrorSync(error).map((i) => i.path.length === 0 ? "(body)" : i.path.join("."))
  return [...new Set(paths)].join(", ").slice(0, maxDetail)
}

/** Decodes a 2xx JSON body; a body of another shape is a permanent `decode` failure naming the field. */
export const decodeJson = <A, I>(
  schema: Schema.Schema<A, I>,
  context: Pick<CallContext, "service" | "operation">
) =>
(response: HttpClientResponse.HttpClientResponse): Effect.Effect<A, ServiceError> =>
  HttpClientResponse.schemaBodyJson(schema)(response).pipe(
    Effect.mapError((error) =>
      new ServiceError({
        service: context.service,
        operation: context.operation,
        reason: "decode",
        detail: error._tag === "ParseError" ? `unexpected answer at ${issuePaths(error)}` : error.reason
      })
    )
  )
