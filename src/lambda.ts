/**
 * The Lambda entry point (`index.handler` in the bundle). Nothing touches the network at module
 * load: the application layer is built on the first invocation (the cold start counts against
 * that invocation's timeout, not Lambda's 10 s init limit) and reused while the container lives.
 * A build that failed is discarded, so the next invocation tries again; SIGTERM disposes it.
 */
import type { Context } from "aws-lambda"
import { Layer, Logger, ManagedRuntime, Option } from "effect"
import { AppLayer } from "./AppLayer.js"
import { currentDeadline } from "./Deadline.js"
import { handle } from "./Invocation.js"
import { OutcomeLog } from "./OutcomeLog.js"

/** Stop this long before Lambda's own timeout, to record the outcome and fail cleanly. */
export const safetyMarginMs = 3_000

const layerFor = (deadline: number) =>
  Layer.mergeAll(AppLayer, OutcomeLog.emf).pipe(
    // Retries during the cold start respect the first invocation's deadline too.
    Layer.locally(currentDeadline, Option.some(deadline)),
    Layer.provide(Logger.json)
  )

type AppRuntime = ManagedRuntime.ManagedRuntime<Layer.Layer.Success<ReturnType<typeof layerFor>>, Layer.Layer.Error<ReturnType<typeof layerFor>>>

let building: Promise<AppRuntime> | undefined

const runtimeFor = (deadline: number): Promise<AppRuntime> => {
  building ??= (async () => {
    const runtime = ManagedRuntime.make(layerFor(deadline))
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

/** Rejects when `promise` has not settled by the deadline (the build goes on for the next invocation). */
const beforeDeadline = <A>(promise: Promise<A>, deadline: number): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("cold start did not finish before the invocation's deadline")),
      Math.max(0, deadline - Date.now())
    )
    promise.then(resolve, reject).finally(() => clearTimeout(timer))
  })

/** Errors thrown to Lambda carry only our own messages: they end up in logs and DLQ records. */
const rethrow = (error: unknown): never => {
  throw error instanceof Error ? new Error(error.message) : new Error(String(error))
}

export const handler = async (event: unknown, context: Pick<Context, "getRemainingTimeInMillis">) => {
  const deadline = Date.now() + context.getRemainingTimeInMillis() - safetyMarginMs
  const runtime = await beforeDeadline(runtimeFor(deadline), deadline).catch((error) => {
    console.error(JSON.stringify({ level: "ERROR", message: "cold start failed", error: error instanceof Error ? error.message : String(error) }))
    return rethrow(error)
  })
  return runtime.runPromise(handle(event, { deadline })).catch(rethrow)
}

process.once("SIGTERM", () => {
  void building?.then((runtime) => runtime.dispose()).catch(() => undefined).finally(() => process.exit(0))
})
