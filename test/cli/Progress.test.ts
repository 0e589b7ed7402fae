import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { lambdaMs, estimate } from "../../src/cli/CostModel.js"
import { formatBytes, transferProgress } from "../../src/cli/Progress.js"

const fakeTerminal = () => {
  const written: Array<string> = []
  return { written, stream: { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream }
}

describe("transferProgress", () => {
  it.effect("draws objects and bytes done / total, rates and, once the listing is done, the ETA", () =>
    Effect.gen(function*() {
      const { stream, written } = fakeTerminal()
      let now = 0
      const bar = transferProgress(true, stream, () => now)
      now = 1000
      yield* bar.listed(10, 10_000_000)
      expect(written.at(-1)).toMatch(/0\/10\+ objects, 0 B\/10\.0 MB\+/)
      now = 2000
      yield* bar.advance(5, 5_000_000)
      yield* bar.listingDone
      // 5 MB in 2 s: 2.5 MB/s, 5 MB to go: 2 s.
      expect(written.at(-1)).toMatch(/\[#{12} {12}\] 5\/10 objects, 5\.0 MB\/10\.0 MB, 2\.5 obj\/s, 2\.5 MB\/s ETA 0:02$/)
      yield* bar.finish
      expect(written.at(-1)).toBe("\r\x1b[2K")
    }))

  it.effect("draws nothing when disabled (--json) or when stderr is not a terminal", () =>
    Effect.gen(function*() {
      const { stream, written } = fakeTerminal()
      const bar = transferProgress(false, stream)
      yield* bar.listed(1, 1)
      yield* bar.advance(1, 1)
      yield* bar.finish
      const pipe = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream
      yield* transferProgress(true, pipe).advance(1, 1)
      expect(written).toEqual([])
    }))

  it("formats bytes in decimal units", () => {
    expect([formatBytes(999), formatBytes(1500), formatBytes(2_500_000_000)]).toEqual(["999 B", "1.5 KB", "2.5 GB"])
  })
})

describe("CostModel", () => {
  it("reproduces the cost model's table (terraform/README.md): 1 MiB objects take 165.5 ms, a million cost $2.21 of compute", () => {
    expect(lambdaMs(1024 * 1024)).toBeCloseTo(165.55, 1)
    const million = estimate({ objects: 1_000_000, bytes: 1_000_000 * 1024 * 1024, listRequests: 1000 })
    // compute 2.21 + requests 0.20 + logs 0.60 (1.2 KB each at $0.50/GB)
    expect(million.lambdaUsd).toBeCloseTo(2.21 + 0.2 + 0.6, 1)
    expect(million.directRequestsUsd).toBeCloseTo(0.4 + 0.005, 3)
    expect(million.directTransferOutUsd).toBeCloseTo(1.048576 * 1000 * 0.09, 1)
  })
})
