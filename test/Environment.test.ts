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

describe("Environment.aws", () => {
  it.effect("leaves region, endpoints and credentials to the SDK when none is set", () =>
    Effect.gen(function*() {
      const { aws } = yield* Effect.flatten(read(complete))
      expect([aws.region, aws.endpoints.s3, aws.endpoints.sts, aws.endpoints.secretsManager, aws.credentials].map((o: Option.Option<unknown>) => Option.isNone(o))).toEqual([true, true, true, true, true])
    }))

  it.effect("takes each service's endpoint, else AWS_ENDPOINT_URL", () =>
    Effect.gen(function*() {
      const { aws } = yield* Effect.flatten(read({ ...complete, AWS_ENDPOINT_URL: "http://127.0.0.1:9000", AWS_ENDPOINT_URL_STS: "http://127.0.0.1:9001" }))
      expect(aws.endpoints).toEqual({
        s3: Option.some("http://127.0.0.1:9000/"),
        s3Control: Option.some("http://127.0.0.1:9000/"),
        sts: Option.some("http://127.0.0.1:9001/"),
        secretsManager: Option.some("http://127.0.0.1:9000/")
      })
    }))

  it.effect("keeps the secret key and session token redacted", () =>
    Effect.gen(function*() {
      const { aws } = yield* Effect.flatten(read({
        ...complete,
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "secret-key-value",
        AWS_SESSION_TOKEN: "session-token-value"
      }))
      expect(aws.region).toEqual(Option.some("eu-west-1"))
      const keys = Option.getOrThrow(aws.credentials)
      expect(keys.accessKeyId).toBe("AKIAEXAMPLE")
      expect(Redacted.value(keys.secretAccessKey)).toBe("secret-key-value")
      expect(Redacted.value(Option.getOrThrow(keys.sessionToken))).toBe("session-token-value")
      expect(JSON.stringify(aws) + String(aws.credentials)).not.toMatch(/secret-key-value|session-token-value/)
    }))

  it.effect.each([
    ["AWS_ACCESS_KEY_ID", { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE" }],
    ["AWS_SECRET_ACCESS_KEY", { AWS_SECRET_ACCESS_KEY: "secret-key-value" }]
  ] as const)("%s alone is an error naming both, without the value", ([, variables]) =>
    Effect.gen(function*() {
      const result = yield* read({ ...complete, ...variables })
      expect(result._tag === "Left" && result.left.message).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/)
      expect(result._tag === "Left" && result.left.message).not.toContain("secret-key-value")
    }))
})
