import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, FiberRef, Supervisor, TestClock } from "effect"
import { timeoutFail } from "../src/internal/timeout.js"

const timedOut = () => ({ _tag: "TimedOut" as const })
const within = (millis: number) => timeoutFail({ duration: `${millis} millis`, onTimeout: timedOut })

describe("timeoutFail (live clock)", () => {
  it.live("an effect that ends in time gives its value, and its FiberRef changes are kept", () =>
    Effect.gen(function*() {
      const ref = FiberRef.unsafeMake(0)
      const value = yield* FiberRef.set(ref, 7).pipe(Effect.as("done"), within(60_000))
      expect({ value, ref: yield* FiberRef.get(ref) }).toEqual({ value: "done", ref: 7 })
    }))

  it.live("an effect that fails in time fails with its own error", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.fail("boom").pipe(within(60_000)))
      expect(exit).toEqual(Exit.fail("boom"))
    }))

  it.live("when the time runs out, the effect is interrupted (its finalizers done) before onTimeout's error", () =>
    Effect.gen(function*() {
      const order: Array<string> = []
      const exit = yield* Effect.exit(
        Effect.never.pipe(
          Effect.onInterrupt(() => Effect.sleep("20 millis").pipe(Effect.zipRight(Effect.sync(() => order.push("finalizer"))))),
          within(10)
        )
      )
      order.push("result")
      expect({ exit, order }).toEqual({ exit: Exit.fail({ _tag: "TimedOut" }), order: ["finalizer", "result"] })
    }))

  it.live("interrupting the caller interrupts the effect, whose interruption is the result", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(
        Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)),
          within(60_000)
        )
      )
      yield* Deferred.await(started)
      const exit = yield* Fiber.interrupt(fiber)
      expect(yield* Deferred.isDone(interrupted)).toBe(true)
      expect(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)).toBe(true)
    }))

  it.live("forks one fiber, where Effect.timeoutFail forks two", () =>
    Effect.gen(function*() {
      const forks = (effect: Effect.Effect<unknown, unknown>) =>
        Effect.gen(function*() {
          let started = 0
          class Counting extends Supervisor.AbstractSupervisor<void> {
            value = Effect.void
            override onStart() {
              started++
            }
          }
          yield* Effect.exit(effect.pipe(Effect.supervised(new Counting())))
          return started
        })
      const ours = yield* forks(Effect.succeed(1).pipe(within(60_000)))
      const effects = yield* forks(Effect.succeed(1).pipe(Effect.timeoutFail({ duration: "60 seconds", onTimeout: timedOut })))
      expect({ ours, effects }).toEqual({ ours: 1, effects: 2 })
    }))

  it.live("a delay beyond what a JS timer takes never fires, as Effect's clock", () =>
    Effect.gen(function*() {
      expect(yield* Effect.succeed(1).pipe(timeoutFail({ duration: "365 days", onTimeout: timedOut }))).toBe(1)
    }))
})

describe("timeoutFail (TestClock)", () => {
  it.effect("follows the test clock, as Effect.timeoutFail does", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.exit(Effect.never.pipe(within(5_000))))
      yield* TestClock.adjust("4999 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 milli")
      expect(yield* Fiber.join(fiber)).toEqual(Exit.fail({ _tag: "TimedOut" }))
    }))
})
