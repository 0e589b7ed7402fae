import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Redacted, Ref, TestClock } from "effect"
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

  describe("every token revoked while calls are in flight", () => {
    // A server that numbers its tokens and, from `revoke()` on, refuses every one issued so far.
    const revokingServer = Effect.gen(function*() {
      let issued = 0
      let validFrom = 1
      const logins = yield* Ref.make(0)
      const login = Effect.gen(function*() {
        yield* Ref.update(logins, (n) => n + 1)
        const n = ++issued
        yield* Effect.sleep("1 second")
        const now = yield* Clock.currentTimeMillis
        return { jwt: Redacted.make(`jwt-${n}`), refreshAt: now + 10_000 }
      })
      const number = (jwt: Redacted.Redacted<string>) => Number(Redacted.value(jwt).slice(4))
      // The answer comes after `ms`, and the token is checked then.
      const call = (ms: number) => (jwt: Redacted.Redacted<string>) =>
        Effect.sleep(ms).pipe(Effect.zipRight(Effect.suspend(() =>
          number(jwt) >= validFrom ? Effect.succeed(Redacted.value(jwt)) : Effect.fail(new Unauthorized())
        )))
      const revoke = () => (validFrom = issued + 1)
      const cache = yield* TokenCache.make(login, (e) => e instanceof Unauthorized)
      return { cache, logins, call, revoke }
    })

    it.effect("a login that started before the 401 (a refresh) may hold a revoked token: the retry waits for a newer one", () =>
      Effect.gen(function*() {
        const { cache, call, logins, revoke } = yield* revokingServer
        yield* run(cache.current) // jwt-1, due for refresh at 11 s
        yield* TestClock.adjust("9 seconds") // 10 s
        const slow = yield* Effect.fork(cache.authorized(call(3_000))) // answered at 13 s
        yield* TestClock.adjust("1500 millis") // 11.5 s: jwt-1 due, a refresh login starts
        const refresh = yield* Effect.fork(cache.current)
        yield* TestClock.adjust("100 millis")
        revoke() // jwt-1 and the refresh's jwt-2 are both dead
        yield* TestClock.adjust("10 seconds")
        expect(Redacted.value((yield* Fiber.join(refresh)).jwt)).toBe("jwt-2")
        expect(yield* Fiber.join(slow)).toBe("jwt-3")
        expect(yield* Ref.get(logins)).toBe(3)
      }))

    it.effect("a 401 with a token another call's 401 already replaced: retried with the new token, no login of its own", () =>
      Effect.gen(function*() {
        const { cache, call, logins, revoke } = yield* revokingServer
        yield* run(cache.current)
        const slow = yield* Effect.fork(cache.authorized(call(5_000)))
        const fast = yield* Effect.fork(cache.authorized(call(100)))
        revoke()
        yield* TestClock.adjust("10 seconds")
        expect(yield* Fiber.join(fast)).toBe("jwt-2")
        expect(yield* Fiber.join(slow)).toBe("jwt-2")
        expect(yield* Ref.get(logins)).toBe(2)
      }))

    it.effect("50 calls in flight of every latency: all succeed on one re-login", () =>
      Effect.gen(function*() {
        const { cache, call, logins, revoke } = yield* revokingServer
        yield* run(cache.current)
        const calls = yield* Effect.fork(Effect.all(Array.from({ length: 50 }, (_, i) => cache.authorized(call(50 * (i % 7)))), { concurrency: "unbounded" }))
        yield* TestClock.adjust("20 millis")
        revoke()
        yield* TestClock.adjust("10 seconds")
        const results = yield* Fiber.join(calls)
        expect(results.filter((jwt) => jwt !== "jwt-2" && jwt !== "jwt-1")).toEqual([])
        expect(yield* Ref.get(logins)).toBe(2)
      }))
  })
})

