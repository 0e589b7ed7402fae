/**
 * The runtime configuration document served by JSONAir. The same profile may also serve the
 * batch scanner, so unknown blocks are ignored; what this scanner needs is validated, and a
 * bad document is rejected with an error that names the field.
 */
import { Context, Schema } from "effect"
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

/** The decoded document, provided once per container after the JSONAir fetch. */
export class ScannerConfig extends Context.Tag("highvolt/ScannerConfig")<ScannerConfig, ScannerConfigShape>() {}
