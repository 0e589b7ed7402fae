import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { JsonAir } from "../src/JsonAir.js"
import { decodeDocument, ScannerConfig } from "../src/ScannerConfig.js"

const validDocument = {
  core: { mime_types: ["application/pdf", "image/*"], max_file_size: 104857600 },
  highvolt: { url: "https://highvolt.internal:8443", pat: "hv_pat_secret_0001" },
  aws: { ignored: true },
  syslog: { host: "x" }
}

const built = (document: unknown) =>
  ScannerConfig.pipe(
    Effect.provide(ScannerConfig.layer),
    Effect.provide(JsonAir.test({ name: "s3/scanner", document })),
    Effect.either
  )

describe("ScannerConfig.layer", () => {
  it.effect("decodes the profile JSONAir serves", () =>
    Effect.gen(function*() {
      const config = yield* built(validDocument)
      expect(config._tag).toBe("Right")
      if (config._tag === "Right") {
        expect(config.right.core.mime_types.allows("image/png")).toBe(true)
        expect(config.right.core.mime_types.allows("text/plain")).toBe(false)
        expect(Redacted.value(config.right.highvolt.pat)).toBe("hv_pat_secret_0001")
      }
    }))

  it.effect("fails the cold start on a bad document, naming the profile and the field", () =>
    Effect.gen(function*() {
      const config = yield* built({ ...validDocument, core: { mime_types: [] } })
      expect(config._tag === "Left" && config.left.message).toMatch(/^JSONAir profile s3\/scanner is not a valid scanner configuration: .*core\.mime_types/)
    }))
})

describe("the configuration document", () => {
  const problems = (document: unknown) =>
    Effect.flip(decodeDocument("s3/scanner", document)).pipe(Effect.map((e) => e.problems.join("\n")))

  it.effect("accepts a document with extra blocks", () =>
    Effect.gen(function*() {
      const config = yield* decodeDocument("s3/scanner", validDocument)
      expect(config.core.max_file_size).toBe(104857600)
    }))

  it.effect.each([
    ["empty mime_types", { ...validDocument, core: { ...validDocument.core, mime_types: [] } }, "core.mime_types"],
    ["missing max_file_size", { ...validDocument, core: { mime_types: ["application/pdf"] } }, "core.max_file_size"],
    ["negative max_file_size", { ...validDocument, core: { ...validDocument.core, max_file_size: -1 } }, "core.max_file_size"],
    ["fractional max_file_size", { ...validDocument, core: { ...validDocument.core, max_file_size: 1.5 } }, "core.max_file_size"],
    ["missing highvolt.url", { ...validDocument, highvolt: { pat: "x" } }, "highvolt.url"],
    ["non-http highvolt.url", { ...validDocument, highvolt: { ...validDocument.highvolt, url: "ftp://x" } }, "highvolt.url"],
    ["missing highvolt.pat", { ...validDocument, highvolt: { url: "https://x" } }, "highvolt.pat"],
    ["missing core", { highvolt: validDocument.highvolt }, "core"]
  ] as const)("rejects %s, naming the field", ([, document, field]) =>
    Effect.gen(function*() {
      const text = yield* problems(document)
      expect(text).toContain(field)
    }))

  it.effect("never prints the highvolt PAT, even when it is malformed", () =>
    Effect.gen(function*() {
      const text = yield* problems({ ...validDocument, highvolt: { url: "nope", pat: ["hv_pat_secret_0001"] } })
      expect(text).toContain("highvolt.pat")
      expect(text).not.toContain("hv_pat_secret_0001")
    }))
})
