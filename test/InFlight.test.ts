import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import type { Sha256 } from "../src/Domain.js"
import { InFlight } from "../src/InFlight.js"

const sha = "b".repeat(64) as Sha256

describe("InFlight", () => {
  it.live("concurrent work on one SHA256 runs once; the others are duplicates", () =>
    Effect.gen(function*() {
      const inFlight = yield* InFlight
      const runs = yield* Ref.make(0)
      const work = Ref.update(runs, (n) => n + 1).pipe(Effect.zipRight(Effect.sleep("20 millis")), Effect.as("submitted" as const))
      const verdicts = yield* Effect.all(Array.from({ length: 10 }, () => inFlight.once(sha, work)), { concurrency: "unbounded" })
      expect(yield* Ref.get(runs)).toBe(1)
      expect(verdicts.filter((v) => v === "submitted")).toHaveLength(1)
      expect(verdicts.filter((v) => v === "duplicate")).toHaveLength(9)
      // Once finished, the same hash is free again: the server decides from now on.
      expect(yield* inFlight.once(sha, work)).toBe("submitted")
    }).pipe(Effect.provide(InFlight.layer)))

  it.live("when the first fails, a waiter does the work itself", () =>
    Effect.gen(function*() {
      const inFlight = yield* InFlight
      const runs = yield* Ref.make(0)
      const work = Ref.updateAndGet(runs, (n) => n + 1).pipe(
        Effect.tap(() => Effect.sleep("20 millis")),
        Effect.flatMap((n) => n === 1 ? Effect.fail("queue full") : Effect.succeed("submitted" as const))
      )
      const results = yield* Effect.all([Effect.either(inFlight.once(sha, work)), Effect.either(inFlight.once(sha, work))], { concurrency: "unbounded" })
      expect(results.map((r) => r._tag)).toEqual(["Left", "Right"])
      expect(yield* Ref.get(runs)).toBe(2)
    }).pipe(Effect.provide(InFlight.layer)))
})
