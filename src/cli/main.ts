#!/usr/bin/env node
/**
 * `highvolt-s3`: the scanner from the command line, running the same application layer and
 * per-event program as the Lambda.
 *
 *   replay <file|->   replay events (JSON, JSON array or JSON Lines; any shape the Lambda
 *                     accepts, or SQS messages / archive / on-failure records wrapping one)
 *   backfill --direct list the objects that already exist (accounts × Regions, buckets,
 *                     prefix) and scan each one, resumably (a checkpoint file)
 *   backfill --batch-operations
 *                     one S3 Batch Operations job per account × Region invoking the
 *                     backfill function; followed to the end, its reports summarised
 *   local             start the embedded local stack and print its environment
 *   demo              seed the local stack, replay realistic events, print what happened
 *
 * Exit codes: 0 nothing failed, 1 some event failed, 2 usage or configuration error, 130 Ctrl-C.
 */
import { Args, Command, Options, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Exit, Layer, Logger, LogLevel } from "effect"
import { readFileSync } from "node:fs"
import packageJson from "../../package.json" with { type: "json" }
import { tuneHeapForStreaming } from "../HeapTuning.js"
import { isFailed } from "../Outcome.js"
import * as LocalStack from "../../emulators/LocalStack.js"
import { withApp } from "./App.js"
import { backfillCommand } from "./BackfillCommand.js"
import { runDemo } from "./Demo.js"
import { progress } from "./Progress.js"
import { ExitCode, usageError } from "./ExitCode.js"
import { DefaultEventBudgetMs, replay } from "./Replay.js"
import { parseReplayInput } from "./ReplayInput.js"
import { summary } from "./Summary.js"


const readInput = (input: string) =>
  Effect.try({
    try: () => readFileSync(input === "-" ? 0 : input, "utf8"),
    catch: (error) => `cannot read ${input === "-" ? "standard input" : input}: ${error instanceof Error ? error.message : String(error)}`
  })

const replayCommand = Command.make(
  "replay",
  {
    input: Args.text({ name: "file|-" }).pipe(Args.withDescription("events to replay; - reads standard input")),
    concurrency: Options.integer("concurrency").pipe(Options.withDefault(4), Options.withDescription("events scanned at a time")),
    json: Options.boolean("json").pipe(Options.withDescription("one JSON outcome per line on stdout, nothing else")),
    local: Options.boolean("local").pipe(Options.withDescription("start the embedded local stack and scan against it")),
    timeout: Options.integer("timeout").pipe(
      Options.withDefault(DefaultEventBudgetMs / 1000),
      Options.withDescription("seconds one event may take before it fails, as the Lambda's timeout would end it")
    )
  },
  ({ concurrency, input, json, local, timeout }) =>
    Effect.gen(function*() {
      if (concurrency < 1) return yield* usageError("--concurrency must be at least 1")
      if (timeout < 1) return yield* usageError("--timeout must be at least 1 (seconds)")
      const text = yield* Effect.either(readInput(input))
      if (text._tag === "Left") return yield* usageError(text.left)
      const items = parseReplayInput(text.right)
      if (items.length === 0) return yield* usageError(`no events in ${input === "-" ? "standard input" : input}`)
      const stack = local ? yield* LocalStack.start() : undefined

      const bar = progress(json ? 0 : items.length)
      const ran = yield* withApp(replay(items, {
        concurrency,
        eventBudgetMs: timeout * 1000,
        onOutcome: (outcome) => json ? Console.log(JSON.stringify(outcome)) : Effect.void,
        onItem: bar.advance(1)
      }), stack)
      yield* bar.finish
      if (ran._tag === "Left") return yield* usageError(`cannot start: ${ran.left}`)
      if (!json) yield* Console.log(summary(ran.right))
      return ran.right.some(isFailed) ? ExitCode.failed : ExitCode.ok
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("Replay events through the scanner (from a file, an EventBridge archive or a DLQ dump)"))

const localCommand = Command.make("local", {}, () =>
  Effect.gen(function*() {
    const stack = yield* LocalStack.start()
    yield* Console.log(Object.entries(stack.env).map(([k, v]) => `export ${k}='${v}'`).join("\n"))
    yield* Console.error(`local stack running (accounts: own ${stack.accounts.own}, members ${stack.accounts.members.join(", ")}); Ctrl-C stops it`)
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(Command.withDescription("Start the embedded local stack and print the environment that points at it"))

const demoCommand = Command.make("demo", {}, () => runDemo).pipe(
  Command.withDescription("Seed the local stack with realistic objects, replay their events and show what highvolt-server received")
)

const cli = Command.make("highvolt-s3").pipe(
  Command.withSubcommands([replayCommand, backfillCommand, localCommand, demoCommand]),
  Command.run({ name: "highvolt-s3", version: packageJson.version })
)

const program = Effect.suspend(() => cli(process.argv)).pipe(
  Effect.map((code) => (typeof code === "number" ? code : ExitCode.ok)),
  Effect.catchIf(ValidationError.isValidationError, () => Effect.succeed(ExitCode.usage)),
  Effect.provide(Layer.mergeAll(NodeContext.layer, Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)))),
  Logger.withMinimumLogLevel(LogLevel.Warning)
)

tuneHeapForStreaming()

NodeRuntime.runMain(program, {
  // Logs go to stderr only (logfmt, above): runMain's pretty logger would print them on stdout
  // too, in the middle of `--json` outcome lines.
  disablePrettyLogger: true,
  disableErrorReporting: false,
  // Ctrl-C interrupts the program (its finalizers run: a backfill's checkpoint is saved); 130 as a shell reports SIGINT.
  teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? Number(exit.value) : Exit.isInterrupted(exit) ? ExitCode.interrupted : ExitCode.failed)
})
