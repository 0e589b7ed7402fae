/**
 * JSONAir, the configuration service: at cold start the scanner logs in with the PAT from
 * Secrets Manager and downloads its profile — a GET with a JSON body — which becomes the
 * container's `ScannerConfig`.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer, ParseResult, Schema } from "effect"
import { Environment } from "./Environment.js"
import { apiBase, session } from "./internal/auth.js"
import { execute } from "./internal/http.js"
import { ScannerConfig, ScannerConfigDocument, type ScannerConfigShape } from "./ScannerConfig.js"
import { Secrets } from "./Secrets.js"
import { ServiceError } from "./ServiceError.js"

/** Raised when the profile's document is not a valid scanner configuration; names each bad field. */
export class ConfigDocumentError extends Schema.TaggedError<ConfigDocumentError>()("ConfigDocumentError", {
  profile: Schema.String,
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return `JSONAir profile ${this.profile} is not a valid scanner configuration: ${this.problems.join("; ")}`
  }
}

/** What a field of the wrong type must be, said without its value. */
const expectedShape = (path: string): string => {
  switch (path) {
    case "":
      return "must be a JSON object with core and highvolt blocks"
    case "core":
    case "highvolt":
      return "must be an object"
    case "core.mime_types":
      return "must be a list of MIME types"
    case "core.max_file_size":
      return "must be a positive integer (bytes)"
    case "highvolt.url":
      return "must be an http(s) URL"
    default:
      return "has the wrong type"
  }
}

/**
 * The problems of a document, as `path: message`. Values are left out where they could be
 * secrets: `highvolt.pat` is only ever said to be missing or malformed, and a value of the wrong
 * type is never echoed (Schema's "Expected …, actual <value>" would print a whole document
 * served as a list, or a `highvolt` block given as a string, PAT included).
 */
export const describeDocumentErrors = (error: ParseResult.ParseError): ReadonlyArray<string> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
    const path = issue.path.join(".")
    if (path.startsWith("highvolt.pat")) return `${path}: must be a non-empty string`
    // Schema's own messages ("Expected …, actual <value>"); ours never echo a value but a MIME entry.
    if (issue._tag === "Type" || /, actual /.test(issue.message)) return `${path || "(document)"}: ${expectedShape(path)}`
    return `${path || "(document)"}: ${issue.message}`
  })

export const decodeDocument = (profile: string, document: unknown): Effect.Effect<ScannerConfigShape, ConfigDocumentError> =>
  Schema.decodeUnknown(ScannerConfigDocument, { errors: "all" })(document).pipe(
    Effect.mapError((error) => new ConfigDocumentError({ profile, problems: describeDocumentErrors(error) }))
  )

export class JsonAir extends Context.Tag("highvolt/JsonAir")<JsonAir, {
  /** Downloads and validates the scanner's profile; 401 refreshes the token once, transient failures retry. */
  readonly fetchConfig: Effect.Effect<ScannerConfigShape, ServiceError | ConfigDocumentError>
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
        fetchConfig: download.pipe(
          Effect.flatMap((document) => decodeDocument(profile, document)),
          Effect.withSpan("JsonAir.fetchConfig")
        )
      }
    })
  )

  static readonly test = (config: ScannerConfigShape): Layer.Layer<JsonAir> =>
    Layer.succeed(JsonAir, { fetchConfig: Effect.succeed(config) })
}

/** The container's configuration, fetched once from JSONAir when the application layer is built. */
export const ScannerConfigLive = Layer.effect(ScannerConfig, Effect.flatMap(JsonAir, (jsonair) => jsonair.fetchConfig))
