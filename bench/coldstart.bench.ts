/**
 * Issue 7 item 5 — cold start. `npm run build`, then, alternating round by round, the wall time
 * from spawn to exit of:
 * - bare Node: `node -e ""`;
 * - import: `node --input-type=module -e "await import(<dist/lambda/index.mjs>)"`;
 * - first event: a plain-JS child (`internal/coldstart-child.mjs`) that imports the bundle and
 *   invokes its handler once with a new 1 KiB object in a member account, against the local stack
 *   (in another process): the layer build (Secrets Manager, JSONAir login + profile, highvolt
 *   login, GetCallerIdentity) plus the event (AssumeRole, GetObject, MIME, query, submit);
 * and the bundle's size. What dominates the bundle comes from esbuild's metafile, from a second
 * tsup run of the same config into a temporary directory (`--metafile --out-dir`).
 *
 * Environment: COLDSTART_BENCH_ROUNDS (default 10).
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { build } from "tsup"
import { lambdaBundle } from "../tsup.config.js"
import { KiB } from "./internal/bytes.js"
import { buildBundle, bundlePath, repoRoot, startStack } from "./internal/processes.js"
import { fixed, median } from "./internal/stats.js"
import type { Bench } from "./types.js"

const rounds = Number(process.env["COLDSTART_BENCH_ROUNDS"] ?? 10)
const BundleLimit = 1.5e6
const zipPath = join(repoRoot, "dist", "lambda.zip")

const run = (command: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env) => {
  const start = process.hrtime.bigint()
  const r = spawnSync(command, args, { cwd: repoRoot, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}: ${r.stderr.slice(-2000)}`)
  return { ms, stdout: r.stdout }
}

/** `node_modules/@scope/name/…` → `@scope/name`; our sources → `(ours) src`. */
const packageOf = (input: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)
  return m !== null ? m[1]! : input.startsWith("src/") ? "(ours) src" : input
}

const topContributors = async () => {
  const out = mkdtempSync(join(tmpdir(), "highvolt-bench-meta-"))
  try {
    // The Lambda's config alone: run with the CLI's, both would write metafile-esm.json there.
    await build({ ...lambdaBundle, outDir: out, metafile: true, config: false, silent: true })
    const meta = JSON.parse(readFileSync(join(out, "metafile-esm.json"), "utf8")) as {
      outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>
    }
    const [, output] = Object.entries(meta.outputs).find(([name]) => name.endsWith("index.mjs"))!
    const byPackage = new Map<string, number>()
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput)
    }
    const total = output.bytes
    return { total, top: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([name, bytes]) => ({ name, bytes, share: bytes / total })) }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

