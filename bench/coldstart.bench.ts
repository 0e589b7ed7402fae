/**
 * Issue 7 item 5, issue 14 item 4 — cold start. `npm run build`, then, alternating round by
 * round, the wall time from spawn to exit (and the CPU time the process reports at its end) of:
 * - bare Node: `node -e ""`;
 * - import: `node --input-type=module -e "await import(<dist/lambda/index.mjs>)"`;
 * - first event: a plain-JS child (`internal/coldstart-child.mjs`) that imports the bundle and
 *   invokes its handler once with a new 1 KiB object in a member account, against the local stack
 *   (in another process): the layer build (Secrets Manager, JSONAir login + profile, highvolt
 *   login, GetCallerIdentity) plus the event (AssumeRole, GetObject, MIME, query, submit);
 * - the same against a second stack behind a network's round trips (`internal/latency.ts`:
 *   `Round trips` below): on localhost the cold start's calls take no time, so loading the
 *   first event's modules beside them (the S3 client, MIME detection) cannot show its gain;
 * and the bundle's size. The bundle is split: the import parses the entry and the chunks it
 * imports statically; the rest are chunks loaded by dynamic import(), by the first event (the S3
 * client, MIME detection) or never (the SDK's credential providers other than the environment's).
 * Which is which, and what dominates, comes from esbuild's metafile, from a second build of the
 * Lambda's config into a temporary directory.
 *
 * Environment: COLDSTART_BENCH_ROUNDS (default 10).
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import { build } from "tsup"
import { lambdaBundle } from "../tsup.config.js"
import { KiB } from "./internal/bytes.js"
import { buildBundle, bundlePath, repoRoot, type Stack, startStack } from "./internal/processes.js"
import { fixed, median } from "./internal/stats.js"
import type { Bench } from "./types.js"

const rounds = Number(process.env["COLDSTART_BENCH_ROUNDS"] ?? 10)
/**
 * A cold start's network, assumed: 20 ms from a request to its answer, 40 ms more for each new
 * connection (TCP and TLS 1.3 handshakes). In-Region AWS APIs answer in about that; JSONAir and
 * highvolt-server may be farther.
 */
const RoundTrips = { rttMs: 20, connectMs: 40 }
const BundleLimit = 1.5e6
const zipPath = join(repoRoot, "dist", "lambda.zip")

/** Appended to the bare and import scripts: the process's own CPU time (ms) on stdout. */
const printCpu = `const u = process.cpuUsage(); process.stdout.write("CPU " + (u.user + u.system) / 1000)`
const cpuOf = (stdout: string) => Number(/CPU ([\d.]+)/.exec(stdout)![1])

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

interface MetaOutput {
  readonly bytes: number
  readonly inputs: Record<string, { readonly bytesInOutput: number }>
  readonly imports: ReadonlyArray<{ readonly path: string; readonly kind: string }>
}

/** Packages by bytes in the given outputs, largest first. */
const byPackage = (outputs: ReadonlyArray<MetaOutput>) => {
  const sizes = new Map<string, number>()
  for (const output of outputs) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      sizes.set(packageOf(input), (sizes.get(packageOf(input)) ?? 0) + bytesInOutput)
    }
  }
  return [...sizes].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytes }))
}

/**
 * What the import parses (the entry and the chunks it imports statically, transitively) and
 * what it leaves to dynamic import(): each such chunk with what it adds, named by its largest package.
 */
