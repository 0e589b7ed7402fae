/** The PAT → JWT exchange that JSONAir and highvolt-server share (`POST …/auth/token`), and the session that keeps its token. */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, Effect, Redacted, Schedule, Schema } from "effect"
import * as Retry from "../Retry.js"
import { ServiceError, type ServiceName } from "../ServiceError.js"
import * as TokenCache from "../TokenCache.js"
import { decodeJson, execute } from "./http.js"

const TokenAnswer = Schema.Struct({
  access_token: Schema.NonEmptyString,
  expires_in: Schema.Number.pipe(Schema.positive())
})

/** The `exp` claim of a JWT in epoch ms, if its payload is readable; the signature is the server's business. */
export const jwtExpiry = (jwt: string): number | undefined => {
  const payload = jwt.split(".")[1]
  if (payload === undefined) return undefined
  try {
    const exp: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")).exp
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}

/** Stop using a token a minute before it expires, or at 90% of a short lifetime. */
export const refreshMoment = (now: number, expiresAt: number): number =>
  expiresAt - Math.min(60_000, Math.max(0, expiresAt - now) / 10)

const loginOperation = "login"

/**
 * Logs in with the PAT. 429 (5 logins per minute per IP) and 5xx are retried with `loginRetry`;
 * a wrong PAT (401) is permanent.
 */
export const login = (
  client: HttpClient.HttpClient,
  service: ServiceName,
  baseUrl: string,
  pat: Redacted.Redacted<string>
): Effect.Effect<TokenCache.AccessToken, ServiceError> => {
  const context = { service, operation: loginOperation, timeout: "15 seconds" } as const
  return Effect.suspend(() =>
    execute(
      client,
      HttpClientRequest.post(`${baseUrl}/auth/token`).pipe(
        HttpClientRequest.bodyUnsafeJson({ token: Redacted.value(pat) })
      ),
      // A login refusal that echoes the request must not repeat the PAT.
      { ...context, secrets: [pat] }
    )
  ).pipe(
    Effect.flatMap(decodeJson(TokenAnswer, context)),
    Effect.retry(Retry.loginRetry<ServiceError>()),
    Effect.flatMap((answer) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        // expires_in is relative (immune to clock skew); a nearer exp claim wins.
        const expiresAt = Math.min(now + answer.expires_in * 1000, jwtExpiry(answer.access_token) ?? Infinity)
        return { jwt: Redacted.make(answer.access_token), refreshAt: refreshMoment(now, expiresAt) }
      })
    ),
    Effect.withSpan(`${service}.login`)
  )
}

/** `https://host:8443/` + `/api/v1/highvolt` without doubled slashes. */
export const apiBase = (url: string, path: string): string => url.replace(/\/+$/, "") + path

/** A service's bearer token, shared by every call of the container. */
export interface Session {
  /** The token in use: logs in first when there is none or it is due for refresh. */
  readonly current: Effect.Effect<TokenCache.AccessToken, ServiceError>
  /**
   * Runs `call` with the token in use; a 401 refreshes it once (`TokenCache.authorized`), and
   * transient failures are retried, each attempt with the token in use again: a retry loop that
   * outlives its token (a large submit behind a full queue) moves on to a fresh one. It cannot
   * count on a 401 for that: highvolt-server (Go) answers a large body sent with a dead token by
   * 401 and a closed connection, which the client sees as a broken pipe. A failed login ends the
   * call: it has had its own retries (`loginRetry`), and retrying around it would make up to
   * 9 × 9 logins.
   */
  readonly call: <A>(call: (jwt: Redacted.Redacted<string>) => Effect.Effect<A, ServiceError>) => Effect.Effect<A, ServiceError>
}

export const session = (
  client: HttpClient.HttpClient,
  service: ServiceName,
  baseUrl: string,
  pat: Redacted.Redacted<string>
): Effect.Effect<Session> =>
  Effect.map(
    TokenCache.make(login(client, service, baseUrl, pat), (e) => e instanceof ServiceError && e.unauthorized),
    (tokens) => ({
      current: tokens.current,
      call: (call) =>
        tokens.authorized(call).pipe(
          Effect.retry(Retry.transientRetry<ServiceError>().pipe(Schedule.whileInput((e: ServiceError) => e.operation !== loginOperation)))
        )
    })
  )
