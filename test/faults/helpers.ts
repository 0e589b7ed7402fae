/**
 * Fault-injection harness: the embedded local stack (loopback only) and the PRODUCTION
 * application layer behind the Lambda handler, composed as `src/lambda.ts` composes it (JSON
 * logger, EMF outcome lines on stdout) — plus an in-memory copy of every outcome, and a capture
 * of everything the process prints, so that each case can assert the invariants of issue 6:
 *
 * - exactly one terminal outcome per event, and a `failed` one surfaces (handler rejects, SQS
 *   `batchItemFailures`, CLI exit 1 naming it);
 * - no spool file (`highvolt-spool-*` in the file's temp dir) outlives its event;
 * - no content is accepted twice by highvolt-server;
 * - no secret of the stack (`secretValues()`) in logs, errors, outcomes or CLI output.
 *
 * Each test file runs in its own process (vitest forks) with a temp dir of its own (below): the
 * TMPDIR of its containers and CLI runs.
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs"
import * as os from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeEach, expect } from "vitest"
import { cloudTrail, type ObjectRef } from "../../emulators/EventFactory.js"
import type * as LocalStack from "../../emulators/LocalStack.js"
import type { Outcome } from "../../src/Outcome.js"
import { openSpoolFiles } from "../helpers/spoolFiles.js"
import {
  childEnv,
  type Container,
  type ContainerOptions,
  type Invoked,
  newContainer as newLambdaContainer,
  nonLoopbackConnections,
  type Stack,
  type StackFixture,
  type StackFixtureOptions,
  useStack as useLocalStack
} from "../helpers/localStackHarness.js"
import { leakedSecrets, pdf, sha256 } from "../helpers/stackQueries.js"

export * from "../../emulators/EventFactory.js"
export { type Container, type Invoked, nonLoopbackConnections, type Stack, startStack } from "../helpers/localStackHarness.js"
export * from "../helpers/stackQueries.js"

// ---------------------------------------------------------------------------------------------
// A private temp dir: spool files of this file's tests, and only those, land here
// ---------------------------------------------------------------------------------------------

const sharedTmp = os.tmpdir()
const privateTmp = mkdtempSync(join(sharedTmp, "hv-faults-"))
// The CLI runs through tsx, which caches its transforms in its TMPDIR: share that cache, or
// every file's first CLI run compiles the whole program again.
const tsxCache = `tsx-${process.getuid?.() ?? os.userInfo().uid}`
mkdirSync(join(sharedTmp, tsxCache), { recursive: true })
symlinkSync(join(sharedTmp, tsxCache), join(privateTmp, tsxCache))
// Registered first, so it runs after the test file's own afterAll (which stops the stack).
afterAll(() => rmSync(privateTmp, { recursive: true, force: true }))

/**
 * Spool entries (`highvolt-spool-*`) left by name in this file's temp dir (the TMPDIR of its
 * containers and CLI runs): there must be none, since spool files are unlinked once open.
 */
export const spoolFiles = (): ReadonlyArray<string> => readdirSync(privateTmp).filter((name) => name.startsWith("highvolt-spool-"))

/**
 * Polls this process's open spool files (its containers') while something runs: `stop()` says
 * how many were open at once, at most.
 */