const bench: Bench = async () => {
  const loadBefore = loadavg()[0]!
  const buildMs = buildBundle()
  const bundleBytes = statSync(bundlePath).size
  const zipBytes = statSync(zipPath).size
  const meta = await topContributors()

  const quiet = { ...process.env, NODE_NO_WARNINGS: "1" }
  const importScript = `await import(${JSON.stringify(pathToFileURL(bundlePath).href)})`
  const dir = mkdtempSync(join(tmpdir(), "highvolt-bench-"))
  const stack = await startStack()
  const bare: Array<number> = []
  const imports: Array<number> = []
  const firstEvents: Array<number> = []
  const inProcess: Array<{ importMs: number; handlerMs: number }> = []
  const outcomes: Array<string> = []
  try {
    const member = stack.accounts.members[0]!
    const childEnv = { ...quiet, ...stack.env }
    // One of each, untimed: the page cache holds node, the bundle and the child script.
    run(process.execPath, ["-e", ""], quiet)
    run(process.execPath, ["--input-type=module", "-e", importScript], quiet)
    for (let round = 0; round < rounds; round++) {
      const put = await stack.put({ account: member, key: `coldstart/${round}.bin`, size: KiB, nonce: 5_000_000 + Date.now() % 1e6 + round })
      const eventFile = join(dir, `event-${round}.json`)
      writeFileSync(eventFile, JSON.stringify(put.event))
      const variants = [
        () => bare.push(run(process.execPath, ["-e", ""], quiet).ms),
        () => imports.push(run(process.execPath, ["--input-type=module", "-e", importScript], quiet).ms),
        () => {
          const r = run(process.execPath, [join(repoRoot, "bench", "internal", "coldstart-child.mjs"), pathToFileURL(bundlePath).href, eventFile], childEnv)
          firstEvents.push(r.ms)
          const lines = r.stdout.split("\n")
          const result = JSON.parse(lines.find((l) => l.startsWith("BENCH "))!.slice(6)) as { importMs: number; handlerMs: number; outcome: string }
          inProcess.push(result)
          const logged = lines.map((l) => /"outcome":"(\w+)"/.exec(l)?.[1]).find((o) => o !== undefined)
          outcomes.push(result.outcome === "ok" ? logged ?? "no outcome logged" : result.outcome)
        }
      ]
      // Rotate the order from round to round.
      for (let i = 0; i < variants.length; i++) variants[(i + round) % variants.length]!()
    }
  } finally {
    await stack.stop()
    rmSync(dir, { recursive: true, force: true })
  }

  const bareMs = median(bare)
  const ratio = (xs: ReadonlyArray<number>) => median(xs.map((x, i) => x / bare[i]!))
  const importRatio = ratio(imports)
  const submitted = outcomes.filter((o) => o === "submitted").length
  const row = (what: string, xs: ReadonlyArray<number>) => ({ what, "median ms": fixed(median(xs), 0), "min ms": fixed(Math.min(...xs), 0), "× bare node": fixed(ratio(xs)) })
  return {
    id: "coldstart",
    title: `Cold start: spawn to exit, median of ${rounds} alternating rounds; bundle size`,
    rows: [
      row("bare node -e \"\"", bare),
      row("node: import dist/lambda/index.mjs", imports),
      row("node: import + first event against the local stack", firstEvents),
      { what: "(in process) import", "median ms": fixed(median(inProcess.map((r) => r.importMs)), 0), "min ms": fixed(Math.min(...inProcess.map((r) => r.importMs)), 0), "× bare node": fixed(median(inProcess.map((r) => r.importMs)) / bareMs) },
      { what: "(in process) first event: layer build + scan", "median ms": fixed(median(inProcess.map((r) => r.handlerMs)), 0), "min ms": fixed(Math.min(...inProcess.map((r) => r.handlerMs)), 0), "× bare node": fixed(median(inProcess.map((r) => r.handlerMs)) / bareMs) },
      { what: "bundle dist/lambda/index.mjs (bytes)", "median ms": bundleBytes, "min ms": "", "× bare node": "" },
      { what: "dist/lambda.zip (bytes)", "median ms": zipBytes, "min ms": "", "× bare node": "" }
    ],
    targets: [
      { name: "import / bare node (spawn to exit)", value: importRatio, target: "≤ 3", met: importRatio <= 3 },
      { name: "bundle size, MB (10^6 bytes)", value: bundleBytes / 1e6, target: "≤ 1.5", met: bundleBytes <= BundleLimit },
      { name: `first events that ended submitted (of ${rounds})`, value: submitted, target: `= ${rounds}`, met: submitted === rounds }
    ],
    notes: [
      `bundle ${(bundleBytes / 1e6).toFixed(2)} MB (${(bundleBytes / 2 ** 20).toFixed(2)} MiB), zip ${(zipBytes / 1e6).toFixed(2)} MB; npm run build took ${(buildMs / 1000).toFixed(1)} s`,
      "largest contributors to the bundle (esbuild metafile, bytes in output): " +
      meta.top.map((t) => `${t.name} ${(t.bytes / 1e3).toFixed(0)} kB (${(t.share * 100).toFixed(0)}%)`).join(", "),
      "first event: a new 1 KiB object in a member account (so AssumeRole is part of it); the stack runs in another process; " +
      `outcomes: ${[...new Set(outcomes)].join(", ")}`,
      "the stack lifts the 5-logins-per-minute limit of JSONAir and highvolt: with it, every cold start after the fifth in a minute " +
      "(from one IP) would wait for its logins",
      `all runs with NODE_NO_WARNINGS=1 (Node 20 here: the AWS SDK would print a support warning; Lambda runs nodejs22.x)`,
      `load average (1 min) ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after, on ${cpus().length} cores`
    ]
  }
}

export default bench
