/** The human report of a replay: counts by outcome and reason, then every failure with its error. */
import type { Outcome } from "../Outcome.js"

/** A plain text table with left-aligned columns. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

const order = ["submitted", "duplicate", "skipped", "failed"] as const

/** Counts outcomes as they come, keeping only the failures themselves: a backfill may see millions. */
export const tally = () => {
  const counts = new Map<string, { outcome: string; reason: string; events: number; bytes: number }>()
  const failures: Array<string> = []
  let total = 0
  return {
    add: (o: Outcome) => {
      total += 1
      const reason = o.outcome === "skipped" ? o.reason : ""
      const key = `${o.outcome}/${reason}`
      const row = counts.get(key) ?? { outcome: o.outcome, reason, events: 0, bytes: 0 }
      counts.set(key, { ...row, events: row.events + 1, bytes: row.bytes + (o.bytes ?? 0) })
      if (o.outcome === "failed") {
        const where = o.bucket === undefined ? o.eventId : `s3://${o.bucket}/${o.key ?? ""} (${o.account ?? "?"}/${o.region ?? "?"})`
        failures.push(`  ${where}\n    ${o.error.tag}: ${o.error.message}`)
      }
    },
    get failed() {
      return failures.length
    },
    /** The table, the totals and every failure; `noun` names what was counted (`event`, `object`). */
    render: (noun = "event") => {
      const rows = [...counts.values()]
        .sort((a, b) => order.indexOf(a.outcome as never) - order.indexOf(b.outcome as never) || a.reason.localeCompare(b.reason))
        .map((r) => [r.outcome, r.reason, String(r.events), String(r.bytes)])
      return [
        table(["outcome", "reason", `${noun}s`, "bytes"], rows),
        `${total} ${noun}(s), ${failures.length} failed`,
        ...(failures.length === 0 ? [] : ["", "Failed:", ...failures])
      ].join("\n")
    }
  }
}

export const summary = (outcomes: ReadonlyArray<Outcome>): string => {
  const t = tally()
  outcomes.forEach(t.add)
  return t.render()
}
