/**
 * Issue 7 item 2 — memory against object size. The peak RSS of a scanner process (the CLI's
 * replay: `scanItem` on the production `AppLayer`) scanning one new object of 16, 64, 256 MiB
 * and the largest submittable size (767 MiB; a 1 GiB object is skipped unread), minus the peak
 * RSS of the same process scanning a 1 KiB object; and the same for the designs it is compared
 * with (`internal/naive.ts`), on the same services: buffer everything (the whole object in one
 * Buffer, hashed, the submission built as one JSON string) and the Go original's (a new session
 * and S3 client per event, one streamed pass building the base64 text whole), with each scan's
 * CPU. The Lambda bundle's growth at the largest size comes from the large-object rounds. The local stack runs in its
 * own process; objects are generated and streamed into it, and deleted after each scan.
 * Writes `bench/memory.svg`.
 *
 * Environment: MEMORY_BENCH_ROUNDS (default 2) rounds of the sizes up to 64 MiB, one of 256 MiB
 * (MEMORY_BENCH_BIG_ROUNDS); the largest scanner figure comes from the large-object rounds of
 * the cpu/pipeline sections when they ran in the same process, else from one scan here.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { dirname, join } from "node:path"
import { tmpdir } from "node:os"
import { fileURLToPath } from "node:url"
import { writeMemoryChart } from "./chart.js"
import { GiB, KiB, MiB, sizeName } from "./internal/bytes.js"
import { BigBytes, bigObjectStack, gibSuiteIfRan, LambdaMemoryMb, putObject } from "./internal/gib.js"
import { runJob, ScannerHeapMiB, startStack } from "./internal/processes.js"
import type { MemoryPeaks, Variant } from "./internal/scanner.js"
import { fixed, median } from "./internal/stats.js"
import type { Bench } from "./types.js"

const rounds = Number(process.env["MEMORY_BENCH_ROUNDS"] ?? 2)
const bigRounds = Number(process.env["MEMORY_BENCH_BIG_ROUNDS"] ?? 1)
const sizes = [KiB, 16 * MiB, 64 * MiB, 256 * MiB, BigBytes] as const
/** V8's longest string is 2^29 − 24 characters: the naive JSON of a 767 MiB object (1.07 G characters) cannot exist. */
const naiveMax = 256 * MiB
const TargetMiB = 64

/** The designs that build the base64 text whole, bounded by V8's longest string. */
const wholeText: ReadonlyArray<Variant> = ["naive", "go"]
interface Sample {
  readonly maxRssKiB: number
  readonly peaks: MemoryPeaks
  readonly scanS: number
  /** The scan's user + sys CPU seconds. */
  readonly cpuS: number
}

