/**
 * Where outcomes go as events end (not when the batch ends, so that what was done is on
 * record even if the container dies). In Lambda: one EMF JSON line per event on stdout.
 */
import { Clock, Console, Context, Effect, Layer, Ref } from "effect"
import { emfDocument } from "./Metrics.js"
import type { Outcome } from "./Outcome.js"

export class OutcomeLog extends Context.Tag("highvolt/OutcomeLog")<OutcomeLog, {
  readonly record: (outcome: Outcome) => Effect.Effect<void>
}>() {
  /** One EMF line per outcome on stdout, where Lambda's log agent picks it up. */
  static readonly layer = Layer.succeed(OutcomeLog, {
    record: (outcome) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => Console.log(JSON.stringify(emfDocument(outcome, now))))
  })

  /** Collects outcomes in memory, for tests. */
  static readonly test = (recorded: Ref.Ref<ReadonlyArray<Outcome>>) =>
    Layer.succeed(OutcomeLog, { record: (outcome) => Ref.update(recorded, (all) => [...all, outcome]) })
}
