/**
 * JSONAir, the configuration service: at cold start the scanner logs in with the PAT from
 * Secrets Manager and downloads its profile — a GET with a JSON body — whose document becomes
 * the container's `ScannerConfig`.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import { Environment } from "./Environment.js"
import { apiBase, session } from "./internal/auth.js"
import { execute } from "./internal/http.js"
import { Secrets } from "./Secrets.js"
import { ServiceError } from "./ServiceError.js"

/** A profile as JSONAir serves it: its name (`type/name`) and its JSON document, not yet validated. */
export interface Profile {
  readonly name: string
  readonly document: unknown
}

export class JsonAir extends Context.Tag("highvolt/JsonAir")<JsonAir, {
  /** Downloads the scanner's profile; 401 refreshes the token once, transient failures retry. */
  readonly fetchProfile: Effect.Effect<Profile, ServiceError>
}>() {
  static readonly layer = Layer.effect(
    JsonAir,
    Effect.gen(function*() {
      const env = yield* Environment
      const secrets = yield* Secrets
      const client = yield* HttpClient.HttpClient
      const base = apiBase(env.jsonairUrl.href, "/api/v1/jsonair")
      const pat = yield* secrets.jsonairPat(env.secretName)
      const auth = yield* session(client, "jsonair", base, pat)
      const profile = `${env.jsonairType}/${env.jsonairName}`
      const context = { service: "jsonair", operation: "config", timeout: "15 seconds" } as const

      const download = auth.call((jwt) =>
        execute(
          client,
          HttpClientRequest.get(`${base}/config`).pipe(
            HttpClientRequest.bearerToken(jwt),
            HttpClientRequest.bodyUnsafeJson({ type: env.jsonairType, name: env.jsonairName, decode: true })
          ),
          context
        ).pipe(
          Effect.flatMap((answer) =>
            Effect.try({
              try: (): unknown => JSON.parse(answer.text),
              catch: () => new ServiceError({ ...context, reason: "decode", detail: "the configuration is not JSON" })
            })
          ),
          Effect.mapError((error) =>
            error.status === 404 ? new ServiceError({ ...error, detail: `profile ${profile} does not exist` }) : error
          )
        )
      )

      return {
        fetchProfile: download.pipe(
          Effect.map((document): Profile => ({ name: profile, document })),
          Effect.withSpan("JsonAir.fetchProfile")
        )
      }
    })
  )

  /** Serves one profile's document from memory. */
  static readonly test = (profile: Profile): Layer.Layer<JsonAir> => Layer.succeed(JsonAir, { fetchProfile: Effect.succeed(profile) })
}
