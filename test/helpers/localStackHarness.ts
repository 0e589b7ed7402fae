/**
 * What the integration and fault suites share: a guard that refuses every socket this process
 * opens to anything but loopback, and the embedded local stack started with this process's
 * environment pointed at it (host AWS, proxy and TLS variables scrubbed first).
 */
import * as net from "node:net"
import { Effect, Exit, Scope } from "effect"
import * as LocalStack from "../../emulators/LocalStack.js"

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

/** Variables of the host that would change what the SDK or the scanner does: never inherited. */
const scrubbed = [
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

/** Starts the local stack and points this process's environment at it (one stack per test file). */
export const startStack = async (options: LocalStack.LocalStackOptions = {}): Promise<Stack> => {
  const scope = Effect.runSync(Scope.make())
  const stack = await Effect.runPromise(Scope.extend(LocalStack.start(options), scope))
  for (const name of scrubbed) delete process.env[name]
  Object.assign(process.env, stack.env)
  return { stack, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}
