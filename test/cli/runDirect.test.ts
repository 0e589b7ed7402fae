import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runDirect } from "../../src/cli/Backfill.js"
import { load } from "../../src/cli/Checkpoint.js"
import { Listing } from "../../src/cli/Listing.js"
import { transferProgress } from "../../src/cli/Progress.js"
import type { Region } from "../../src/Domain.js"
import type { Outcome } from "../../src/Outcome.js"
import { makeScanLayer, memberAccount } from "../helpers/scanLayer.js"

const region = "eu-west-1" as Region
const keys = Array.from({ length: 24 }, (_, i) => `k${String(i).padStart(2, "0")}.txt`)

/** One bucket listed in one page, in key order, as S3 lists. */
const listing = Layer.succeed(Listing, {
  buckets: () => Effect.succeed(["reports"]),
  page: () =>
    Effect.succeed({
      objects: keys.map((key) => ({ key, size: 5, etag: Option.none(), lastModified: Option.none(), storageClass: "STANDARD" })),
      next: Option.none()
    })
})

/** The keys the checkpoint file on disk holds as settled (its low-water mark covers the keys up to it). */
const settledOnDisk = (path: string): ReadonlyArray<string> => {
  const stored = JSON.parse(readFileSync(path, "utf8")) as { buckets: Record<string, { lowWater: string | null; above: Array<string> }> }
  return Object.values(stored.buckets).flatMap((b) => [...keys.filter((k) => b.lowWater !== null && k <= b.lowWater), ...b.above])
}

describe("runDirect", () => {
  it.live("reports the outcomes a checkpoint write covers all in one call, right after it: nothing saved is left unreported", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "backfill-"))
      const path = join(dir, "checkpoint.json")
      const { layer } = yield* makeScanLayer(Object.fromEntries(keys.map((key) => [`reports/${key}`, { bytes: Buffer.from("hello") }])))
      const checkpoint = yield* load(path, { accounts: [memberAccount], regions: [region], buckets: [], prefix: "" })
      const reported: Array<string> = []
      const calls: Array<number> = []
      const unreportedWhenCalled: Array<ReadonlyArray<string>> = []
      yield* runDirect([{ account: memberAccount, region, bucket: "reports" }], "", {
        concurrency: 6,
        objectBudgetMs: 60_000,
        checkpoint,
        progress: transferProgress(false),
        onOutcomes: (outcomes: ReadonlyArray<Outcome>) =>
          Effect.sync(() => {
            calls.push(outcomes.length)
            reported.push(...outcomes.map((o) => o.key ?? "?"))
            // A kill after this call must lose no line of what the file holds as settled.
            unreportedWhenCalled.push(settledOnDisk(path).filter((k) => !reported.includes(k)))
          })
      }).pipe(Effect.provide(Layer.merge(layer, listing)), Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))
      expect(unreportedWhenCalled.filter((left) => left.length > 0)).toEqual([])
      expect([...reported].sort()).toEqual(keys)
      // Scans that end during a write are saved, and reported, together by the next one.
      expect(Math.max(...calls)).toBeGreaterThan(1)
    }))
})
