/**
 * `npm run bench [name…]`: runs every `bench/*.bench.ts` (or those named), prints one table per
 * section and writes all sections to `bench/results.json`. Figures are meant to be read as
 * ratios between rows of the same run: absolute numbers on a shared 2-core machine are noisy.
 */
import { readdirSync, writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { Bench, BenchSection } from "./types.js"

const here = dirname(fileURLToPath(import.meta.url))
const wanted = process.argv.slice(2)
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort()

const machine = {
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  date: new Date().toISOString()
}

const sections: Array<BenchSection> = []
let missed = 0
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Bench }
  process.stderr.write(`running ${file}…\n`)
  const section = await mod.default()
  sections.push(section)
  console.log(`\n## ${section.title}`)
  console.table(section.rows)
  for (const t of section.targets ?? []) {
    console.log(`  ${t.met ? "met   " : "MISSED"} ${t.name}: ${t.value.toFixed(3)} (target ${t.target})`)
    if (!t.met) missed++
  }
  for (const n of section.notes ?? []) console.log(`  note: ${n}`)
}

writeFileSync(join(here, "results.json"), JSON.stringify({ machine, sections }, null, 2) + "\n")
console.log(`\n${sections.length} sections, ${missed} targets missed; written to bench/results.json`)
