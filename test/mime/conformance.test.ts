/**
 * Runs `Mime.detect` over mimetype's test files and compares with the names mimetype gave them.
 * A file matches when the essence of our answer equals the essence of any listed version's
 * answer, or shares an alias group with it (see the conformance folder's README).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Mime from "../../src/Mime.js"
import { loadAliasGroups, loadCorpus, loadStubs, type Sample } from "./corpus.js"

const essence = (mime: string): string => mime.split(";")[0]!.trim().toLowerCase()

/** The types people scan for PII: every file expected as one of these must match. */
const required = new Set([
  "application/pdf", "image/jpeg", "image/png", "image/gif", "image/tiff", "image/bmp", "image/webp",
  "image/heic", "image/heif",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
  "application/vnd.oasis.opendocument.presentation",
  "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint", "application/vnd.ms-outlook",
  "text/rtf", "application/zip", "application/gzip", "application/x-7z-compressed", "application/x-rar-compressed",
  "application/x-tar", "text/plain", "text/csv", "text/tab-separated-values", "application/json", "text/xml",
  "text/html", "message/rfc822", "application/vnd.sqlite3"
])

interface Outcome {
  readonly sample: Sample
  readonly got: string
  readonly ok: boolean
  readonly required: boolean
}

const run = (samples: ReadonlyArray<Sample>) => {
  const groups = loadAliasGroups()
  const same = (a: string, b: string) => a === b || groups.some((g) => g.includes(a) && g.includes(b))
  const isRequired = (name: string) => [...required].some((r) => same(r, name))
  return Effect.forEach(samples, (sample) =>
    Mime.detect(sample.bytes).pipe(Effect.map((got): Outcome => {
      const wanted = sample.expected.map(essence)
      return {
        sample,
        got,
        ok: wanted.some((w) => same(essence(got), w)),
        required: wanted.some(isRequired)
      }
    }))
  )
}

const report = (label: string, outcomes: ReadonlyArray<Outcome>): number => {
  const matched = outcomes.filter((o) => o.ok).length
  const rate = matched / outcomes.length
  const lines = outcomes.filter((o) => !o.ok).map((o) =>
    `  ${o.required ? "REQUIRED " : ""}${o.sample.name}: got ${o.got}, expected ${[...new Set(o.sample.expected)].join(" | ")}`
  )
  console.log(`${label}: ${matched}/${outcomes.length} match (${(rate * 100).toFixed(1)}%)\n${lines.join("\n")}`)
  return rate
}

const requiredMismatches = (outcomes: ReadonlyArray<Outcome>) =>
  outcomes.filter((o) => o.required && !o.ok).map((o) => `${o.sample.name} → ${o.got}`)

const sampleSets: ReadonlyArray<readonly [string, string, () => ReadonlyArray<Sample>, number, number]> = [
  ["corpus: every PII-relevant file and at least 95% of all files match", "corpus", loadCorpus, 200, 0.95],
  ["stubs: every PII-relevant stub and at least 90% of all stubs match", "stubs", loadStubs, 250, 0.9]
]

describe("Mime conformance with mimetype", () => {
  it.effect.each(sampleSets)("%s", ([, label, load, moreThan, minRate]) =>
    Effect.gen(function*() {
      const outcomes = yield* run(load())
      expect(outcomes.length).toBeGreaterThan(moreThan)
      const rate = report(label, outcomes)
      expect(requiredMismatches(outcomes)).toEqual([])
      expect(rate).toBeGreaterThanOrEqual(minRate)
    }))
})
