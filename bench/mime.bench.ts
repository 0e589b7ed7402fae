/**
 * Issue 4 — MIME detection cost. For each file of mimetype's corpus, repeated to fill a full
 * 1 MiB head (what `Mime.detect` gets for any object of 1 MiB or more), and as stored: the
 * median time of `Mime.detect` (through Effect, as the scanner calls it) against file-type's
 * `fileTypeFromBuffer` alone. Runs alternate between the two; the target is ours ≤ 3× file-type
 * on the median 1 MiB head.
 */
import { Effect } from "effect"
import { fileTypeFromBuffer } from "file-type"
import * as Mime from "../src/Mime.js"
import { loadCorpus } from "../test/mime/corpus.js"
import type { Bench } from "./types.js"

const runs = Number(process.env["MIME_BENCH_RUNS"] ?? 15)

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const micros = async (f: () => Promise<unknown>): Promise<number> => {
  const start = process.hrtime.bigint()
  await f()
  return Number(process.hrtime.bigint() - start) / 1e3
}

/** The file repeated up to 1 MiB: a text file stays text (zero padding would make it binary). */
const fullHead = (bytes: Uint8Array): Uint8Array => {
  const head = new Uint8Array(Mime.HEAD_BYTES)
  if (bytes.length === 0) return head
  for (let at = 0; at < head.length; at += bytes.length) head.set(bytes.subarray(0, head.length - at), at)
  return head
}

/** Per-file medians of both detectors over `heads`, warmed up once. */
const measure = async (heads: ReadonlyArray<Uint8Array>) => {
  const ours: Array<number> = []
  const fileType: Array<number> = []
  for (const head of heads) {
    await Effect.runPromise(Mime.detect(head))
    await fileTypeFromBuffer(head)
  }
  ;(globalThis as { gc?: () => void }).gc?.()
  for (const head of heads) {
    const a: Array<number> = []
    const b: Array<number> = []
    for (let i = 0; i < runs; i++) {
      a.push(await micros(() => Effect.runPromise(Mime.detect(head))))
      b.push(await micros(() => fileTypeFromBuffer(head)))
    }
    ours.push(median(a))
    fileType.push(median(b))
  }
  const sum = (xs: ReadonlyArray<number>) => xs.reduce((s, x) => s + x, 0)
  return { ours: median(ours), fileType: median(fileType), oursTotal: sum(ours), fileTypeTotal: sum(fileType) }
}

const bench: Bench = async () => {
  const corpus = loadCorpus()
  const full = await measure(corpus.map((s) => fullHead(s.bytes)))
  const asIs = await measure(corpus.map((s) => s.bytes))
  const row = (heads: string, m: typeof full) => ({
    heads,
    files: corpus.length,
    "ours median µs": Number(m.ours.toFixed(1)),
    "file-type median µs": Number(m.fileType.toFixed(1)),
    "median ratio": Number((m.ours / m.fileType).toFixed(2)),
    "ours total ms": Number((m.oursTotal / 1e3).toFixed(2)),
    "file-type total ms": Number((m.fileTypeTotal / 1e3).toFixed(2))
  })
  const ratio = full.ours / full.fileType
  return {
    id: "mime",
    title: "Mime.detect vs file-type alone, per head (mimetype corpus)",
    rows: [row("repeated to 1 MiB", full), row("as stored", asIs)],
    targets: [{ name: "Mime.detect / fileTypeFromBuffer, median 1 MiB head", value: ratio, target: "≤ 3", met: ratio <= 3 }],
    notes: [
      `${runs} alternating runs per file; per-file medians, then the median over files.`,
      "Text heads skip file-type entirely (it knows no text formats), so ours can be faster than file-type there."
    ]
  }
}

export default bench
