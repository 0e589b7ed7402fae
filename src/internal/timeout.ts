/**
 * `Effect.timeoutFail`, with one fiber instead of two. Effect's own races the effect against a
 * sleep, each in a fiber of its own (`raceFibersWith`): ~90 µs of CPU per call here, and a small
 * event makes five such calls (its deadline, and two bounds for each of the highvolt query and
 * submit). Under the live clock this runs the effect in one child fiber and times it with a
 * plain timer; under any other clock (`TestClock`) it is `Effect.timeoutFail` itself.
 *
 * The same semantics: the effect runs interruptibly in a child of the caller; if it ends first,
 * its exit is the result (on success the child's FiberRef changes are inherited); if the time
 * runs out first, the child is interrupted — its finalizers run to their end — and the result
 * is `onTimeout()`'s error. Waiting for either is uninterruptible, as in `Effect.timeoutFail`:
 * interrupting the caller interrupts the child, whose interruption is then the result.
 */
import { Clock, Duration, Effect, Exit, Fiber } from "effect"

/** The longest delay a JS timer takes; beyond it Effect's clock never fires, and neither does this. */
const MaxTimerMillis = 2 ** 31 - 1

const liveClock = Object.getPrototypeOf(Clock.make()) as object

export interface TimeoutOptions<E2> {
  readonly duration: Duration.DurationInput
  readonly onTimeout: () => E2
}

export const timeoutFail = <E2>(options: TimeoutOptions<E2>) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R> =>
  Effect.clockWith((clock) =>
    Object.getPrototypeOf(clock) === liveClock
      ? withTimer(self, Duration.toMillis(Duration.decode(options.duration)), options.onTimeout)
      : Effect.timeoutFail(self, options)
  )

const withTimer = <A, E, R, E2>(self: Effect.Effect<A, E, R>, millis: number, onTimeout: () => E2): Effect.Effect<A, E | E2, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.fork(restore(self)), (fiber) =>
      Effect.flatMap(
        // true when the effect ended first, false when the time ran out.
        Effect.async<boolean>((resume) => {
          let timer: ReturnType<typeof setTimeout> | undefined
          const ended = () => {
            if (timer !== undefined) clearTimeout(timer)
            resume(Effect.succeed(true))
          }
          if (millis <= MaxTimerMillis) {
            timer = setTimeout(() => {
              fiber.removeObserver(ended)
              resume(Effect.succeed(false))
            }, Math.max(0, millis))
          }
          fiber.addObserver(ended)
        }),
        (endedFirst): Effect.Effect<A, E | E2> =>
          endedFirst
            ? Effect.flatMap(Fiber.await(fiber), (exit) =>
              Exit.isSuccess(exit) ? Effect.as(Fiber.inheritAll(fiber), exit.value) : Effect.failCause(exit.cause))
            : Effect.zipRight(Fiber.interrupt(fiber), Effect.failSync(onTimeout))
      ))
  )
