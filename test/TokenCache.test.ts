import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Redacted, Ref, TestClock } from "effect"
import * as TokenCache from "../src/TokenCache.js"

class Unauthorized {
  readonly _tag = "Unauthorized"
}

const setup = Effect.gen(function*() {
  const logins = yield* Ref.make(0)
  const login = Effect.gen(function*() {
    const n = yield* Ref.updateAndGet(logins, (x) => x + 1)
    yield* Effect.sleep("10 millis") // a login takes time: concurrent callers must wait for it, not start their own
    return { jwt: Redacted.make(`jwt-${n}`), refreshAt: 60_000 }
  })
  const cache = yield* TokenCache.make(login, (e) => e instanceof Unauthorized)
  return { logins, cache }
})

const run = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust("1 second")
    return yield* Fiber.join(fiber)
  })

describe("TokenCache", () => {
  it.effect("concurrent callers share one login", () =>
    Effect.gen(function*() {
      const { cache, logins } = yield* setup
      const tokens = yield* run(Effect.all(Array.from({ length: 20 }, () => cache.current), { concurrency: "unbounded" }))
      expect(new Set(tokens.map((t) => Redacted.value(t.jwt)))).toEqual(new Set(["jwt-1"]))
      expect(yield* Ref.get(logins)).toBe(1)
    }))

  it.effect("a token due for refresh is replaced", () =>
    Effect.gen(function*() {
      const { cache, logins } = yield* setup
      yield* run(cache.current)
      yield* TestClock.adjust("2 minutes")
      const token = yield* run(cache.current)
      expect(Redacted.value(token.jwt)).toBe("jwt-2")
      expect(yield* Ref.get(logins)).toBe(2)
    }))

  it.effect("401 drops the token, logs in once more and retries once", () =>
    Effect.gen(function*() {
      const { cache, logins } = yield* setup
      const seen: Array<string> = []
      const result = yield* run(cache.authorized((jwt) => {
        seen.push(Redacted.value(jwt))
        return Redacted.value(jwt) === "jwt-1" ? Effect.fail(new Unauthorized()) : Effect.succeed("ok")
      }))
      expect(result).toBe("ok")
      expect(seen).toEqual(["jwt-1", "jwt-2"])
      expect(yield* Ref.get(logins)).toBe(2)
    }))

  it.effect("a 401 after the refresh is returned, not looped on", () =>
    Effect.gen(function*() {
      const { cache, logins } = yield* setup
      const attempts = yield* Ref.make(0)
      const result = yield* run(Effect.either(cache.authorized(() => Effect.zipRight(Ref.update(attempts, (n) => n + 1), Effect.fail(new Unauthorized())))))
      expect(result._tag).toBe("Left")
      expect(yield* Ref.get(attempts)).toBe(2)
      expect(yield* Ref.get(logins)).toBe(2)
    }))

  it.effect("many concurrent 401s on the same expired token cause a single re-login", () =>
    Effect.gen(function*() {
      const { cache, logins } = yield* setup
      const use = cache.authorized((jwt) => Redacted.value(jwt) === "jwt-1" ? Effect.fail(new Unauthorized()) : Effect.succeed(Redacted.value(jwt)))
      const results = yield* run(Effect.all(Array.from({ length: 50 }, () => use), { concurrency: "unbounded" }))
      expect(new Set(results)).toEqual(new Set(["jwt-2"]))
      expect(yield* Ref.get(logins)).toBe(2)
    }))
})
