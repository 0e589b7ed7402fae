/**
 * Replays items through the very per-event program the Lambda runs (`scanItem`), a few at a
 * time. Whatever an item is — unreadable JSON, an undecodable event, an event that fails — it
 * ends as outcomes, reported to `onOutcome` as they come.
 */
import { Clock, Effect } from "effect"
import { Credentials } from "../Credentials.js"
import { decodeReplayItem } from "../Events.js"
import type { Outcome } from "../Outcome.js"
import { scanItem, type ScanServices } from "../Scan.js"
import type { ReplayItem } from "./ReplayInput.js"

/** Lambda's longest timeout: by default no event runs longer than it could there. */
export const DefaultEventBudgetMs = 900_000

export interface ReplayOptions {
  readonly concurrency: number
  /**
   * How long one event may take, from the start of its scan (default `DefaultEventBudgetMs`);
   * past it, the event fails with `DeadlineExceeded` (retries inside stop before it), as it
   * would in the Lambda.
   */
  readonly eventBudgetMs?: number
  readonly onOutcome: (outcome: Outcome) => Effect.Effect<void>
  /** Called once per input item, after its outcomes (for progress). */
  readonly onItem?: Effect.Effect<void>
}

const failed = (label: string, tag: string, message: string): Outcome => ({
  eventId: label,
  ms: 0,
  source: "realtime",
  outcome: "failed",
  error: { tag, message: `${label}: ${message}`, transient: false }
})

export const replay = (
  items: ReadonlyArray<ReplayItem>,
  options: ReplayOptions
): Effect.Effect<ReadonlyArray<Outcome>, never, ScanServices | Credentials> =>
  Effect.gen(function*() {
    const { ownAccount } = yield* Credentials
    const budgetMs = options.eventBudgetMs ?? DefaultEventBudgetMs
    const outcomesOf = (item: ReplayItem): Effect.Effect<ReadonlyArray<Outcome>, never, ScanServices> => {
      if (item.value._tag === "Left") return Effect.succeed([failed(item.label, "InvalidJson", item.value.left)])
      return decodeReplayItem(item.value.right, { ownAccount }).pipe(
        Effect.flatMap((events) =>
          Effect.forEach(events, (event) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) => scanItem(event, { deadline: now + budgetMs })))
        ),
        Effect.catchTag("InvalidEvent", (error) => Effect.succeed([failed(item.label, error._tag, error.message)]))
      )
    }
    const perItem = yield* Effect.forEach(
      items,
      (item) =>
        outcomesOf(item).pipe(
          Effect.tap((outcomes) => Effect.forEach(outcomes, options.onOutcome, { discard: true })),
          Effect.tap(() => options.onItem ?? Effect.void)
        ),
      { concurrency: options.concurrency }
    )
    return perItem.flat()
  }).pipe(Effect.withSpan("Replay.replay"))