const bundleAnalysis = async () => {
  const out = mkdtempSync(join(tmpdir(), "highvolt-bench-meta-"))
  try {
    // The Lambda's config alone: run with the CLI's, both would write metafile-esm.json there.
    await build({ ...lambdaBundle, outDir: out, metafile: true, config: false, silent: true })
    const outputs = (JSON.parse(readFileSync(join(out, "metafile-esm.json"), "utf8")) as { outputs: Record<string, MetaOutput> }).outputs
    const closure = (start: string, exclude: ReadonlySet<string> = new Set()) => {
      const seen = new Set([start])
      const queue = [start]
      while (queue.length > 0) {
        for (const i of outputs[queue.shift()!]!.imports) {
          if (i.kind !== "import-statement" || outputs[i.path] === undefined || seen.has(i.path) || exclude.has(i.path)) continue
          seen.add(i.path)
          queue.push(i.path)
        }
      }
      return seen
    }
    const bytesOf = (names: Iterable<string>) => [...names].reduce((sum, name) => sum + outputs[name]!.bytes, 0)
    const entry = Object.keys(outputs).find((name) => name.endsWith("/index.mjs"))!
    const atImport = closure(entry)
    const lazyRoots = new Set(
      [...atImport].flatMap((name) => outputs[name]!.imports.filter((i) => i.kind === "dynamic-import" && outputs[i.path] !== undefined).map((i) => i.path))
    )
    const lazy = [...lazyRoots].map((root) => {
      const adds = [...closure(root, atImport)]
      return { bytes: bytesOf(adds), top: byPackage(adds.map((name) => outputs[name]!))[0]?.name ?? "?" }
    }).sort((a, b) => b.bytes - a.bytes)
    return {
      importBytes: bytesOf(atImport),
      importFiles: atImport.size,
      files: Object.keys(outputs).filter((name) => name.endsWith(".mjs")).length,
      top: byPackage([...atImport].map((name) => outputs[name]!)).slice(0, 10),
      lazy
    }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

/** Every file of dist/lambda (the entry and its chunks), in bytes. */
const bundleBytesOnDisk = () =>
  readdirSync(dirname(bundlePath), { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .reduce((sum, f) => sum + statSync(join(f.parentPath, f.name)).size, 0)

const bench: Bench = async () => {
  const loadBefore = loadavg()[0]!
  const buildMs = buildBundle()
  const bundleBytes = bundleBytesOnDisk()
  const zipBytes = statSync(zipPath).size
  const meta = await bundleAnalysis()

  const quiet = { ...process.env, NODE_NO_WARNINGS: "1" }
  const bareScript = printCpu
  const importScript = `await import(${JSON.stringify(pathToFileURL(bundlePath).href)}); ${printCpu}`
  const dir = mkdtempSync(join(tmpdir(), "highvolt-bench-"))
  const stack = await startStack()
  const farStack = await startStack({ latency: RoundTrips })
  const bare: Array<number> = []
  const imports: Array<number> = []
  const bareCpu: Array<number> = []
  const importCpu: Array<number> = []
  const firstEvents: Array<number> = []
  const inProcess: Array<{ importMs: number; handlerMs: number; cpuMs: number }> = []
  const farFirstEvents: Array<number> = []
  const farInProcess: Array<{ importMs: number; handlerMs: number; cpuMs: number }> = []
  const outcomes: Array<string> = []
  try {
    const member = stack.accounts.members[0]!
    /** Imports the bundle and invokes its handler once with the event in `eventFile`. */
    const firstEvent = (on: Stack, eventFile: string, spawned: Array<number>, inside: Array<{ importMs: number; handlerMs: number; cpuMs: number }>) => {
      const r = run(process.execPath, [join(repoRoot, "bench", "internal", "coldstart-child.mjs"), pathToFileURL(bundlePath).href, eventFile], { ...quiet, ...on.env })
      spawned.push(r.ms)
      const lines = r.stdout.split("\n")
      const result = JSON.parse(lines.find((l) => l.startsWith("BENCH "))!.slice(6)) as { importMs: number; handlerMs: number; cpuMs: number; outcome: string }
      inside.push(result)
      const logged = lines.map((l) => /"outcome":"(\w+)"/.exec(l)?.[1]).find((o) => o !== undefined)
      outcomes.push(result.outcome === "ok" ? logged ?? "no outcome logged" : result.outcome)
    }
    // One of each, untimed: the page cache holds node, the bundle and the child script.
    run(process.execPath, ["-e", bareScript], quiet)
    run(process.execPath, ["--input-type=module", "-e", importScript], quiet)
    for (let round = 0; round < rounds; round++) {
      const put = await stack.put({ account: member, key: `coldstart/${round}.bin`, size: KiB, nonce: 5_000_000 + Date.now() % 1e6 + round })
      const eventFile = join(dir, `event-${round}.json`)
      writeFileSync(eventFile, JSON.stringify(put.event))
      const farPut = await farStack.put({ account: member, key: `coldstart/${round}.bin`, size: KiB, nonce: 6_000_000 + Date.now() % 1e6 + round })
      const farEventFile = join(dir, `far-event-${round}.json`)
      writeFileSync(farEventFile, JSON.stringify(farPut.event))
      const variants = [
        () => {
          const r = run(process.execPath, ["-e", bareScript], quiet)
          bare.push(r.ms)
          bareCpu.push(cpuOf(r.stdout))
        },
        () => {
          const r = run(process.execPath, ["--input-type=module", "-e", importScript], quiet)
          imports.push(r.ms)
          importCpu.push(cpuOf(r.stdout))
        },
        () => firstEvent(stack, eventFile, firstEvents, inProcess),
        () => firstEvent(farStack, farEventFile, farFirstEvents, farInProcess)
      ]
      // Rotate the order from round to round.
      for (let i = 0; i < variants.length; i++) variants[(i + round) % variants.length]!()
    }
  } finally {
    await stack.stop()
    await farStack.stop()
    rmSync(dir, { recursive: true, force: true })
  }

  const bareMs = median(bare)
  const ratio = (xs: ReadonlyArray<number>) => median(xs.map((x, i) => x / bare[i]!))
  const importRatio = ratio(imports)
  const importCpuRatio = median(importCpu.map((x, i) => x / bareCpu[i]!))
  const firstEventMs = median(inProcess.map((r) => r.handlerMs))
  const farFirstEventMs = median(farInProcess.map((r) => r.handlerMs))
  const far = `${RoundTrips.rttMs} ms round trips, ${RoundTrips.connectMs} ms more per connection`
  const submitted = outcomes.filter((o) => o === "submitted").length
  const row = (what: string, xs: ReadonlyArray<number>) => ({ what, "median ms": fixed(median(xs), 0), "min ms": fixed(Math.min(...xs), 0), "× bare node": fixed(ratio(xs)) })
  const inProcessRow = (what: string, xs: ReadonlyArray<number>) => ({ what, "median ms": fixed(median(xs), 0), "min ms": fixed(Math.min(...xs), 0), "× bare node": fixed(median(xs) / bareMs) })
  const cpuRow = (what: string, xs: ReadonlyArray<number>) => ({ what, "median ms": fixed(median(xs), 0), "min ms": fixed(Math.min(...xs), 0), "× bare node": fixed(median(xs.map((x, i) => x / bareCpu[i]!))) })
  const bytesRow = (what: string, bytes: number) => ({ what, "median ms": bytes, "min ms": "", "× bare node": "" })
  return {
    id: "coldstart",
    title: `Cold start: spawn to exit, median of ${rounds} alternating rounds; bundle size`,
    rows: [
      row("bare node -e \"\"", bare),
      row("node: import dist/lambda/index.mjs", imports),
      row("node: import + first event against the local stack", firstEvents),
      inProcessRow("(in process) import", inProcess.map((r) => r.importMs)),
      inProcessRow("(in process) first event after the import: layer build + scan", inProcess.map((r) => r.handlerMs)),
      row(`node: import + first event, ${far}`, farFirstEvents),
      inProcessRow(`(in process) first event after the import, ${far}`, farInProcess.map((r) => r.handlerMs)),
      cpuRow("CPU time: bare node", bareCpu),
      cpuRow("CPU time: node importing the bundle", importCpu),
      cpuRow("CPU time: import + first event against the local stack", inProcess.map((r) => r.cpuMs)),
      cpuRow(`CPU time: import + first event, ${far}`, farInProcess.map((r) => r.cpuMs)),
      bytesRow("what the import parses: index.mjs + its static chunks (bytes)", meta.importBytes),
      bytesRow("bundle dist/lambda/, entry and all chunks (bytes)", bundleBytes),
      bytesRow("dist/lambda.zip (bytes)", zipBytes)
    ],
    targets: [
      {
        name: `issue 14: bundle import / bare node (spawn to exit); beside it, the first event after the import (in process): ` +
          `${fixed(firstEventMs, 0)} ms on localhost, ${fixed(farFirstEventMs, 0)} ms with ${far}; import + first event ${fixed(ratio(firstEvents))}× / ${fixed(ratio(farFirstEvents))}× bare node`,
        value: importRatio,
        target: "≤ 3",
        met: importRatio <= 3
      },
      { name: "bundle size (entry and chunks), MB (10^6 bytes)", value: bundleBytes / 1e6, target: "≤ 1.5", met: bundleBytes <= BundleLimit },
      { name: `first events that ended submitted (of ${2 * rounds}, both stacks)`, value: submitted, target: `= ${2 * rounds}`, met: submitted === 2 * rounds }
    ],
    notes: [
      `import / bare node in CPU time (what the process reports at its end; less sensitive to other work on the machine than wall time): ${importCpuRatio.toFixed(2)}×`,
      `bundle ${(bundleBytes / 1e6).toFixed(2)} MB in ${meta.files} files, of which the import parses ${(meta.importBytes / 1e6).toFixed(2)} MB in ${meta.importFiles}; zip ${(zipBytes / 1e6).toFixed(2)} MB; npm run build took ${(buildMs / 1000).toFixed(1)} s`,
      "largest contributors to what the import parses (esbuild metafile, bytes in output): " +
      meta.top.map((t) => `${t.name} ${(t.bytes / 1e3).toFixed(0)} kB (${(t.bytes / meta.importBytes * 100).toFixed(0)}%)`).join(", "),
      "left to dynamic import(), each chunk by what it adds and its largest package (what the AWS SDK itself imports on demand: " +
      "the credential providers other than the environment's never load on Lambda): " +
      meta.lazy.map((l) => `${l.top} ${(l.bytes / 1e3).toFixed(0)} kB`).join(", "),
      "first event: a new 1 KiB object in a member account (so AssumeRole is part of it); the stack runs in another process; " +
      `with round trips, every call of the scanner (STS, Secrets Manager, JSONAir, highvolt, S3) goes through a proxy that holds each new connection ${RoundTrips.connectMs} ms and each answer ${RoundTrips.rttMs} ms; ` +
      `outcomes: ${[...new Set(outcomes)].join(", ")}`,
      "the stack lifts the 5-logins-per-minute limit of JSONAir and highvolt: with it, every cold start after the fifth in a minute " +
      "(from one IP) would wait for its logins",
      `all runs with NODE_NO_WARNINGS=1 (Node 20 here: the AWS SDK would print a support warning; Lambda runs nodejs22.x)`,
      `load average (1 min) ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after, on ${cpus().length} cores`
    ]
  }
}

export default bench
