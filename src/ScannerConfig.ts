/**
 * The runtime configuration: the document of the scanner's JSONAir profile, fetched once per
 * container when the application layer is built. The same profile may also serve the batch
 * scanner, so unknown blocks are ignored; what this scanner needs is validated, and a bad
 * document is rejected with an error that names the field (never its value: it holds a PAT).
 */
import { Context, Effect, Layer, ParseResult, Schema } from "effect"
import { JsonAir } from "./JsonAir.js"
import { AllowListFromEntries } from "./Mime.js"

const HttpUrl = Schema.String.pipe(
  Schema.filter((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
    message: () => "must be an http(s) URL"
  })
)

export const ScannerConfigDocument = Schema.Struct({
  core: Schema.Struct({
    mime_types: AllowListFromEntries,
    max_file_size: Schema.Int.pipe(Schema.positive({ message: () => "must be a positive integer (bytes)" }))
  }),
  highvolt: Schema.Struct({
    url: HttpUrl,
    pat: Schema.Redacted(Schema.NonEmptyString)
  })
})

export type ScannerConfigShape = typeof ScannerConfigDocument.Type

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

/** The decoded document, provided once per container after the JSONAir fetch. */
export class ScannerConfig extends Context.Tag("highvolt/ScannerConfig")<ScannerConfig, ScannerConfigShape>() {
  /** Fetches the profile from JSONAir and validates it: a bad document fails the cold start. */
  static readonly layer: Layer.Layer<ScannerConfig, ConfigDocumentError | Effect.Effect.Error<JsonAir["Type"]["fetchProfile"]>, JsonAir> = Layer.effect(
    ScannerConfig,
    Effect.flatMap(JsonAir, (jsonair) => jsonair.fetchProfile).pipe(
      Effect.flatMap((profile) => decodeDocument(profile.name, profile.document))
    )
  )

  static readonly test = (config: ScannerConfigShape): Layer.Layer<ScannerConfig> => Layer.succeed(ScannerConfig, config)
}
