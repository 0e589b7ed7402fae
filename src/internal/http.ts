/** How JSONAir and highvolt calls are made and how their failures become `ServiceError`s. */
import type { HttpClient, HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Duration, Effect, Option, ParseResult, Redacted, Schema } from "effect"
import { ServiceError, type ServiceName } from "../ServiceError.js"
import { timeoutFail } from "./timeout.js"

export interface CallContext {
  readonly service: ServiceName
  readonly operation: string
  /** Beyond this the attempt is abandoned as a `timeout` (and retried if the policy allows). */
  readonly timeout: Duration.DurationInput
  /** Secrets the request carries in its body (a login's PAT): never repeated in an error. */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string>>
  /**
   * The 2xx answer's body is not needed (a submit): it is still read, to free the connection,
   * but failing to read it does not fail the call — retried, a submit would be sent twice.
   */
  readonly answerUnused?: true
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

/** OpenSSL's verdicts on a server certificate, as Node reports them in `error.code`. */
const certificateCodes = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER|HOSTNAME_MISMATCH|INVALID_CA|PATH_LENGTH_EXCEEDED/

/** A transport failure as a `ServiceError`: an untrusted certificate is permanent and says what to do. */
const transportError = (context: CallContext, error: { readonly reason: string; readonly cause?: unknown }, scrub: (text: string) => string) => {
  const cause = error.cause instanceof Error ? error.cause : undefined
  const code = (cause as { readonly code?: unknown } | undefined)?.code
  if (typeof code === "string" && certificateCodes.test(code)) {
    return new ServiceError({
      service: context.service,
      operation: context.operation,
      reason: "tls",
      detail: scrub(`the server's TLS certificate is not trusted (${code}: ${cause!.message}); ` +
        "give it a certificate from a trusted CA, or set TLS_SKIP_VERIFY=true for tests only")
    })
  }
  return new ServiceError({
    service: context.service,
    operation: context.operation,
    reason: "transport",
    detail: scrub(error.reason + (cause === undefined ? "" : `: ${cause.message}`))
  })
}

/**
 * Removes what the request carried that is secret — its bearer token, a login's PAT — from text
 * that came back: a server (or a proxy in front of it) may echo the request in its error.
 */
const scrubberFor = (request: HttpClientRequest.HttpClientRequest, secrets: ReadonlyArray<Redacted.Redacted<string>> = []) => {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers["authorization"] ?? "")?.[1]
  const values = [...secrets.map(Redacted.value), ...(bearer === undefined ? [] : [bearer])].filter((v) => v.length >= 4)
  return (text: string): string => values.reduce((t, secret) => t.replaceAll(secret, "<redacted>"), text)
}

/** The server's own words about a failure, from `{"error": …}` or `{"reason": …}` bodies. */
const describeFailure = (response: HttpClientResponse.HttpClientResponse, scrub: (text: string) => string) =>
  response.text.pipe(
    Effect.map((text) => {
      const parsed = Schema.decodeUnknownOption(Schema.parseJson(ErrorBody))(text)
      const words = Option.flatMap(parsed, (b) => Option.fromNullable(b.error ?? b.reason ?? b.status))
      return scrub(Option.getOrElse(words, () => text.trim() === "" ? "no error text" : text)).slice(0, maxDetail)
    }),
    Effect.orElseSucceed(() => "unreadable error body")
  )

/** A 2xx answer, read to its end. */
export interface Answer {
  readonly status: number
  readonly text: string
}

/**
 * Executes `request` and returns its 2xx answer; anything else becomes a `ServiceError`. The
 * timeout bounds the status and headers, then the answer body again: a server (or proxy) that
 * stalls mid-answer must not hold the call — at cold start, the container — for good. Every
 * answer is read to its end, which also returns the keep-alive socket to the agent (an unread
 * body keeps it, and every call would open a new connection, a TLS handshake each).
 * Transport failures keep only their message: the platform's error holds the request, headers
 * included. No detail repeats a secret the request carried.
 */
export const execute = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  context: CallContext
): Effect.Effect<Answer, ServiceError> => {
  const scrub = scrubberFor(request, context.secrets)
  const bounded = (what: string) =>
    timeoutFail({
      duration: context.timeout,
      onTimeout: () =>
        new ServiceError({
          service: context.service,
          operation: context.operation,
          reason: "timeout",
          detail: `no ${what} within ${Duration.format(Duration.decode(context.timeout))}`
        })
    })
  const asTransport = <A>(self: Effect.Effect<A, ServiceError | HttpClientError.HttpClientError>): Effect.Effect<A, ServiceError> =>
    Effect.mapError(self, (error) => error._tag === "ServiceError" ? error : transportError(context, error, scrub))
  return client.execute(request).pipe(
    Effect.flatMap((response): Effect.Effect<HttpClientResponse.HttpClientResponse, ServiceError> =>
      response.status >= 200 && response.status < 300
        ? Effect.succeed(response)
        : Effect.flatMap(describeFailure(response, scrub), (detail) =>
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
    ),
    asTransport,
    bounded("answer"),
    Effect.flatMap((response): Effect.Effect<Answer, ServiceError> => {
      const read = response.text.pipe(
        Effect.map((text): Answer => ({ status: response.status, text })),
        asTransport,
        bounded("complete answer")
      )
      return context.answerUnused === true ? Effect.orElseSucceed(read, () => ({ status: response.status, text: "" })) : read
    })
  )
}

const withRetryAfter = (ms: number | undefined) => (ms === undefined ? {} : { retryAfterMs: ms })

/**
 * Where an answer differs from what we expect, as paths only: the values themselves may be
 * tokens (a login answer), and must not reach an error message.
 */
const issuePaths = (error: ParseResult.ParseError): string => {
  const paths = ParseResult.ArrayFormatter.formatErrorSync(error).map((i) => i.path.length === 0 ? "(body)" : i.path.join("."))
  return [...new Set(paths)].join(", ").slice(0, maxDetail)
}

/**
 * Decodes a 2xx JSON answer; text that is not JSON, or JSON of another shape, is a permanent
 * `decode` failure naming the field (`(body)` for the text as a whole), never quoting it.
 */
export const decodeJson = <A, I>(
  schema: Schema.Schema<A, I>,
  context: Pick<CallContext, "service" | "operation">
) => {
  const decode = jsonDecoderOf(schema)
  return (answer: Answer): Effect.Effect<A, ServiceError> =>
    decode(answer.text).pipe(
    Effect.mapError((error) =>
      new ServiceError({
        service: context.service,
        operation: context.operation,
        reason: "decode",
        detail: `unexpected answer at ${issuePaths(error)}`
      })
    )
  )
}

/** One decoder per schema: `parseJson` builds new schema classes, and a decoder compiles them, on every call. */
const jsonDecoders = new WeakMap<object, (text: string) => Effect.Effect<unknown, ParseResult.ParseError>>()
const jsonDecoderOf = <A, I>(schema: Schema.Schema<A, I>): (text: string) => Effect.Effect<A, ParseResult.ParseError> => {
  let decoder = jsonDecoders.get(schema)
  if (decoder === undefined) {
    decoder = Schema.decodeUnknown(Schema.parseJson(schema as Schema.Schema<unknown, unknown>))
    jsonDecoders.set(schema, decoder)
  }
  return decoder as (text: string) => Effect.Effect<A, ParseResult.ParseError>
}
