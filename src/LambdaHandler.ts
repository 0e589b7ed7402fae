/**
 * A Lambda handler around the application layer. Nothing touches the network at module load:
 * the layer is built on the first invocation (the cold start counts against that invocation's
 * timeout, not Lambda's 10 s init limit) and its runtime reused while the container lives.
 * A build that failed is discarded, so the next invocation tries again; `dispose` (wired to
 * SIGTERM by the entry point) releases clients and spool files.
 */
import { Layer, ManagedRuntime, Option } from "effect"
import { currentDeadline } from "./Deadline.js"
import { handle, type InvocationServices } from "./Invocation.js"

/** Stop this long before Lambda's own timeout, to record outcomes and fail cleanly. */
export const safetyMarginMs = 3_000

export interface LambdaContext {
  readonly getRemainingTimeInMillis: () => number
}

export interface LambdaHandler {
  readonly handler: (event: unknown, context: LambdaContext) => Promise<unknown>
  readonly dispose: () => Promise<void>
}

/** Rejects when `promise` has not settled by `deadline`; the work itself goes on. */
const beforeDeadline = <A>(promise: Promise<A>, deadline: number, what: string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish before the invocation's deadline`)), Math.max(0, deadline - Date.now()))
    promise.then(resolve, reject).finally(() => clearTimeout(timer))
  })

/** What Lambda sees of a failure: our own message only (it lands in logs and DLQ records). */
const plainError = (error: unknown): Error => new Error(error instanceof Error ? error.message : String(error))

export const makeHandler = <E>(layer: Layer.Layer<InvocationServices, E>): LambdaHandler => {
  type AppRuntime = ManagedRuntime.ManagedRuntime<InvocationServices, E>
  let building: Promise<AppRuntime> | undefined

  const runtimeFor = (deadline: number): Promise<AppRuntime> => {
    building ??= (async () => {
      // Retries during the cold start respect the first invocation's deadline too.
      const runtime = ManagedRuntime.make(Layer.locally(layer, currentDeadline, Option.some(deadline)))
      try {
        await runtime.runtime()
        return runtime
      } catch (error) {
        building = undefined
        await runtime.dispose().catch(() => undefined)
        throw error
      }
    })()
    return building
  }

  const handler = async (event: unknown, context: LambdaContext) => {
    const deadline = Date.now() + context.getRemainingTimeInMillis() - safetyMarginMs
    const runtime = await beforeDeadline(runtimeFor(deadline), deadline, "cold start").catch((error) => {
      console.error(JSON.stringify({ level: "ERROR", message: "cold start failed", error: plainError(error).message }))
      throw plainError(error)
    })
    return runtime.runPromise(handle(event, { deadline })).catch((error) => {
      throw plainError(error)
    })
  }

  const dispose = async () => {
    const runtime = await building?.catch(() => undefined)
    building = undefined
    await runtime?.dispose()
  }

  return { handler, dispose }
}
