/**
 * The invocation's deadline. Lambda kills a function at its timeout without a word; we stop
 * earlier, on our own terms, so the event fails visibly (and is retried) instead of vanishing.
 * The deadline lives in a FiberRef so that retry policies deep inside services can respect it
 * without every service method requiring it in its environment.
 */
import { Clock, Duration, Effect, FiberRef, Option, Schema } from "effect"
import { timeoutFail } from "./internal/timeout.js"

/** Epoch milliseconds by which the current event must have finished, if any. */
export const currentDeadline: FiberRef.FiberRef<Option.Option<number>> = FiberRef.unsafeMake(Option.none())

/** Raised when an event could not finish before its deadline; the event is failed, not lost. */
export class DeadlineExceeded extends Schema.TaggedError<DeadlineExceeded>()("DeadlineExceeded", {
  budgetMs: Schema.Number
}) {
  override get message() {
    return `the event did not finish within its time budget of ${this.budgetMs} ms`
  }
}

/** Milliseconds left before the current deadline; `None` when no deadline is set. */
export const remaining: Effect.Effect<Option.Option<number>> = Effect.gen(function*() {
  const deadline = yield* FiberRef.get(currentDeadline)
  if (Option.isNone(deadline)) return Option.none()
  const now = yield* Clock.currentTimeMillis
  return Option.some(deadline.value - now)
})

/** True when waiting `delay` still leaves time before the deadline for another attempt. */
export const leavesTimeFor = (delay: Duration.Duration): Effect.Effect<boolean> =>
  Effect.map(remaining, Option.match({ onNone: () => true, onSome: (ms) => ms > Duration.toMillis(delay) }))

/**
 * Runs `self` under a budget of `budgetMs`: retries inside it stop before the deadline, and
 * the whole effect fails with `DeadlineExceeded` (interrupting what is in flight) when it is reached.
 */
export const within = (budgetMs: number) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | DeadlineExceeded, R> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    // No time left: fail before starting, rather than race a zero timer against fast work.
    budgetMs <= 0 ? Effect.fail(new DeadlineExceeded({ budgetMs: 0 })) : self.pipe(
      timeoutFail({ duration: Duration.millis(Math.max(0, budgetMs)), onTimeout: () => new DeadlineExceeded({ budgetMs }) }),
      Effect.locally(currentDeadline, Option.some(now + budgetMs))
    ))

/** Like `within`, with the deadline given as epoch milliseconds. */
export const until = (deadline: number) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | DeadlineExceeded, R> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => within(deadline - now)(self))
