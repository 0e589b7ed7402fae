/**
 * `highvolt-s3 backfill`: scan the objects that already exist, in one of two modes (`modeOf`):
 * `--direct` (this process lists and scans, resumably) or `--batch-operations` (one S3 Batch
 * Operations job per account × Region, run by AWS and followed from here: `BatchOperationsMode`).
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Either, Option, Schema } from "effect"
import { createHash } from "node:crypto"
import { resolve } from "node:path"
import { Credentials } from "../Credentials.js"
import { AccountId, BucketName, Region } from "../Domain.js"
import { Environment } from "../Environment.js"
import { withBackfillApp } from "./App.js"
import { type BackfillTarget, countDirect, resolveBuckets, runDirect, totals } from "./Backfill.js"
import type { BatchSettings } from "./BatchBackfill.js"
import { parseManifestOption } from "./BatchManifest.js"
import { batchDryRun, batchRun } from "./BatchOperationsMode.js"
import * as Checkpoint from "./Checkpoint.js"
import { estimate, usd } from "./CostModel.js"
import { ExitCode, usageError } from "./ExitCode.js"
import { formatBytes, transferProgress } from "./Progress.js"
import { DefaultEventBudgetMs } from "./Replay.js"
import { table, tally } from "./Summary.js"

const listOption = (name: string, description: string) =>
  Options.text(name).pipe(Options.repeated, Options.withDescription(`${description} (repeat it, or separate with commas)`))

/** An option of `--batch-operations` only, optional: its default depends on the own account and Region. */
const batchOption = (name: string, description: string) => Options.text(name).pipe(Options.optional, Options.withDescription(`--batch-operations: ${description}`))

const options = {
  direct: Options.boolean("direct").pipe(Options.withDescription("list the objects from here (ListBuckets, ListObjectsV2) and scan each one")),
  batchOperations: Options.boolean("batch-operations").pipe(
    Options.withDescription("create one S3 Batch Operations job per account × Region invoking the backfill function, follow them, summarise their reports")
  ),
  manifest: batchOption("manifest", "inventory:s3://<bucket>/<path>/manifest.json (one --account and --region); default: a CSV manifest listed from here"),
  jobRole: batchOption("job-role", "the job role ARN (terraform output backfill_job_role_arn); default: arn:aws:iam::<own account>:role/highvolt-s3-backfill-batch-operations"),
  function: batchOption("function", "the function ARN (terraform output backfill_function_arn); default: highvolt-aws-s3-lambda-backfill in the own account and Region"),
  reportBucket: batchOption("report-bucket", "manifests and completion reports (terraform output backfill_bucket); default: highvolt-s3-backfill-<own account>-<Region>"),
  account: listOption("account", "account to backfill; default: the account of these credentials"),
  region: listOption("region", "Region to backfill; default: AWS_REGION"),
  bucket: listOption("bucket", "only this bucket (it must be in one of the accounts and Regions)"),
  prefix: Options.text("prefix").pipe(Options.withDefault(""), Options.withDescription("only keys that start with this")),
  concurrency: Options.integer("concurrency").pipe(Options.withDefault(4), Options.withDescription("objects scanned at a time")),
  json: Options.boolean("json").pipe(Options.withDescription("one JSON outcome per line on stdout, nothing else")),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("list only: what would be scanned (objects, bytes, estimated cost)")),
  checkpoint: Options.text("checkpoint").pipe(
    Options.optional,
    Options.withDescription("the checkpoint file; default: highvolt-backfill-<scope>.json in the current directory")
  ),
  timeout: Options.integer("timeout").pipe(
    Options.withDefault(DefaultEventBudgetMs / 1000),
    Options.withDescription("seconds one object may take before it fails, as the Lambda's timeout would end it")
  )
}

type Parsed = Command.Command.ParseConfig<typeof options>

const split = (values: ReadonlyArray<string>) => values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "")

/** Each value decoded with `schema`, or the first bad one named with the option. */
const decodeAll = <A>(option: string, values: ReadonlyArray<string>, schema: Schema.Schema<A, string>) =>
  Either.all(values.map((value) =>
    Schema.decodeEither(schema)(value).pipe(
      Either.mapLeft((error) => `--${option} ${JSON.stringify(value)}: ${error.issue._tag === "Refinement" || error.issue._tag === "Type" ? issueMessage(error) : "invalid"}`)
    )
  ))

const issueMessage = (error: { readonly message: string }) => error.message.split("\n").at(-1)?.replace(/^\s*└─\s*/, "") ?? error.message

type Mode = "direct" | "batch-operations"

