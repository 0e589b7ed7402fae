/**
 * Writes `bench/memory.svg`: peak RSS growth (over scanning a 1 KiB object) against object size,
 * for the scanner and the naive buffer-everything variant, with the 64 MiB target and the
 * object size itself for reference. Log-log axes: sizes double by 4 from point to point, and a
 * flat line stays flat. Plain SVG, no dependencies.
 */
import { writeFileSync } from "node:fs"

export interface Series {
  readonly name: string
  readonly color: string
  /** [object MiB, growth MiB]; missing sizes are left out. */
  readonly points: ReadonlyArray<readonly [number, number]>
  readonly dashed?: boolean
  readonly marker?: "circle" | "square" | "none"
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

export const memoryChart = (options: {
  readonly title: string
  readonly subtitle: string
  readonly sizesMiB: ReadonlyArray<number>
  readonly series: ReadonlyArray<Series>
  readonly targetMiB: number
}): string => {
  const W = 770
  const H = 440
  const left = 78
  const right = 220
  const top = 62
  const bottom = 58
  const plotW = W - left - right
  const plotH = H - top - bottom
  const values = options.series.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => y > 0)
  const yMin = 2 ** Math.floor(Math.log2(Math.min(8, ...values) / 1.2))
  const yMax = 2 ** Math.ceil(Math.log2(Math.max(options.targetMiB, ...values) * 1.6))
  const sizes = options.sizesMiB
  const xMin = Math.log2(sizes[0]!)
  const xMax = Math.log2(sizes[sizes.length - 1]!)
  const x = (mib: number) => left + ((Math.log2(mib) - xMin) / (xMax - xMin)) * plotW
  const y = (mib: number) => top + plotH - ((Math.log2(Math.max(mib, yMin)) - Math.log2(yMin)) / (Math.log2(yMax) - Math.log2(yMin))) * plotH
  const label = (mib: number) => (mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`)
  const out: Array<string> = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`)
  out.push(`<text x="${left}" y="24" font-size="15" font-weight="bold">${esc(options.title)}</text>`)
  out.push(`<text x="${left}" y="43" fill="#555">${esc(options.subtitle)}</text>`)
  // Grid and axes.
  for (let v = yMin; v <= yMax; v *= 4) {
    out.push(`<line x1="${left}" y1="${y(v).toFixed(1)}" x2="${left + plotW}" y2="${y(v).toFixed(1)}" stroke="#e4e4e4"/>`)
    out.push(`<text x="${left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#333">${label(v)}</text>`)
  }
  for (const s of sizes) {
    out.push(`<line x1="${x(s).toFixed(1)}" y1="${top}" x2="${x(s).toFixed(1)}" y2="${top + plotH}" stroke="#e4e4e4"/>`)
    out.push(`<text x="${x(s).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle" fill="#333">${label(s)}</text>`)
  }
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`)
  out.push(`<text x="${left + plotW / 2}" y="${H - 14}" text-anchor="middle">object size (log scale)</text>`)
  out.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">peak RSS − RSS of a 1 KiB scan (log scale)</text>`)
  // Target line.
  const ty = y(options.targetMiB).toFixed(1)
  out.push(`<line x1="${left}" y1="${ty}" x2="${left + plotW}" y2="${ty}" stroke="#2a9d3a" stroke-width="1.5" stroke-dasharray="6 4"/>`)
  // Series.
  const legend: Array<[string, string, boolean]> = [[`target: growth < ${options.targetMiB} MiB`, "#2a9d3a", true]]
  for (const s of options.series) {
    if (s.points.length === 0) continue
    const path = s.points.map(([px, py], i) => `${i === 0 ? "M" : "L"}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(" ")
    out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ` stroke-dasharray="3 4"` : ""}/>`)
    for (const [px, py] of s.points) {
      const cx = x(px).toFixed(1)
      const cy = y(py).toFixed(1)
      if (s.marker === "circle") out.push(`<circle cx="${cx}" cy="${cy}" r="4" fill="${s.color}"/>`)
      if (s.marker === "square") out.push(`<rect x="${(x(px) - 4).toFixed(1)}" y="${(y(py) - 4).toFixed(1)}" width="8" height="8" fill="${s.color}"/>`)
      if (s.marker !== "none") {
        out.push(`<text x="${cx}" y="${(y(py) - 9).toFixed(1)}" text-anchor="middle" fill="${s.color}" font-size="11">${Math.round(py)}</text>`)
      }
    }
    legend.push([s.name, s.color, s.dashed === true])
  }
  legend.forEach(([name, color, dashed], i) => {
    const ly = top + 10 + i * 22
    const lx = left + plotW + 14
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${color}" stroke-width="2"${dashed ? ` stroke-dasharray="4 3"` : ""}/>`)
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${esc(name)}</text>`)
  })
  out.push(`</svg>`)
  return out.join("\n") + "\n"
}

export const writeMemoryChart = (path: string, options: Parameters<typeof memoryChart>[0]): void => {
  writeFileSync(path, memoryChart(options))
}
