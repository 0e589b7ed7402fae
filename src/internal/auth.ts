/** The PAT → JWT exchange that JSONAir and highvolt-server share (`POST …/auth/token`). */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, Effect, Redacted, Schema } from "effect"
import * as Retry from "../Retry.js"
import type { ServiceError, ServiceName } from "../ServiceError.js"
import type { AccessToken } from "../TokenCache.js"
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

/**
 * Logs in with the PAT. 429 (5 logins per minute per IP) and 5xx are retried with `loginRetry`;
 * a wrong PAT (401) is permanent.
 */
export const login = (
  client: HttpClient.HttpClient,
  service: ServiceName,
  baseUrl: string,
  pat: Redacted.Redacted<string>
): Effect.Effect<AccessToken, ServiceError> => {
  const context = { service, operation: "login", timeout: "15 seconds" } as const
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