/** The one mode asked for, or the usage error. */
const modeOf = (parsed: Parsed): Either.Either<Mode, string> =>
  parsed.direct && parsed.batchOperations
    ? Either.left("--direct and --batch-operations exclude each other")
    : parsed.direct
    ? Either.right("direct")
    : parsed.batchOperations
    ? Either.right("batch-operations")
    : Either.left("backfill needs a mode: --direct (list the objects and scan them from here) or --batch-operations (S3 Batch Operations jobs)")

/** What a usage error is, before anything is started. */
const validate = (parsed: Parsed) =>
  Either.gen(function*() {
    const mode = yield* modeOf(parsed)
    if (mode === "direct" && [parsed.manifest, parsed.jobRole, parsed.function, parsed.reportBucket].some(Option.isSome)) {
      return yield* Either.left("--manifest, --job-role, --function and --report-bucket go with --batch-operations")
    }
    const inventory = yield* Option.match(parsed.manifest, {
      onNone: () => Either.right(Option.none()),
      onSome: (text) => Either.map(parseManifestOption(text), Option.some)
    })
    if (parsed.concurrency < 1) return yield* Either.left("--concurrency must be at least 1")
    if (parsed.timeout < 1) return yield* Either.left("--timeout must be at least 1 (seconds)")
    const accounts = yield* decodeAll("account", split(parsed.account), AccountId)
    const regions = yield* decodeAll("region", split(parsed.region), Region)
    const buckets = yield* decodeAll("bucket", split(parsed.bucket), BucketName)
    if (Option.isSome(inventory) && (accounts.length !== 1 || regions.length !== 1 || buckets.length > 0)) {
      return yield* Either.left("--manifest inventory:… names the objects of one job: give exactly one --account and one --region, and no --bucket")
    }
    return { mode, inventory, accounts, regions, buckets: buckets as ReadonlyArray<string> }
  })

const defaultCheckpointPath = (scope: Checkpoint.Scope) =>
  resolve(`highvolt-backfill-${createHash("sha256").update(JSON.stringify(scope)).digest("hex").slice(0, 12)}.json`)

const unique = <A>(values: ReadonlyArray<A>) => [...new Set(values)]

const dryRunReport = (parsed: Parsed, target: BackfillTarget, checkpoint: Checkpoint.Checkpoint) =>
  Effect.gen(function*() {
    const { buckets, failures, listRequests } = yield* resolveBuckets(target)
    const counts = yield* countDirect(buckets, target.prefix, checkpoint)
    const sum = totals(counts, listRequests)
    const cost = estimate(sum)
    const failed = [...failures, ...counts.flatMap((c) => Option.toArray(c.failure))]
    if (parsed.json) {
      yield* Console.log(JSON.stringify({
        dryRun: true,
        buckets: counts.map((c) => ({ account: c.account, region: c.region, bucket: c.bucket, objects: c.objects, bytes: c.bytes })),
        objects: sum.objects,
        bytes: sum.bytes,
        estimatedUsd: cost,
        failed: failed.map((o) => ({ eventId: o.eventId, error: o.outcome === "failed" ? o.error : undefined }))
      }))
    } else {
      yield* Console.log(table(
        ["account", "region", "bucket", "objects", "bytes"],
        counts.map((c) => [c.account, c.region, c.bucket, String(c.objects), String(c.bytes)])
      ))
      yield* Console.log([
        `${sum.objects} object(s), ${sum.bytes} bytes (${formatBytes(sum.bytes)}) to scan in ${counts.length} bucket(s)` +
          (checkpoint.failures().length > 0 ? `, ${checkpoint.failures().length} of them failed before` : ""),
        "Estimated cost (every object new; US East prices; the cost model in terraform/README.md):",
        `  --direct, from here: S3 requests ${usd(cost.directRequestsUsd)} (${sum.objects} GET, ${sum.listRequests} LIST), ` +
          `plus ${usd(cost.directTransferOutUsd)} of S3 data transfer out if this machine is outside AWS (none in the same Region)`,
        `  the same objects scanned by the Lambda: ${usd(cost.lambdaUsd)} (compute, requests, logs)`,
        ...failed.map((o) => `  failed: ${o.outcome === "failed" ? `${o.error.tag}: ${o.error.message}` : o.eventId}`)
      ].join("\n"))
    }
    return failed.length > 0 ? ExitCode.failed : ExitCode.ok
  })

