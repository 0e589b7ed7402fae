import { describe, expect, it } from "@effect/vitest"
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager"
import { Effect, Fiber, Option, Redacted, TestClock } from "effect"
import { make, patFromSecret, Secrets, type SecretsApi } from "../src/Secrets.js"
import { hangUntilAborted } from "./helpers/hang.js"

const pat = (value: Parameters<typeof patFromSecret>[1]) => Effect.either(patFromSecret("highvolt/jsonair-pat", value))

describe("Secrets.patFromSecret", () => {
  it.effect("reads JSONAIR_PAT from a JSON object", () =>
    Effect.gen(function*() {
      const result = yield* pat({ SecretString: JSON.stringify({ JSONAIR_PAT: "pat_json_1234", other: 1 }) })
      expect(result._tag === "Right" && Redacted.value(result.right)).toBe("pat_json_1234")
    }))

  it.effect("takes a plain string as the PAT itself", () =>
    Effect.gen(function*() {
      const result = yield* pat({ SecretString: "  pat_plain_5678\n" })
      expect(result._tag === "Right" && Redacted.value(result.right)).toBe("pat_plain_5678")
    }))

  it.effect.each([
    [{ SecretString: JSON.stringify({ TOKEN: "pat_wrong_key" }) }, "missing-key"],
    [{ SecretString: JSON.stringify({ JSONAIR_PAT: 42 }) }, "missing-key"],
    [{ SecretBinary: new Uint8Array([1, 2, 3]) }, "binary"],
    [{ SecretString: "   " }, "empty"],
    [{}, "empty"]
  ] as const)("rejects %j as %s", ([value, reason]) =>
    Effect.gen(function*() {
      const result = yield* pat(value)
      expect(result._tag).toBe("Left")
      if (result._tag !== "Left") return
      expect(result.left.reason).toBe(reason)
      expect(result.left.message).toContain("highvolt/jsonair-pat")
      expect(result.left.message).not.toContain("pat_wrong_key")
    }))

  it.effect("the test layer reports an unknown secret as not-found", () =>
    Effect.gen(function*() {
      const secrets = yield* Secrets
      const result = yield* Effect.either(secrets.jsonairPat("nope"))
      expect(result._tag === "Left" && result.left.reason).toBe("not-found")
    }).pipe(Effect.provide(Secrets.test({}))))
})

describe("Secrets.make", () => {
  it.effect("a GetSecretValue that does not answer is given up after 10 s and tried again", () =>
    Effect.gen(function*() {
      const asked: Array<string | undefined> = []
      const client: SecretsApi = {
        send: (command: GetSecretValueCommand, { abortSignal }) => {
          asked.push(command.input.SecretId)
          return asked.length === 1 ? hangUntilAborted(abortSignal) : Promise.resolve({ $metadata: {}, SecretString: "pat_after_a_hang" })
        }
      }
      const fiber = yield* Effect.fork(make(client).jsonairPat("highvolt/jsonair-pat"))
      for (let s = 0; s < 9; s++) yield* TestClock.adjust("1 second")
      expect(asked).toHaveLength(1)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      for (let s = 0; s < 5; s++) yield* TestClock.adjust("1 second")
      expect(Redacted.value(yield* Fiber.join(fiber))).toBe("pat_after_a_hang")
      expect(asked).toEqual(["highvolt/jsonair-pat", "highvolt/jsonair-pat"])
    }))
})
