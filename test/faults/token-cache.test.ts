/**
 * The token cache under a failing login (TestClock): callers that arrive while a login is in
 * flight share its result — a failure too — instead of each logging in again once it failed;
 * a login interrupted with the event that started it is not taken as an answer by the others.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Fiber, Redacted, Ref, TestClock } from "effect"
import * as TokenCache from "../../src/TokenCache.js"

class RateLimited {
  readonly _tag = "RateLimited"
}

describe("TokenCache with a failing login", () => {
  it.effect("a failed login is the answer of every caller that waited for it: one attempt, not one per caller", () =>
    Effect.gen(function*() {
      const logins = yield* Ref.make(0)
      const login = Ref.update(logins, (n) => n + 1).pipe(
        Effect.zipRight(Effect.sleep("3 seconds")),
        Effect.zipRight(Effect.fail(new RateLimited()))
      )
      const cache = yield* TokenCache.make<RateLimited>(login, () => false)
      const fiber = yield* Effect.fork(Effect.all(Array.from({ length: 20 }, () => Effect.either(cache.current)), { concurrency: "unbounded" }))
      yield* TestClock.adjust("10 seconds")
      const results = yield* Fiber.join(fiber)
      expect(results.every(Either.isLeft)).toBe(true)
      expect(yield* Ref.get(logins)).toBe(1)
      // A caller that comes later tries again.
      const later = yield* Effect.fork(Effect.either(cache.current))
      yield* TestClock.adjust("10 seconds")
      expect(Either.isLeft(yield* Fiber.join(later))).toBe(true)
      expect(yield* Ref.get(logins)).toBe(2)
    }))

  it.effect("a login interrupted with its caller: the waiting callers log in themselves, once", () =>
    Effect.gen(function*() {
      const logins = yield* Ref.make(0)
      const started = yield* Deferred.make<void>()
      const login = Effect.gen(function*() {
        const n = yield* Ref.updateAndGet(logins, (x) => x + 1)
        yield* Deferred.succeed(started, undefined)
        yield* Effect.sleep("1 second")
        return { jwt: Redacted.make(`jwt-${n}`), refreshAt: Number.MAX_SAFE_INTEGER }
      })
      const cache = yield* TokenCache.make(login, () => false)
      const first = yield* Effect.fork(cache.current)
      yield* Deferred.await(started)
      const waiters = yield* Effect.fork(Effect.all(Array.from({ length: 5 }, () => cache.current), { concurrency: "unbounded" }))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(first)
      yield* TestClock.adjust("5 seconds")
      const tokens = yield* Fiber.join(waiters)
      expect(new Set(tokens.map((t) => Redacted.value(t.jwt)))).toEqual(new Set(["jwt-2"]))
      expect(yield* Ref.get(logins)).toBe(2)
    }))
})
