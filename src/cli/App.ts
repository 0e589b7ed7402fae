/**
 * How the CLI gets its application: the same `AppLayer` as the Lambda, configured from the
 * environment — or, with `--local`, from an embedded local stack started first.
 */
import { Effect, type Layer, type Scope } from "effect"
import { AppLayer } from "../AppLayer.js"
import * as LocalStack from "../../emulators/LocalStack.js"

/** Starts the embedded stack and points this process at it (the AWS SDK reads process.env). */
export const useLocalStack = (options?: LocalStack.LocalStackOptions): Effect.Effect<LocalStack.LocalStackHandle, never, Scope.Scope> =>
  Effect.tap(LocalStack.start(options), (stack) => Effect.sync(() => Object.assign(process.env, stack.env)))

export type App = Layer.Layer.Success<typeof AppLayer>

/**
 * Runs `program` with the application. A failure to build it (bad environment, JSONAir down,
 * no credentials) is returned as `Left` with its message: the CLI exits 2 on it.
 */
export const withApp = <A, R>(program: Effect.Effect<A, never, R | App>) =>
  program.pipe(
    Effect.provide(AppLayer),
    Effect.mapError((error) => (error as { readonly message?: unknown }).message?.toString() ?? String(error)),
    Effect.either
  )
