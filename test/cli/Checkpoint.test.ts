import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BucketTracker, Checkpoint, load, type Scope } from "../../src/cli/Checkpoint.js"

const scope: Scope = { accounts: ["111111111111"], regions: ["eu-west-1"], buckets: [], prefix: "" }
const ref = { account: "111111111111", region: "eu-west-1", bucket: "b" }
const tempDir = () => mkdtempSync(join(tmpdir(), "hv-checkpoint-"))

describe("BucketTracker", () => {
  it("moves the low-water mark over the settled prefix of the listing, keeping later settled keys above it", () => {
    const t = new BucketTracker()
    for (const key of ["a", "b", "c", "d"]) t.dispatch(key)
    t.settle("b")
    t.settle("d")
    expect(t.snapshot()).toEqual({ lowWater: null, above: ["b", "d"], failed: {}, complete: false })
    t.settle("a")
    expect(t.snapshot()).toMatchObject({ lowWater: "b", above: ["d"] })
    t.settle("c", "ObjectError: boom")
    t.listingEnded()
    expect(t.snapshot()).toEqual({ lowWater: "d", above: [], failed: { c: "ObjectError: boom" }, complete: true })
  })

  it("is complete only once the listing ended and every key settled", () => {
    const t = new BucketTracker()
    t.dispatch("a")
    t.listingEnded()
    expect(t.isComplete).toBe(false)
    t.settle("a")
    expect(t.isComplete).toBe(true)
  })

  it("a failed key that succeeds on retry is no longer failed", () => {
    const t = new BucketTracker({ lowWater: "z", above: [], failed: { k: "SlowDown" }, complete: true })
    t.retried("k")
    expect(t.failures.size).toBe(0)
    t.retried("k", "again")
    expect([...t.failures]).toEqual([["k", "again"]])
  })

  it("property: however scans finish and wherever the run stops, resuming settles every key exactly once", () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(3, "0")}`)
    fc.assert(fc.property(
      fc.array(fc.nat(), { minLength: keys.length, maxLength: keys.length }),
      fc.nat({ max: keys.length }),
      fc.integer({ min: 1, max: 8 }),
      (priorities, stopAfter, concurrency) => {
        const scanned: Array<string> = []
        // Run 1: dispatch in order, `concurrency` in flight, finishing in an arbitrary order; stop after `stopAfter` settle.
        const first = new BucketTracker()
        const inFlight: Array<string> = []
        let next = 0
        let settled = 0
        while (settled < stopAfter) {
          while (inFlight.length < concurrency && next < keys.length) {
            first.dispatch(keys[next]!)
            inFlight.push(keys[next++]!)
          }
          if (inFlight.length === 0) break
          inFlight.sort((a, b) => priorities[keys.indexOf(a)]! - priorities[keys.indexOf(b)]!)
          const key = inFlight.shift()!
          first.settle(key)
          scanned.push(key)
          settled += 1
        }
        if (next === keys.length && inFlight.length === 0) first.listingEnded()
        // Run 2: from the stored snapshot, list after the mark and skip what is settled.
        const second = new BucketTracker(JSON.parse(JSON.stringify(first.snapshot())))
        if (!second.isComplete) {
          const start = second.startAfter === undefined ? 0 : keys.indexOf(second.startAfter) + 1
          for (const key of keys.slice(start)) {
            if (second.isSettled(key)) continue
            second.dispatch(key)
            second.settle(key)
            scanned.push(key)
          }
          second.listingEnded()
        }
        expect([...scanned].sort()).toEqual(keys)
        expect(second.isComplete).toBe(true)
      }
    ), { numRuns: 300 })
  })
})

describe("Checkpoint file", () => {
  it.effect("saves atomically (no temporary file left) and loads back what it saved", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const path = join(dir, "cp.json")
      const cp = yield* load(path, scope)
      const t = cp.bucket(ref)
      t.dispatch("a")
      t.dispatch("b")
      t.settle("b", "ObjectError: denied")
      yield* cp.save()
      expect(readdirSync(dir)).toEqual(["cp.json"])
      const again = yield* load(path, scope)
      expect(again.bucket(ref).snapshot()).toEqual({ lowWater: null, above: ["b"], failed: { b: "ObjectError: denied" }, complete: false })
      expect(again.failures()).toEqual([{ id: "111111111111/eu-west-1/b", key: "b", error: "ObjectError: denied" }])
      rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("refuses a file of another scope, a damaged file and a file that is not a checkpoint, naming the problem", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const path = join(dir, "cp.json")
      yield* new Checkpoint(path, scope).save()
      const other = yield* Effect.exit(load(path, { ...scope, prefix: "logs/" }))
      expect(Exit.isFailure(other) && String(other.cause)).toMatch(/was written for another backfill \(accounts 111111111111, regions eu-west-1\), not this one \(.*prefix "logs\/"\)/)
      writeFileSync(path, "{\"version\":1,\"scope\":")
      const damaged = yield* Effect.exit(load(path, scope))
      expect(Exit.isFailure(damaged) && String(damaged.cause)).toMatch(/not valid JSON/)
      writeFileSync(path, "{\"hello\":1}")
      const foreign = yield* Effect.exit(load(path, scope))
      expect(Exit.isFailure(foreign) && String(foreign.cause)).toMatch(/not a backfill checkpoint/)
      expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ hello: 1 })
      rmSync(dir, { recursive: true, force: true })
    }))
})
