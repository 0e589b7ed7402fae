/**
 * The benchmark's child processes: the local stack in one (`stack.ts`), each measured scan in
 * another (`scanner.ts`), so a scanner's RSS and CPU time are its own and not the emulators'.
 * Everything listens on 127.0.0.1 only.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { PutResult, PutSpec, StackOptions } from "./stack.js"
import type { Job, JobResult, Timing } from "./scanner.js"

const here = dirname(fileURLToPath(import.meta.url))
export const repoRoot = join(here, "..", "..")

export interface Counters {
  readonly sts: { readonly getCallerIdentity: number; readonly assumeRole: number; readonly assumedByAccount: Record<string, number> }
  readonly jsonair: { readonly authRequests: number; readonly logins: number; readonly configs: number }
  readonly highvolt: {
    readonly authRequests: number
    readonly logins: number
    readonly queries: number
    readonly submits: number
    readonly accepted: number
    readonly rejected: number
    readonly queueFull: number
  }
  readonly s3: { readonly requests: number; readonly byAction: Record<string, number> }
  readonly secretsManager: { readonly getSecretValue: number }
  /** The stack process's own CPU time so far (µs, `process.cpuUsage`). */
  readonly cpu: { readonly user: number; readonly system: number }
}

export interface Stack {
  readonly env: Record<string, string>
  readonly accounts: { readonly own: string; readonly members: ReadonlyArray<string>; readonly outside: string }
  readonly put: (spec: PutSpec) => Promise<PutResult>
  readonly putMany: (specs: ReadonlyArray<PutSpec>) => Promise<ReadonlyArray<PutResult>>
  readonly markKnown: (sha256: string) => Promise<void>
  readonly counters: () => Promise<Counters>
  readonly remove: (put: PutResult) => Promise<void>
  /** With BENCH_PROFILE_DIR set, CPU-profiles the stack process between the two calls (`<dir>/<name>.cpuprofile`). */
  readonly profileStart: () => Promise<void>
  readonly profileStop: (name: string) => Promise<void>
  readonly stop: () => Promise<void>
}

const tsxNode = (script: string, args: ReadonlyArray<string>, nodeFlags: ReadonlyArray<string> = [], env: NodeJS.ProcessEnv = process.env) =>
  spawn(process.execPath, [...nodeFlags, "--import", "tsx", join(here, script), ...args], {
    cwd: repoRoot,
    env,
    stdio: ["pipe", "pipe", "pipe"]
  })

/** Starts the local stack in a child process; `stop` ends it (s3rver's files are removed). */
export const startStack = (options: StackOptions = {}): Promise<Stack> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = tsxNode("stack.ts", [JSON.stringify(options)], [
      "--max-old-space-size=2048",
      // e.g. BENCH_STACK_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the emulators
      ...(process.env["BENCH_STACK_FLAGS"] ?? "").split(" ").filter((f) => f !== "")
    ])
    let stderr = ""
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString()
    })
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
    let nextId = 1
    const call = <A>(command: Record<string, unknown>): Promise<A> =>
      new Promise((res, rej) => {
        const id = nextId++
        pending.set(id, { resolve: res as (v: unknown) => void, reject: rej })
        child.stdin!.write(JSON.stringify({ ...command, id }) + "\n")
      })
    const exited = new Promise<void>((res) => child.once("exit", () => res()))
    child.once("exit", (code) => {
      const error = new Error(`stack process exited (${code}): ${stderr.slice(-2000)}`)
      reject(error)
      for (const p of pending.values()) p.reject(error)
    })
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.startsWith("{")) return
      const message = JSON.parse(line) as { ready?: boolean; id?: number; ok?: boolean; result?: unknown; error?: string } & Record<string, unknown>
      if (message.ready === true) {
        resolve({
          env: message["env"] as Record<string, string>,
          accounts: message["accounts"] as Stack["accounts"],
          put: (spec) => call({ cmd: "put", spec }),
          putMany: (specs) => call({ cmd: "putMany", specs }),
          markKnown: (sha256) => call({ cmd: "markKnown", sha256 }),
          counters: () => call({ cmd: "counters" }),
          remove: (put) => call({ cmd: "delete", bucket: put.bucket, key: put.key }),
          profileStart: () => call({ cmd: "profileStart" }),
          profileStop: (name) => call({ cmd: "profileStop", name }),
          stop: () => {
            child.stdin!.end()
            return exited
          }
        })
        return
      }
      const waiting = message.id === undefined ? undefined : pending.get(message.id)
      if (waiting === undefined) return
      pending.delete(message.id!)
      if (message.ok === true) waiting.resolve(message.result)
      else waiting.reject(new Error(`stack: ${message.error}`))
    })
  })

/** Heap limit of scanner children: enough for the naive variant's strings at 256 MiB. */
export const ScannerHeapMiB = 8192

/** Runs one job in a fresh scanner process pointed at the stack; rejects on a non-zero exit. */
export const runJob = <J extends Job>(stack: Stack, job: J): Promise<JobResult<J>> =>
  new Promise((resolve, reject) => {
    const child = tsxNode("scanner.ts", [JSON.stringify(job)], [
      `--max-old-space-size=${ScannerHeapMiB}`,
      "--expose-gc",
      // e.g. BENCH_SCANNER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the scanner
      ...(process.env["BENCH_SCANNER_FLAGS"] ?? "").split(" ").filter((f) => f !== "")
    ], {
      ...process.env,
      ...stack.env,
      // Warnings (the SDK's Node-20 notice) go to stderr, which is kept only for errors.
      NODE_NO_WARNINGS: "1"
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString()
      if (stderr.length > 100_000) stderr = stderr.slice(-50_000)
    })
    child.stdin.end()
    child.once("exit", (code, signal) => {
      const line = stdout.split("\n").find((l) => l.startsWith("BENCH "))
      if (code !== 0 || line === undefined) {
        return reject(new Error(`scanner ${job.kind} exited ${code ?? signal}: ${stderr.slice(-3000)}${stdout.slice(-1000)}`))
      }
      resolve(JSON.parse(line.slice(6)) as JobResult<J>)
    })
  })

