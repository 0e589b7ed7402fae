/** highvolt-server's bounded analysis queue: submissions wait in it, a full queue means 503. */
import { Effect, type Scope } from "effect"

export interface QueueControls {
  /** Submissions waiting now. */
  readonly length: () => number
  readonly depth: () => number
  readonly setDepth: (depth: number) => void
  /** Fills the queue to its depth: every submit answers 503 until it drains. */
  readonly fill: () => void
  /** Analyses `count` waiting submissions (all by default). */
  readonly drain: (count?: number) => void
}

export interface Queue extends QueueControls {
  /** Enqueues one submission; false when full. */
  readonly offer: () => boolean
}

/** A queue that loses one item every `drainEveryMs` (if not null) until the scope closes. */
export const makeQueue = (initialDepth: number, drainEveryMs: number | null): Effect.Effect<Queue, never, Scope.Scope> =>
  Effect.gen(function*() {
    let depth = initialDepth
    let length = 0
    if (drainEveryMs !== null) {
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          const timer = setInterval(() => {
            if (length > 0) length -= 1
          }, drainEveryMs)
          timer.unref()
          return timer
        }),
        (timer) => Effect.sync(() => clearInterval(timer))
      )
    }
    return {
      length: () => length,
      depth: () => depth,
      setDepth: (next) => {
        depth = next
      },
      fill: () => {
        length = depth
      },
      drain: (count = length) => {
        length = Math.max(0, length - count)
      },
      offer: () => {
        if (length >= depth) return false
        length += 1
        return true
      }
    }
  })