export const watchSpool = () => {
  let most = 0
  const timer = setInterval(() => {
    most = Math.max(most, openSpoolFiles().length)
  }, 5)
  return {
    stop: () => {
      clearInterval(timer)
      return most
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Everything the process prints
// ---------------------------------------------------------------------------------------------

const printed: Array<string> = []
const verbose = process.env.FAULTS_VERBOSE === "1"

const capture = () => {
  const text = (args: ReadonlyArray<unknown>) =>
    args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.name}: ${a.message}\n${a.stack ?? ""}` : safeJson(a))).join(" ")
  for (const method of ["log", "error", "warn", "info", "debug", "trace"] as const) {
    const original = console[method].bind(console)
    console[method] = (...args: Array<unknown>) => {
      printed.push(text(args))
      if (verbose) original(...args)
    }
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as (...args: Array<unknown>) => boolean
    stream.write = ((chunk: unknown, ...rest: Array<unknown>) => {
      printed.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"))
      return verbose ? original(chunk, ...rest) : true
    }) as typeof stream.write
  }
}

const safeJson = (value: unknown) => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
capture()

// Each test's own output: `expectClean` looks at what was printed since the test began.
let testMark = 0
beforeEach(() => {
  testMark = printed.length
})

/** Everything printed by this process (console and stdout/stderr) since `mark` (0: since start). */
export const printedSince = (mark = 0): ReadonlyArray<string> => printed.slice(mark)
export const printMark = (): number => printed.length

// ---------------------------------------------------------------------------------------------
// A Lambda container
// ---------------------------------------------------------------------------------------------

/**
 * A fresh Lambda container as `src/lambda.ts` builds it (JSON logger, EMF outcome lines, all of
 * it captured above), spooling into this file's temp dir.
 */
export const newContainer = (stack: Stack, options: ContainerOptions = {}): Container =>
  newLambdaContainer(stack, { ...options, printed: true, env: { TMPDIR: privateTmp, ...options.env } })

/** The test file's stack (`useStack` of the harness); its containers are made by `newContainer` above. */
export const useStack = (options: Omit<StackFixtureOptions, "newContainer"> = {}): StackFixture =>
  useLocalStack({ ...options, newContainer })

/** A container of the file's stack that has scanned one object: its cold start is behind it. */
export const warmContainer = async (local: StackFixture, label: string): Promise<Container> => {
  const app = local.container()
  const warm = await seed(local.stack, `${label}/warm.pdf`)
  answer(await app.settle(cloudTrail(warm.object)))
  return app
}

/** The invocation's rejection; fails the test when it resolved. */
export const rejection = (invoked: Invoked): Error => {
  if (invoked.ok) throw new Error(`expected the invocation to fail, it answered ${JSON.stringify(invoked.value)}`)
  return invoked.error
}

/** The invocation's answer; fails the test when it rejected. */
export const answer = (invoked: Invoked): any => {
  if (!invoked.ok) throw new Error(`expected the invocation to succeed, it failed: ${invoked.error.message}`)
  return invoked.value
}

// ---------------------------------------------------------------------------------------------
// Content
// ---------------------------------------------------------------------------------------------

export interface Seeded {
  readonly object: ObjectRef
  readonly body: Buffer
  readonly hash: string
}

/** Puts `body` (a unique PDF by default) into the default bucket of `account`/`region`. */
export const seed = async (
  stack: LocalStack.LocalStackHandle,
  key: string,
  options: { readonly account?: string; readonly region?: string; readonly body?: Buffer } = {}
): Promise<Seeded> => {
  const account = options.account ?? stack.accounts.own
  const region = options.region ?? stack.regions[0]!
  const bucket = stack.bucketName(account, region)
  const body = options.body ?? pdf(key)
  await Effect.runPromise(stack.putObject({ bucket, key, body }))
  return { object: { account, region, bucket, key }, body, hash: sha256(body) }
}

// ---------------------------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------------------------

/** Exactly one outcome for the event id (of the given kind, when given). */
export function expectOneOutcome<K extends Outcome["outcome"]>(app: Container, eventId: string, kind: K): Extract<Outcome, { outcome: K }>
export function expectOneOutcome(app: Container, eventId: string): Outcome
export function expectOneOutcome(app: Container, eventId: string, kind?: Outcome["outcome"]): Outcome {
  const outcomes = app.outcomesOf(eventId)
  expect(outcomes.map((o) => o.outcome), `outcomes of ${eventId}`).toHaveLength(1)
  if (kind !== undefined) expect(outcomes[0]!.outcome, `outcome of ${eventId}`).toBe(kind)
  return outcomes[0]!
}

/**
 * The invariants every case ends with: no spool file left, no content accepted twice, nothing
 * secret in what the test printed, in the container's outcomes or in `extra`, nothing off loopback.
 */
export const expectClean = (stack: LocalStack.LocalStackHandle, app?: Container, extra: ReadonlyArray<string> = []) => {
  expect(spoolFiles(), "spool files left in the temp dir").toEqual([])
  const accepted = new Map<string, number>()
  for (const s of stack.highvolt.submissions) {
    if (s.accepted) accepted.set(String(s.fields["sha256"]), (accepted.get(String(s.fields["sha256"])) ?? 0) + 1)
  }
  expect([...accepted].filter(([, n]) => n > 1), "content accepted more than once").toEqual([])
  const outcomes = app === undefined ? [] : app.outcomes().map((o) => JSON.stringify(o))
  expect(leakedSecrets(stack, [...printedSince(testMark), ...outcomes, ...extra]), "secrets in output").toEqual([])
  expect(nonLoopbackConnections()).toEqual([])
}

// ---------------------------------------------------------------------------------------------
// The CLI, as a child process
// ---------------------------------------------------------------------------------------------

export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

const root = new URL("../../", import.meta.url).pathname

/**
 * Runs `highvolt-s3 <args>` (from source, through tsx) with the stack's environment plus `env`,
 * spooling into this file's temp dir. Asynchronous: the stack answers from this process meanwhile.
 */
export const runCli = (
  stack: Stack,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly input?: string; readonly timeoutMs?: number } = {}
): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const started = Date.now()
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], {
      cwd: root,
      env: childEnv(stack, { TMPDIR: privateTmp, ...options.env, NO_COLOR: "1" }),
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")))
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Date.now() - started })
    })
    child.stdin.end(options.input ?? "")
  })
