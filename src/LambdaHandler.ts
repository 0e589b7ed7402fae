/**
 * A Lambda handler around the application layer. Nothing touches the network at module load:
 * the layer is built on the first invocation (the cold start counts against that invocation's
 * timeout, not Lambda's 10 s init limit) and its runtime reused while the container lives.
 * A build that failed is discarded, so the next invocation tries again; `dispose` (wired to
 * SIGTERM by the entry point) releases clients and spool files.
 */
import { Either, Layer, ManagedRuntime, Option } from "effect"
import { notStarted } from "./BatchResponse.js"
import { currentDeadline } from "./Deadline.js"
import { invocationIdsOf } from "./Events.js"
import { decodeBatchJob, isBatchJob } from "./internal/events/batchOperations.js"
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
  interface Build {
    readonly runtime: AppRuntime
    readonly ready: Promise<AppRuntime>
  }
  let building: Build | undefined

  const runtimeFor = (deadline: number): Build => {
    if (building !== undefined) return building
    // Retries during the cold start respect the first invocation's deadline too.
    const runtime = ManagedRuntime.make(Layer.locally(layer, currentDeadline, Option.some(deadline)))
    const build: Build = { runtime, ready: runtime.runtime().then(() => runtime) }
    build.ready.catch(() => {
      if (building === build) building = undefined
      return runtime.dispose().catch(() => undefined)
    })
    building = build
    return build
  }

  const handler = async (event: unknown, context: LambdaContext) => {
    const deadline = Date.now() + context.getRemainingTimeInMillis() - safetyMarginMs
    const build = runtimeFor(deadline)
    const started = await beforeDeadline(build.ready, deadline, "cold start").then(
      (runtime) => Either.right(runtime),
      (error: unknown) => Either.left(error)
    )
    if (Either.isLeft(started)) {
      const error = plainError(started.left)
      // A build that missed its deadline is abandoned, its requests interrupted: it would only
      // stop at its own timeouts (15 s a call), and the next invocation would wait for it.
      if (building === build) {
        building = undefined
        void build.runtime.dispose().catch(() => undefined)
      }
      // No outcome line can be written for events never taken: this line accounts for them.
      const eventIds = invocationIdsOf(event)
      console.error(JSON.stringify({ level: "ERROR", message: "cold start failed", error: error.message, events: eventIds.length, eventIds }))
      // A Batch Operations job is answered, not failed: every task a TemporaryFailure, retried by the job.
      const job = isBatchJob(event) ? Either.getRight(decodeBatchJob(event)) : Option.none()
      if (Option.isSome(job)) return notStarted(job.value, error.message)
      throw error
    }
    return started.right.runPromise(handle(event, { deadline })).catch((error) => {
      throw plainError(error)
    })
  }

  const dispose = async () => {
    const build = building
    building = undefined
    // Interrupts a build still in progress.
    await build?.runtime.dispose()
  }

  return { handler, dispose }
}
