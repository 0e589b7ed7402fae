import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import { Environment } from "../src/Environment.js"

const read = (env: Record<string, string>) =>
  Effect.either(Environment.pipe(Effect.provide(Environment.layer.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))))))

const complete = {
  JSONAIR_SECRET_NAME: "highvolt/jsonair-pat",
  JSONAIR_URL: "https://jsonair.internal:8443",
  JSONAIR_NAME: "scanner",
  JSONAIR_TYPE: "aws-s3-lambda"
}

describe("Environment", () => {
  it.effect("reads the required variables and applies defaults", () =>
    Effect.gen(function*() {
      const env = yield* Effect.flatten(read(complete))
      expect(env.jsonairUrl.href).toBe("https://jsonair.internal:8443/")
      expect(env.crossAccountRole).toBe("OrganizationAccountAccessRole")
      expect(env.tlsSkipVerify).toBe(false)
      expect(Option.isNone(env.crossAccountExternalId)).toBe(true)
    }))

  it.effect("names every missing variable in one error", () =>
    Effect.gen(function*() {
      const result = yield* read({})
      expect(result._tag).toBe("Left")
      if (result._tag !== "Left") return
      expect(result.left._tag).toBe("EnvironmentError")
      for (const name of ["JSONAIR_SECRET_NAME", "JSONAIR_URL", "JSONAIR_NAME", "JSONAIR_TYPE"]) {
        expect(result.left.message).toContain(name)
      }
    }))

  it.effect("rejects malformed values, naming the variable", () =>
    Effect.gen(function*() {
      const result = yield* read({ ...complete, JSONAIR_URL: "not a url", JSONAIR_NAME: "a b", TLS_SKIP_VERIFY: "perhaps", CROSS_ACCOUNT_ROLE: "arn:aws:iam::1:role/x" })
      expect(result._tag).toBe("Left")
      if (result._tag !== "Left") return
      expect(result.left.problems.map((p) => p.split(":")[0])).toEqual(
        expect.arrayContaining(["JSONAIR_URL", "JSONAIR_NAME", "TLS_SKIP_VERIFY", "CROSS_ACCOUNT_ROLE"])
      )
    }))

  it.effect("keeps the external id redacted", () =>
    Effect.gen(function*() {
      const env = yield* Effect.flatten(read({ ...complete, CROSS_ACCOUNT_EXTERNAL_ID: "ext-secret-42", TLS_SKIP_VERIFY: "true" }))
      expect(env.tlsSkipVerify).toBe(true)
      expect(Option.map(env.crossAccountExternalId, Redacted.value)).toEqual(Option.some("ext-secret-42"))
      expect(JSON.stringify(env)).not.toContain("ext-secret-42")
      expect(String(Option.getOrThrow(env.crossAccountExternalId))).toBe("<redacted>")
    }))

  it.effect("takes an empty external id as unset, and rejects a malformed one without showing it", () =>
    Effect.gen(function*() {
      const empty = yield* Effect.flatten(read({ ...complete, CROSS_ACCOUNT_EXTERNAL_ID: "" }))
      expect(Option.isNone(empty.crossAccountExternalId)).toBe(true)
      for (const id of ["Acme Corp #4711", "x", "y".repeat(1225)]) {
        const result = yield* read({ ...complete, CROSS_ACCOUNT_EXTERNAL_ID: id })
        expect(result._tag === "Left" && result.left.problems).toEqual([
          "CROSS_ACCOUNT_EXTERNAL_ID: must be 2 to 1224 characters of A-Z a-z 0-9 _ + = , . @ : / - (the value is not shown)"
        ])
      }
    }))
})
