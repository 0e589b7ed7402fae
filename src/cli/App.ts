/**
 * How the CLI gets its application: the same `AppLayer` as the Lambda, configured from this
 * process's environment — or, with `--local`, from the environment of an embedded local stack
 * alone (nothing of this machine's AWS setup comes into it).
 */
import { ConfigProvider, Effect, Layer } from "effect"
import type * as LocalStack from "../../emulators/LocalStack.js"
import { AppLayer } from "../AppLayer.js"
import { Environment } from "../Environment.js"
import { BatchOperationsJobs } from "./BatchOperationsJobs.js"
import { Listing } from "./Listing.js"

export type App = Layer.Layer.Success<typeof AppLayer>

const configProviderOf = (stack: LocalStack.LocalStackHandle) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(stack.env))))

const configuredBy = (stack: LocalStack.LocalStackHandle) => AppLayer.pipe(Layer.provide(configProviderOf(stack)))

/**
 * Runs `program` with the application (against `local` when given). A failure to build it (bad
 * environment, JSONAir down, no credentials) is returned as `Left` with its message: the CLI
 * exits 2 on it.
 */
export const withApp = <A, R>(program: Effect.Effect<A, never, R | App>, local?: LocalStack.LocalStackHandle) =>
  program.pipe(
    Effect.provide(local === undefined ? AppLayer : configuredBy(local)),
    Effect.mapError((error) => (error as { readonly message?: unknown }).message?.toString() ?? String(error)),
    Effect.either
  )

/**
 * The application plus what a backfill needs besides: S3 listings, Batch Operations jobs, and
 * the environment (for the default Region).
 */
export const BackfillLayer = Layer.merge(Listing.layer, BatchOperationsJobs.layer).pipe(Layer.provideMerge(Layer.merge(AppLayer, Environment.layer)))

export type BackfillApp = Layer.Layer.Success<typeof BackfillLayer>

/** As `withApp`, with `BackfillLayer`. */
export const withBackfillApp = <A, R>(program: Effect.Effect<A, never, R | BackfillApp>, local?: LocalStack.LocalStackHandle) =>
  program.pipe(
    Effect.provide(local === undefined ? BackfillLayer : BackfillLayer.pipe(Layer.provide(configProviderOf(local)))),
    Effect.mapError((error) => (error as { readonly message?: unknown }).message?.toString() ?? String(error)),
    Effect.either
  )