export const bundlePath = join(repoRoot, "dist", "lambda", "index.mjs")

let buildMs: number | undefined

/**
 * `npm run build`, once per bench process, so that the bundle measured is the one of the
 * current sources; returns how long the build took (ms).
 */
export const buildBundle = (): number => {
  if (buildMs !== undefined) return buildMs
  const start = process.hrtime.bigint()
  const r = spawnSync("npm", ["run", "build"], { cwd: repoRoot, encoding: "utf8" })
  if (r.status !== 0) throw new Error(`npm run build exited ${r.status}: ${r.stderr.slice(-2000)}`)
  buildMs = Number(process.hrtime.bigint() - start) / 1e6
  return buildMs
}

/**
 * The node flags Lambda's Node.js bootstrap passes for a function of `memoryMb`: a tenth of the
 * memory as new space (two semi-spaces), the rest as old space.
 */
export const lambdaNodeFlags = (memoryMb: number): ReadonlyArray<string> => {
  const newSpace = Math.floor(memoryMb / 10)
  return [
    "--expose-gc",
    "--max-http-header-size",
    "81920",
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`
  ]
}

/** Calls `f` once `child` has exited and closed its output, with the last 100 kB of its stdout and stderr. */
const onExit = (
  child: ChildProcess,
  f: (code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string) => void
) => {
  let stdout = ""
  let stderr = ""
  child.stdout?.on("data", (d: Buffer) => {
    stdout = (stdout + d.toString()).slice(-100_000)
  })
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-100_000)
  })
  // "close", not "exit": the last output may still be in the pipes when the process exits.
  child.once("close", (code, signal) => f(code, signal, stdout, stderr))
}

export interface LambdaJobResult {
  readonly scan: Timing
  readonly rssBeforeKiB: number
  readonly maxRssKiB: number
  /** The whole process, from its start to its exit: wall (uptime), user and sys CPU. */
  readonly process: Timing
  /** The measured event's outcome, from the handler's last EMF line (submitted, duplicate, …). */
  readonly outcome: string
}

/**
 * Scans the first event of `eventsFile` with the built bundle's handler, in a plain node process
 * started with Lambda's flags for `memoryMb`, after an untimed warm-up event.
 */
export const runLambdaJob = (
  stack: Stack,
  job: { readonly eventsFile: string; readonly warmupFile: string; readonly memoryMb: number }
): Promise<LambdaJobResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      ...lambdaNodeFlags(job.memoryMb),
      join(here, "lambda-child.mjs"),
      pathToFileURL(bundlePath).href,
      job.warmupFile,
      job.eventsFile
    ], {
      cwd: repoRoot,
      env: { ...process.env, ...stack.env, NODE_NO_WARNINGS: "1", AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(job.memoryMb) },
      stdio: ["ignore", "pipe", "pipe"]
    })
    onExit(child, (code, signal, stdout, stderr) => {
      const line = stdout.split("\n").find((l) => l.startsWith("BENCH "))
      if (code !== 0 || line === undefined) {
        return reject(new Error(`lambda child exited ${code ?? signal}: ${stderr.slice(-3000)}${stdout.slice(-1000)}`))
      }
      const outcomes = stdout.split("\n").flatMap((l) => {
        try {
          const document = JSON.parse(l) as { Outcome?: unknown }
          return typeof document.Outcome === "string" ? [document.Outcome] : []
        } catch {
          return []
        }
      })
      resolve({ ...(JSON.parse(line.slice(6)) as Omit<LambdaJobResult, "outcome">), outcome: outcomes.at(-1) ?? "none" })
    })
  })

export const cliPath = join(repoRoot, "dist", "cli", "main.mjs")

export interface CliJobResult {
  /** The whole CLI process, from its start to its exit. */
  readonly process: Timing
  readonly maxRssKiB: number
  /** The outcomes it printed (`--json`), by name. */
  readonly outcomes: ReadonlyArray<string>
}

/**
 * Replays `eventsFile` with the shipped CLI (`dist/cli/main.mjs replay --json`, built by
 * `buildBundle`) in plain node, as a user runs it, against the stack; its whole-process CPU
 * comes from a preloaded reporter (`report-cpu.mjs`). Rejects on a non-zero exit.
 */
export const runCliJob = (stack: Stack, eventsFile: string): Promise<CliJobResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      "--import",
      pathToFileURL(join(here, "report-cpu.mjs")).href,
      cliPath,
      "replay",
      eventsFile,
      "--concurrency",
      "1",
      "--json"
    ], { cwd: repoRoot, env: { ...process.env, ...stack.env, NODE_NO_WARNINGS: "1" }, stdio: ["ignore", "pipe", "pipe"] })
    onExit(child, (code, signal, stdout, stderr) => {
      const line = stderr.split("\n").find((l) => l.startsWith("BENCH "))
      if (code !== 0 || line === undefined) {
        return reject(new Error(`cli exited ${code ?? signal}: ${stderr.slice(-3000)}${stdout.slice(-1000)}`))
      }
      const outcomes = stdout.split("\n").flatMap((l) => {
        try {
          const outcome = (JSON.parse(l) as { outcome?: unknown }).outcome
          return typeof outcome === "string" ? [outcome] : []
        } catch {
          return []
        }
      })
      resolve({ ...(JSON.parse(line.slice(6)) as Omit<CliJobResult, "outcomes">), outcomes })
    })
  })