const bench: Bench = async () => {
  const loadBefore = loadavg()[0]!
  const samples = new Map<string, Array<Sample>>()
  /** Peak RSS of the Lambda bundle's large-object scans (KiB), when the cpu/pipeline rounds ran. */
  const lambdaPeaks: Array<{ readonly before: number; readonly small: number; readonly new: number; readonly duplicate: number }> = []
  /** Peak RSS of the shipped CLI's scans (KiB): a new large object, a 1 KiB one. */
  const cliPeaks: Array<{ readonly small: number; readonly new: number }> = []
  const add = (variant: Variant, size: number, s: Sample) => {
    const key = `${variant}/${size}`
    samples.set(key, [...(samples.get(key) ?? []), s])
  }
  const dir = mkdtempSync(join(tmpdir(), "highvolt-bench-"))
  const stack = await startStack(bigObjectStack)
  try {
    const scan = async (variant: Variant, size: number) => {
      const { put, file } = await putObject(stack, dir, size, `memory-${variant}`)
      try {
        const r = await runJob(stack, { kind: "replay", eventsFile: file, concurrency: 1, variant })
        if (r.tally.byOutcome["submitted"] !== 1) throw new Error(`${variant} ${sizeName(size)}: ${JSON.stringify(r.tally)}`)
        add(variant, size, { maxRssKiB: r.maxRssKiB, peaks: r.peaks, scanS: r.scan.wallS, cpuS: r.scan.userS + r.scan.sysS })
      } finally {
        await stack.remove(put)
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const size of sizes) {
        if (size >= BigBytes || (size >= 256 * MiB && round >= bigRounds)) continue
        const all: ReadonlyArray<Variant> = ["scanner", "naive", "go"]
        const variants = all.map((_, i) => all[(i + round) % all.length]!)
        for (const variant of variants) {
          if (wholeText.includes(variant) && size > naiveMax) continue
          process.stderr.write(`  memory round ${round + 1}/${rounds}: ${variant} ${sizeName(size)}…\n`)
          await scan(variant, size)
        }
      }
    }
    const shared = gibSuiteIfRan()
    if (shared !== undefined) {
      for (const r of (await shared).rounds) {
        add("scanner", BigBytes, { maxRssKiB: r.new.maxRssKiB, peaks: r.new.peaks, scanS: r.new.scan.wallS, cpuS: r.new.scan.userS + r.new.scan.sysS })
        cliPeaks.push({ small: r.cliSmall.maxRssKiB, new: r.newCold.maxRssKiB })
        lambdaPeaks.push({
          before: r.lambdaNew.rssBeforeKiB,
          small: r.lambdaSmall.maxRssKiB,
          new: r.lambdaNew.maxRssKiB,
          duplicate: r.lambdaDuplicate.maxRssKiB
        })
      }
    } else {
      process.stderr.write(`  memory: scanner ${sizeName(BigBytes)}…\n`)
      await scan("scanner", BigBytes)
    }
  } finally {
    await stack.stop()
    rmSync(dir, { recursive: true, force: true })
  }

  const of = (variant: Variant, size: number) => samples.get(`${variant}/${size}`) ?? []
  /** Worst peak over the rounds (a limit is about the worst case). */
  const peak = (variant: Variant, size: number) => Math.max(...of(variant, size).map((s) => s.maxRssKiB)) / 1024
  /** The typical baseline: median over rounds of the 1 KiB scan's peak. */
  const base = (variant: Variant) => median(of(variant, KiB).map((s) => s.maxRssKiB)) / 1024
  const growth = (variant: Variant, size: number) => peak(variant, size) - base(variant)
  const measured = (variant: Variant, size: number) => of(variant, size).length > 0

  const rows = sizes.map((size) => {
    const cells = (variant: Variant, label: string) =>
      measured(variant, size)
        ? {
          [`${label} peak RSS MiB`]: Math.round(peak(variant, size)),
          [`${label} growth MiB`]: size === KiB ? 0 : Math.round(growth(variant, size)),
          [`${label} growth ÷ size`]: size === KiB ? "—" : fixed(growth(variant, size) / (size / MiB)),
          [`${label} CPU s/GiB`]: size === KiB ? "—" : fixed(median(of(variant, size).map((s) => s.cpuS)) * (GiB / size))
        }
        : { [`${label} peak RSS MiB`]: "not run", [`${label} growth MiB`]: "—", [`${label} growth ÷ size`]: "—", [`${label} CPU s/GiB`]: "—" }
    return {
      object: size === KiB ? "1 KiB (baseline)" : sizeName(size),
      ...cells("scanner", "scanner"),
      ...cells("naive", "naive"),
      ...cells("go", "Go design")
    }
  })

  const big = sizes.filter((s) => s > KiB)
  const worst = Math.max(...big.map((s) => growth("scanner", s)))
  const naiveSizes = big.filter((s) => measured("naive", s))
  const factor = (variant: Variant) => Math.min(...naiveSizes.map((s) => growth(variant, s) / (s / MiB)))
  const lambdaGrowth = lambdaPeaks.length === 0 ? undefined : Math.max(...lambdaPeaks.map((p) => p.new - p.small)) / 1024
  const cliGrowth = cliPeaks.length === 0 ? undefined : Math.max(...cliPeaks.map((p) => p.new - p.small)) / 1024

  const here = dirname(fileURLToPath(import.meta.url))
  writeMemoryChart(join(here, "memory.svg"), {
    title: "Peak memory of one scan against object size",
    subtitle: `peak RSS minus that of a 1 KiB scan; ${cpus().length}-core ${cpus()[0]?.model ?? "x86-64"}, Node ${process.version}`,
    sizesMiB: big.map((s) => s / MiB),
    targetMiB: TargetMiB,
    series: [
      { name: "naive (buffer everything)", color: "#d1495b", marker: "square", points: naiveSizes.map((s) => [s / MiB, growth("naive", s)] as const) },
      { name: "Go original's design", color: "#e08e0b", marker: "square", points: naiveSizes.map((s) => [s / MiB, growth("go", s)] as const) },
      { name: "scanner (streamed)", color: "#1d5fa8", marker: "circle", points: big.map((s) => [s / MiB, growth("scanner", s)] as const) },
      { name: "object size", color: "#999999", marker: "none", dashed: true, points: big.map((s) => [s / MiB, s / MiB] as const) }
    ]
  })

  const mib = (kib: number) => Math.round(kib / 1024)
  const peaksOf = (variant: Variant, size: number) => {
    const ss = of(variant, size)
    const max = (k: keyof MemoryPeaks) => mib(Math.max(...ss.map((s) => s.peaks[k])))
    return `${sizeName(size)}: heap ${max("heapTotal")}, ArrayBuffers ${max("arrayBuffers")}`
  }
  return {
    id: "memory",
    title: "Memory vs object size: peak RSS of one scan, minus that of a 1 KiB scan (worst of the rounds, see notes)",
    rows,
    targets: [
      { name: "scanner: largest growth over a 1 KiB scan, MiB", value: worst, target: `< ${TargetMiB} at every size`, met: worst < TargetMiB },
      ...(cliGrowth === undefined ? [] : [
        { name: `shipped CLI, ${sizeName(BigBytes)}: peak RSS growth over a 1 KiB scan, MiB`, value: cliGrowth, target: `< ${TargetMiB}`, met: cliGrowth < TargetMiB }
      ]),
      ...(lambdaGrowth === undefined ? [] : [
        { name: `Lambda bundle, ${sizeName(BigBytes)}: peak RSS growth over a 1 KiB scan, MiB`, value: lambdaGrowth, target: `< ${TargetMiB}`, met: lambdaGrowth < TargetMiB }
      ]),
      { name: "naive: smallest growth ÷ object size", value: factor("naive"), target: "several × (shown, not a goal)", met: factor("naive") >= 2 },
      { name: "Go design: smallest growth ÷ object size", value: factor("go"), target: "several × (shown, not a goal)", met: factor("go") >= 2 }
    ],
    notes: [
      ...(lambdaPeaks.length === 0 ? [] : [
        `Lambda bundle under the node flags of a ${LambdaMemoryMb} MB function (cpu/pipeline rounds), ${sizeName(BigBytes)}: ` +
        `peak RSS ${Math.round(Math.max(...lambdaPeaks.map((p) => p.new)) / 1024)} MiB scanning a new object, ` +
        `${Math.round(Math.max(...lambdaPeaks.map((p) => p.duplicate)) / 1024)} MiB a duplicate (worst of ${lambdaPeaks.length} rounds; ` +
        `RSS after the warm-up scans ${Math.round(median(lambdaPeaks.map((p) => p.before)) / 1024)} MiB); a 1 KiB object alone ` +
        `${Math.round(median(lambdaPeaks.map((p) => p.small)) / 1024)} MiB, the base of the bundle's growth target`
      ]),
      "each cell is a fresh child process: the CLI's replay of one new object (scanItem on the production AppLayer), " +
      `node --max-old-space-size=${ScannerHeapMiB} (room for the naive variant's strings) for both variants; the local stack in another ` +
      "process; peak RSS = getrusage maxrss of the scanner process, which includes the cold start (the same in every cell)",
      `growth = worst peak over the rounds − median peak of the 1 KiB scans of the same variant; rounds: ${rounds} up to 64 MiB, ` +
      `${bigRounds} at 256 MiB, at ${sizeName(BigBytes)} ${of("scanner", BigBytes).length}`,
      "Go design: objects in the Lambda's own account, so its per-event AssumeRole does not show here (the events section counts calls); " +
      "its new S3 client and connection pool per event, and its whole base64 text, do",
      `naive and Go design capped at ${sizeName(naiveMax)}: their JSON string for ${sizeName(BigBytes)} would be 1.07 G characters, over V8's maximum string length ` +
      "(2^29 − 24), so a naive implementation cannot submit such an object at all (and would need ~5 GiB if it could)",
      `${sizeName(BigBytes)} scanner figure: ${gibSuiteIfRan() === undefined ? "one scan in this section" : "the new-file CLI scans of the large-object rounds (cpu/pipeline sections), which start with a 1 KiB warm-up scan"}; ` +
      "it is the largest object highvolt-server can take (its base64 must fit the 1 GiB body): a 1 GiB object is skipped as size, unread",
      `where the scanner's memory sits (peaks of process.memoryUsage sampled every 100 ms, MiB): ${big.map((s) => peaksOf("scanner", s)).join("; ")}; ` +
      `1 KiB: ${peaksOf("scanner", KiB).replace("1 KiB: ", "")}`,
      `load average (1 min) ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after, on ${cpus().length} cores`,
      "chart: bench/memory.svg"
    ]
  }
}

export default bench
