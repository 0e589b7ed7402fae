import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { join } from "node:path"
import { lambdaNodeFlags } from "../bench/internal/processes.js"

const majorCollections = (mode: "default" | "tuned"): number => {
  const out = execFileSync(process.execPath, [...lambdaNodeFlags(1024), "--import", "tsx", join(import.meta.dirname, "helpers", "heapProbe.ts"), mode], {
    encoding: "utf8"
  })
  const result = JSON.parse(out) as { majors: number; touched: number }
  expect(result.touched).toBe(16384)
  return result.majors
}

describe("HeapTuning", () => {
  // Lambda's own node flags for a 1024 MB function (the Terraform default).
  it("cuts the full collections that 1 GiB of short-lived 64 KiB buffers causes under Lambda's flags", () => {
    // The collections come from V8's concurrent marking tasks, which a machine busy with other
    // test files may starve: the untuned probe runs up to three times, until it shows them.
    let untuned = majorCollections("default")
    for (let run = 1; run < 3 && untuned < 5; run++) untuned = Math.max(untuned, majorCollections("default"))
    const tuned = majorCollections("tuned")
    // Measured here: 10–13 untuned (4 once, under a full test run), 1–2 tuned.
    expect(untuned).toBeGreaterThanOrEqual(5)
    expect(tuned * 3).toBeLessThanOrEqual(untuned)
  }, 60_000)
})
