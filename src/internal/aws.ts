import type { AwsCredentialIdentity } from "@aws-sdk/types"
import { Duration, Effect, Option, Redacted } from "effect"
import { type AwsSettings, Environment } from "../Environment.js"

/**
 * The constructor settings of an SDK client from the environment: only what is set, so that
 * the SDK looks up the rest itself. One attempt per call: our own policies retry.
 */
export const clientSettings = (aws: AwsSettings, service: keyof AwsSettings["endpoints"]) => ({
  maxAttempts: 1,
  ...Option.match(aws.region, { onNone: () => ({}), onSome: (region) => ({ region }) }),
  ...Option.match(aws.endpoints[service], { onNone: () => ({}), onSome: (endpoint) => ({ endpoint }) }),
  ...Option.match(aws.credentials, {
    onNone: () => ({}),
    onSome: (keys) => ({
      // A provider, so that the secret leaves its Redacted wrapper only when a request is signed.
      credentials: (): Promise<AwsCredentialIdentity> =>
        Promise.resolve({
          accessKeyId: keys.accessKeyId,
          secretAccessKey: Redacted.value(keys.secretAccessKey),
          ...Option.match(keys.sessionToken, { onNone: () => ({}), onSome: (token) => ({ sessionToken: Redacted.value(token) }) })
        })
    })
  })
})

/** An SDK client built with the environment's settings for `service`, destroyed when the scope closes. */
export const scopedClient = <C extends { readonly destroy: () => void }>(
  service: keyof AwsSettings["endpoints"],
  create: (settings: ReturnType<typeof clientSettings>) => C
) =>
  Effect.flatMap(Environment, (env) =>
    Effect.acquireRelease(
      Effect.sync(() => create(clientSettings(env.aws, service))),
      (client) => Effect.sync(() => client.destroy())
    ))

/**
 * What an AWS SDK failure means for us. SDK errors carry the service's error code in `name`
 * and the HTTP status in `$metadata`; network failures carry neither.
 */
export interface AwsFailure {
  /** The service's error code (`NoSuchKey`, `AccessDenied`, …) or the Node error code. */
  readonly code: string
  readonly status: number | undefined
  readonly message: string
  /** Throttling, 5xx and network trouble: another attempt may succeed. */
  readonly transient: boolean
}

const throttlingCodes = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
  "PriorRequestNotComplete",
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalError",
  "InternalFailure",
  "InternalServiceError",
  "ServiceUnavailable",
  "IDPCommunicationError"
])

const networkCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "TimeoutError"])

export const classify = (error: unknown): AwsFailure => {
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    name?: unknown
    code?: unknown
    message?: unknown
    $metadata?: { httpStatusCode?: unknown }
    $retryable?: unknown
  }
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined
  const code = typeof e.code === "string" && networkCodes.has(e.code)
    ? e.code
    : typeof e.name === "string"
    ? e.name
    : "UnknownError"
  const message = typeof e.message === "string" ? e.message : String(error)
  const transient = throttlingCodes.has(code) || networkCodes.has(code) || e.$retryable !== undefined ||
    (status !== undefined && (status === 429 || status >= 500))
  return { code, status, message: message.slice(0, 300), transient }
}

/**
 * How long one STS or Secrets Manager call may take before it is abandoned (and retried, if
 * the policy allows): they answer in well under a second, and the SDK sets no timeout of its own.
 * Without one, a call that hangs would hold the CLI's cold start for good (no deadline is around
 * it), or — an AssumeRole made by an S3 client's credential refresh, outside any event — every
 * event of the account, all waiting for that one lookup.
 */
const callAttemptTimeout = Duration.seconds(10)

/** Fails one attempt that has not answered within `callAttemptTimeout` with `onTimeout`'s error. */
export const withinAttemptTimeout = <E>(onTimeout: (detail: string) => E) =>
<A, E1, R>(self: Effect.Effect<A, E1, R>): Effect.Effect<A, E | E1, R> =>
  Effect.timeoutFail(self, {
    duration: callAttemptTimeout,
    onTimeout: () => onTimeout(`no answer within ${Duration.format(callAttemptTimeout)}`)
  })