const direct = (parsed: Parsed, target: BackfillTarget, checkpoint: Checkpoint.Checkpoint) =>
  Effect.gen(function*() {
    const counted = tally()
    const { buckets, failures, listRequests: _ } = yield* resolveBuckets(target)
    const report = (outcome: Parameters<typeof counted.add>[0]) =>
      Effect.zipRight(Effect.sync(() => counted.add(outcome)), parsed.json ? Console.log(JSON.stringify(outcome)) : Effect.void)
    yield* Effect.forEach(failures, report, { discard: true })
    yield* Console.error(`highvolt-s3: backfill of ${buckets.length} bucket(s); checkpoint ${checkpoint.path}`)
    const progress = transferProgress(!parsed.json)
    yield* runDirect(buckets, target.prefix, {
      concurrency: parsed.concurrency,
      objectBudgetMs: parsed.timeout * 1000,
      checkpoint,
      // One write for all the outcomes of a checkpoint write (see `onOutcomes`).
      onOutcomes: (outcomes) =>
        Effect.zipRight(
          Effect.sync(() => outcomes.forEach(counted.add)),
          parsed.json ? Console.log(outcomes.map((o) => JSON.stringify(o)).join("\n")) : Effect.void
        ),
      progress
    }).pipe(Effect.ensuring(progress.finish))
    const left = checkpoint.failures()
    if (!parsed.json) {
      yield* Console.log(counted.render("object"))
      if (left.length > 0) yield* Console.log(`\n${left.length} key(s) failed; run the same command again to scan them again (checkpoint ${checkpoint.path}).`)
    }
    return counted.failed > 0 || left.length > 0 ? ExitCode.failed : ExitCode.ok
  })

const run = (parsed: Parsed) =>
  Effect.gen(function*() {
    const valid = validate(parsed)
    if (Either.isLeft(valid)) return yield* usageError(valid.left)
    const ran = yield* withBackfillApp(Effect.gen(function*() {
      const { ownAccount } = yield* Credentials
      const env = yield* Environment
      const regions = valid.right.regions.length > 0 ? valid.right.regions : Option.toArray(env.aws.region).map((r) => Region.make(r))
      if (regions.length === 0) return Either.left("--region is required: AWS_REGION is not set")
      const target: BackfillTarget = {
        accounts: unique(valid.right.accounts.length > 0 ? valid.right.accounts : [ownAccount]),
        regions: unique(regions),
        buckets: unique(valid.right.buckets),
        prefix: parsed.prefix
      }
      if (valid.right.mode === "batch-operations") {
        const jobRegion = Option.getOrElse(Option.map(env.aws.region, (r) => Region.make(r)), () => target.regions[0]!)
        const settings: BatchSettings = {
          jobRegion,
          roleArn: Option.getOrElse(parsed.jobRole, () => `arn:aws:iam::${ownAccount}:role/highvolt-s3-backfill-batch-operations`),
          functionArn: Option.getOrElse(parsed.function, () => `arn:aws:lambda:${jobRegion}:${ownAccount}:function:highvolt-aws-s3-lambda-backfill`),
          reportBucket: Option.getOrElse(parsed.reportBucket, () => `highvolt-s3-backfill-${ownAccount}-${jobRegion}`),
          inventory: valid.right.inventory,
          prefix: parsed.prefix
        }
        const code = yield* (parsed.dryRun ? batchDryRun(target, settings, parsed.json) : batchRun(target, settings, parsed.json)).pipe(
          Effect.catchTags({ JobError: (e) => Effect.succeed(e.message), ReportFormatError: (e) => Effect.succeed(e.message) })
        )
        return typeof code === "string" ? Either.left(code) : Either.right(code)
      }
      const scope: Checkpoint.Scope = { accounts: target.accounts, regions: target.regions, buckets: target.buckets, prefix: target.prefix }
      const path = Option.match(parsed.checkpoint, { onNone: () => defaultCheckpointPath(scope), onSome: (p) => resolve(p) })
      const checkpoint = yield* Effect.either(Checkpoint.load(path, scope))
      if (Either.isLeft(checkpoint)) return Either.left(checkpoint.left.message)
      const code = yield* (parsed.dryRun ? dryRunReport(parsed, target, checkpoint.right) : direct(parsed, target, checkpoint.right)).pipe(
        Effect.catchTag("CheckpointError", (error) => Effect.succeed(error.message))
      )
      return typeof code === "string" ? Either.left(code) : Either.right(code)
    }))
    if (Either.isLeft(ran)) return yield* usageError(`cannot start: ${ran.left}`)
    if (Either.isLeft(ran.right)) return yield* usageError(ran.right.left)
    return ran.right.right
  })

export const backfillCommand = Command.make("backfill", options, run).pipe(
  Command.withDescription(
    "Scan objects that already exist: --direct lists accounts × Regions (or --bucket, --prefix) and scans each object, resumably; " +
      "--batch-operations has S3 Batch Operations invoke the backfill function, one job per account × Region"
  )
)


