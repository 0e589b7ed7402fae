/**
 * Concurrent events with identical bytes (one file copied to several buckets at once) share
 * one query-and-submit per container: the first does the work, the others wait for it and end
 * as duplicates. If the first fails or is interrupted, a waiter does the work itself.
 */
import { Context, Deferred, Effect, Exit, FiberId, Layer } from "effect"
import type { Sha256 } from "./Domain.js"

export type Verdict = "submitted" | "duplicate"

export class InFlight extends Context.Tag("highvolt/InFlight")<InFlight, {
  readonly once: <E, R>(sha256: Sha256, work: Effect.Effect<Verdict, E, R>) => Effect.Effect<Verdict, E, R>
}>() {
  static readonly layer = Layer.sync(InFlight, () => {
    const running = new Map<string, Deferred.Deferred<void, unknown>>()
    // Uninterruptible from the check to the exit handler being in place (interruptible again
    // while waiting or working): an interruption between registering and attaching the handler
    // would leave every later event with these bytes waiting for work that nobody runs.
    const once = <E, R>(sha256: Sha256, work: Effect.Effect<Verdict, E, R>): Effect.Effect<Verdict, E, R> =>
      Effect.uninterruptibleMask((restore) => {
        const leader = running.get(sha256)
        if (leader !== undefined) {
          return restore(Deferred.await(leader).pipe(
            Effect.as<Verdict>("duplicate"),
            Effect.catchAllCause(() => once(sha256, work))
          ))
        }
        // Checked and registered synchronously: no other fiber can slip in between.
        const done = Deferred.unsafeMake<void, unknown>(FiberId.none)
        running.set(sha256, done)
        return restore(work).pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => running.delete(sha256)).pipe(Effect.zipRight(Deferred.done(done, Exit.asVoid(exit))))
          )
        )
      })
    return { once }
  })
}
