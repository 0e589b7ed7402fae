/**
 * What the integration and fault suites share: a guard that refuses every socket this process
 * opens to anything but loopback, the embedded local stack, and Lambda containers of the
 * production application layer configured from the stack's environment (never this process's:
 * nothing here writes to `process.env` but `pointProcessAt`).
 */
import * as net from "node:net"
import { ConfigProvider, Effect, Exit, Layer, Logger, Ref, Scope } from "effect"
import { afterAll, afterEach, beforeAll } from "vitest"
import * as LocalStack from "../../emulators/LocalStack.js"
import { AppLayer } from "../../src/AppLayer.js"
import { type LambdaHandler, makeHandler } from "../../src/LambdaHandler.js"
import type { Outcome } from "../../src/Outcome.js"
import { OutcomeLog } from "../../src/OutcomeLog.js"

// ---------------------------------------------------------------------------------------------
// Loopback only
// ---------------------------------------------------------------------------------------------

const loopback = new Set(["127.0.0.1", "localhost", "::1", "::ffff:127.0.0.1"])
const offLoopback: Array<string> = []

/** Hosts this process tried to reach other than loopback (each attempt was refused). */
export const nonLoopbackConnections = (): ReadonlyArray<string> => offLoopback

const guardSockets = () => {
  const proto = net.Socket.prototype as unknown as { connect: (...args: Array<unknown>) => unknown; __hvLoopbackGuard?: true }
  if (proto.__hvLoopbackGuard) return
  const original = proto.connect
  proto.connect = function(this: net.Socket, ...args: Array<unknown>) {
    const [first, second] = args
    let host: string | undefined
    const options = (Array.isArray(first) ? first[0] : first) as { host?: string | null; path?: string | null } | undefined
    if (typeof options === "object" && options !== null) {
      // Unix sockets and pipes (vitest's own channels) have a `path` and no host.
      if (typeof options.path !== "string" || options.path === "") host = options.host ?? "localhost"
    } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
      host = typeof second === "string" ? second : "localhost"
    }
    if (host !== undefined && !loopback.has(host)) {
      offLoopback.push(host)
      throw new Error(`tests may only connect to loopback, not ${host}`)
    }
    return original.apply(this, args)
  }
  proto.__hvLoopbackGuard = true
}
guardSockets()

// ---------------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------------

/** Variables of the host that would change what the SDK or the scanner does in a child process: never inherited. */
const hostOnly = [
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_SESSION_TOKEN",
  "AWS_SECURITY_TOKEN",
  "AWS_ENDPOINT_URL",
  "AWS_CONFIG_FILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_LAMBDA_FUNCTION_NAME",
  "CROSS_ACCOUNT_EXTERNAL_ID",
  "TLS_SKIP_VERIFY",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "http_proxy",
  "https_proxy",
  "NODE_EXTRA_CA_CERTS",
  "NODE_TLS_REJECT_UNAUTHORIZED"
]

export interface Stack {
  readonly stack: LocalStack.LocalStackHandle
  readonly close: () => Promise<void>
}

