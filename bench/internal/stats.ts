/** Small helpers shared by the sections. */
import type { Timing } from "./scanner.js"

export const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const cpuS = (t: Timing): number => t.userS + t.sysS

/** Rounds for a table cell. */
export const fixed = (x: number, digits = 2): number => Number(x.toFixed(digits))

export const MiBof = (kib: number): number => kib / 1024
