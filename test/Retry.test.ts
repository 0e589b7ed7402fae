import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, Ref, TestClock } from "effect"
import * as Deadline from "../src/Deadline.js"
import * as Retry from "../src/Retry.js"

class Failure {
  readonly _tag = "Failure"
  constructor(readonly transient: boolean, readonly retryAfter: Option.Option<Duration.Duration> = Option.none()) {}
}

/** Runs `failing` under `transientRetry`, recording the clock at each attempt. */
const attemptsOf = (failure: Failure, wrap: <A, E>(e: Effect.Effect<A, E>) => Effect.Effect<A, unknown> = (e) => e) =>
  Effect.gen(function*() {
    const times = yield* Ref.make<ReadonlyArray<number>>([])
    const failing = Effect.flatMap(TestClock.currentTimeMillis, (now) => Ref.update(times, (t) => [...t, now])).pipe(
      Effect.zipRight(Effect.fail(failure))
    )
    const fiber = yield* Effect.fork(Effect.either(wrap(Effect.retry(failing, Retry.transientRetry<Failure>()))))
    yield* TestClock.adjust("10 minutes")
    yield* Fiber.join(fiber)
    return yield* Ref.get(times)
  })

/** Gaps between attempts, in whole milliseconds (jittered delays are fractional and their sums drift). */
const gapsOf = (times: ReadonlyArray<number>) => times.slice(1).map((t, i) => Math.round(t - times[i]!))

describe("Retry.transientRetry", () => {
  it.effect("does not retry permanent failures", () =>
    Effect.gen(function*() {
      expect(yield* attemptsOf(new Failure(false))).toHaveLength(1)
    }))

  it.effect("retries transient failures 8 times with growing, capped delays", () =>
    Effect.gen(function*() {
      const times = yield* attemptsOf(new Failure(true))
      expect(times).toHaveLength(9)
      const gaps = gapsOf(times)
      expect(gaps[0]).toBeGreaterThanOrEqual(160) // 200 ms ± 20% jitter
      expect(gaps[0]).toBeLessThanOrEqual(240)
      expect(gaps[3]).toBeGreaterThan(gaps[0]! * 4)
      expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000)
    }))

  it.effect("waits at least the server's Retry-After", () =>
    Effect.gen(function*() {
      const times = yield* attemptsOf(new Failure(true, Option.some(Duration.seconds(7))))
      const gaps = gapsOf(times)
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(7_000)
    }))

  it.effect("honours a Retry-After of at most a minute", () =>
    Effect.gen(function*() {
      const times = yield* attemptsOf(new Failure(true, Option.some(Duration.hours(1))))
      const gaps = gapsOf(times)
      expect(gaps.length).toBeGreaterThan(0)
      expect(Math.max(...gaps)).toBe(60_000)
    }))

  it.effect("stops retrying when the next delay would pass the deadline", () =>
    Effect.gen(function*() {
      const times = yield* attemptsOf(new Failure(true), Deadline.within(3_000))
      expect(times.length).toBeGreaterThan(1)
      expect(times.length).toBeLessThan(9)
      expect(times[times.length - 1]!).toBeLessThan(3_000)
    }))

  it.effect("the deadline interrupts a stalled attempt with DeadlineExceeded", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.either(Deadline.within(5_000)(Effect.never)))
      yield* TestClock.adjust("6 seconds")
      const result = yield* Fiber.join(fiber)
      expect(result._tag === "Left" && result.left._tag).toBe("DeadlineExceeded")
    }))
})