/** Starts the local stack (one per test file). Nothing of this process changes: see `configOf` and `childEnv`. */
export const startStack = async (options: LocalStack.LocalStackOptions = {}): Promise<Stack> => {
  const scope = Effect.runSync(Scope.make())
  const stack = await Effect.runPromise(Scope.extend(LocalStack.start(options), scope))
  return { stack, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** Variables to set over the stack's environment; `undefined` removes one. */
export type EnvOverrides = Readonly<Record<string, string | undefined>>

const merged = (stack: Stack, overrides: EnvOverrides): Record<string, string> =>
  Object.fromEntries(
    Object.entries({ ...stack.stack.env, ...overrides }).filter((entry): entry is [string, string] => entry[1] !== undefined)
  )

/** The configuration an in-process scanner reads: the stack's environment and nothing of the host's. */
export const configOf = (stack: Stack, overrides: EnvOverrides = {}): ConfigProvider.ConfigProvider =>
  ConfigProvider.fromMap(new Map(Object.entries(merged(stack, overrides))))

/** The environment of a child process (the CLI, a bundle): this one's, less the host's AWS setup, plus the stack's. */
export const childEnv = (stack: Stack, overrides: EnvOverrides = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of hostOnly) delete env[name]
  return { ...env, ...merged(stack, overrides) }
}

/**
 * Points this whole process at the stack, for what reads the process environment itself: the
 * deployed entry point `src/lambda.ts`, as Lambda runs it. Only for a test file that loads it.
 */
export const pointProcessAt = (stack: Stack): void => {
  for (const name of hostOnly) delete process.env[name]
  Object.assign(process.env, stack.stack.env)
}

// ---------------------------------------------------------------------------------------------
// A Lambda container
// ---------------------------------------------------------------------------------------------

export type Invoked =
  | { readonly ok: true; readonly value: any; readonly ms: number }
  | { readonly ok: false; readonly error: Error; readonly ms: number }

export interface Container {
  /** The Lambda handler, as `src/lambda.ts` exports it. */
  readonly lambda: LambdaHandler
  /** Invokes the handler with a context that leaves `remainingMs` (default 60 s): its answer, or its rejection. */
  readonly invoke: (event: unknown, remainingMs?: number) => Promise<any>
  /** Invokes and returns the rejection (or fails the test if it resolved). */
  readonly invokeFailing: (event: unknown, remainingMs?: number) => Promise<Error>
  /** Invokes and says how it ended; never rejects. */
  readonly settle: (event: unknown, remainingMs?: number) => Promise<Invoked>
  /** Every outcome recorded so far, in order. */
  readonly outcomes: () => ReadonlyArray<Outcome>
  /** Outcomes of one event id. */
  readonly outcomesOf: (eventId: string) => ReadonlyArray<Outcome>
  readonly dispose: () => Promise<void>
}

export interface ContainerOptions {
  /** Over the stack's environment, e.g. `{ TMPDIR }`, `{ CROSS_ACCOUNT_EXTERNAL_ID: undefined }`. */
  readonly env?: EnvOverrides
  /** Log as `src/lambda.ts` does: JSON log lines and EMF outcome lines on stdout (outcomes are kept either way). */
  readonly printed?: boolean
}

/**
 * A fresh Lambda container: the PRODUCTION `AppLayer` behind the Lambda handler, built lazily on
 * the first invocation, configured from the stack's environment (a `ConfigProvider`, as the
 * process environment configures it in Lambda). Every outcome is kept in memory.
 */
export const newContainer = (stack: Stack, options: ContainerOptions = {}): Container => {
  const recorded = Effect.runSync(Ref.make<ReadonlyArray<Outcome>>([]))
  const keep = (outcome: Outcome) => Ref.update(recorded, (all) => [...all, outcome])
  const emf = Effect.runSync(Effect.provide(OutcomeLog, OutcomeLog.layer))
  const outcomeLog = Layer.succeed(OutcomeLog, {
    record: (outcome) => options.printed === true ? Effect.zipRight(emf.record(outcome), keep(outcome)) : keep(outcome)
  })
  const app = Layer.mergeAll(AppLayer, outcomeLog).pipe(
    Layer.provide(Layer.setConfigProvider(configOf(stack, options.env))),
    options.printed === true ? Layer.provide(Logger.json) : (layer) => layer
  )
  const lambda = makeHandler(app)
  const context = (ms: number) => ({ getRemainingTimeInMillis: () => ms })
  const outcomes = () => Effect.runSync(Ref.get(recorded))
  return {
    lambda,
    invoke: (event, ms = 60_000) => lambda.handler(event, context(ms)),
    invokeFailing: (event, ms = 60_000) =>
      lambda.handler(event, context(ms)).then(
        (answer) => {
          throw new Error(`expected the invocation to fail, it answered ${JSON.stringify(answer)}`)
        },
        (error: unknown) => error as Error
      ),
    settle: async (event, ms = 60_000) => {
      const started = Date.now()
      try {
        const value = await lambda.handler(event, context(ms))
        return { ok: true, value, ms: Date.now() - started }
      } catch (error) {
        if (!(error instanceof Error)) throw new Error(`the handler rejected with a non-Error: ${String(error)}`)
        return { ok: false, error, ms: Date.now() - started }
      }
    },
    outcomes,
    outcomesOf: (eventId) => outcomes().filter((o) => o.eventId === eventId),
    dispose: () => lambda.dispose()
  }
}

// ---------------------------------------------------------------------------------------------
// The test file's stack
// ---------------------------------------------------------------------------------------------

export interface StackFixture {
  /** The started stack; read it inside tests and hooks (it throws before `beforeAll` ran). */
  readonly env: Stack
  readonly stack: LocalStack.LocalStackHandle
  /** A fresh container, disposed with the stack. */
  readonly container: (options?: ContainerOptions) => Container
}

export interface StackFixtureOptions {
  readonly stack?: LocalStack.LocalStackOptions
  /** How containers are made (the fault suite's print as `src/lambda.ts` does, into a temp dir of its own). */
  readonly newContainer?: (stack: Stack, options?: ContainerOptions) => Container
  /** After each test: undo what it injected (awaited: bringing an emulator back up is asynchronous). */
  readonly afterEach?: (stack: LocalStack.LocalStackHandle) => void | Promise<void>
}

/**
 * The test file's local stack, started before its tests and closed after them with every
 * container it made. After each test the login rate limits start over: each test's cold start
 * has its own logins, as containers minutes apart would.
 */
export const useStack = (options: StackFixtureOptions = {}): StackFixture => {
  let started: Stack | undefined
  const containers: Array<Container> = []
  const make = options.newContainer ?? newContainer
  const fixture: StackFixture = {
    get env() {
      if (started === undefined) throw new Error("the local stack is read before beforeAll started it")
      return started
    },
    get stack() {
      return fixture.env.stack
    },
    container: (containerOptions) => {
      const container = make(fixture.env, containerOptions)
      containers.push(container)
      return container
    }
  }
  beforeAll(async () => {
    started = await startStack(options.stack)
  })
  afterEach(async () => {
    if (started === undefined) return
    await options.afterEach?.(started.stack)
    started.stack.jsonair.resetRateLimit()
    started.stack.highvolt.resetRateLimit()
  })
  afterAll(async () => {
    await Promise.all(containers.map((container) => container.dispose()))
    await started?.close()
  })
  return fixture
}
