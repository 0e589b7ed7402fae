/**
 * `backfill --batch-operations`: one S3 Batch Operations job per account × Region, created in
 * the scanner's own account and Region (where its backfill function, job role and report bucket
 * are), each invoking the function with `userArguments` `{"accountId", "region"}` — what the
 * scanner decodes (`src/internal/events/batchOperations.ts`) — over a generated CSV manifest or
 * an S3 Inventory report. The jobs are then followed (`DescribeJob`, on `jobPolling`) until each
 * is Complete or Failed, and their completion reports read back into one result per task.
 */
import type { JobDescriptor } from "@aws-sdk/client-s3-control"
import { createHash } from "node:crypto"
import { Effect, Either, Option, Schedule } from "effect"
import type { AccountId, Region } from "../Domain.js"
import type { BucketLocation } from "./Backfill.js"
import { generateManifest } from "./BatchManifest.js"
import { BatchOperationsJobs, type JobError, type S3Location } from "./BatchOperationsJobs.js"
import { decodeReportManifest, parseReport, type ReportFormatError, type TaskReport } from "./CompletionReport.js"
import type { TransferProgress } from "./Progress.js"

export interface BatchSettings {
  /** Where the jobs are created: the scanner's Region. */
  readonly jobRegion: Region
  readonly roleArn: string
  readonly functionArn: string
  readonly reportBucket: string
  /** An S3 Inventory report's manifest.json; none: a CSV manifest is generated from the listing. */
  readonly inventory: Option.Option<S3Location>
  readonly prefix: string
}

/** One account × Region and the job that scans it. */
export interface PairJob {
  readonly account: AccountId
  readonly region: Region
  readonly jobId: string
  readonly manifest: S3Location
}

export interface FinishedJob extends PairJob {
  readonly status: string
  readonly failureReasons: ReadonlyArray<string>
  readonly tasks: ReadonlyArray<TaskReport>
}

/** Quick polls while a small job runs, then one every 5 s: a job of millions of tasks runs for hours. */
export const jobPolling = Schedule.exponential("250 millis", 1.5).pipe(Schedule.union(Schedule.spaced("5 seconds")))

const terminal = new Set(["Complete", "Failed", "Cancelled"])

const reportPrefix = "reports"

const token = (...parts: ReadonlyArray<string>) => createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 64)

/** Creates the job of one account × Region over `manifest` (whose ETag the job checks). */
const createJob = (settings: BatchSettings, account: AccountId, region: Region, manifest: S3Location, etag: string, format: "csv" | "inventory") =>
  Effect.gen(function*() {
    const jobs = yield* BatchOperationsJobs
    const jobId = yield* jobs.create(settings.jobRegion, {
      // The same manifest version gives the same job: a rerun after a lost answer creates no second one.
      ClientRequestToken: token(account, region, manifest.bucket, manifest.key, etag),
      ConfirmationRequired: false,
      Description: `highvolt-s3 backfill ${account} ${region}`,
      Priority: 10,
      RoleArn: settings.roleArn,
      Operation: {
        LambdaInvoke: { FunctionArn: settings.functionArn, InvocationSchemaVersion: "2.0", UserArguments: { accountId: account, region } }
      },
      Manifest: {
        Spec: format === "csv" ? { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key"] } : { Format: "S3InventoryReport_CSV_20161130" },
        Location: { ObjectArn: `arn:aws:s3:::${manifest.bucket}/${manifest.key}`, ETag: etag }
      },
      Report: { Bucket: `arn:aws:s3:::${settings.reportBucket}`, Prefix: reportPrefix, Format: "Report_CSV_20180820", Enabled: true, ReportScope: "AllTasks" }
    })
    return { account, region, jobId, manifest } satisfies PairJob
  })

/**
 * The jobs of every account × Region that has objects: a manifest generated from `buckets`
 * (written to the report bucket's `manifests/`), or the inventory for the one pair given.
 */
export const createJobs = (
  settings: BatchSettings,
  pairs: ReadonlyArray<{ readonly account: AccountId; readonly region: Region }>,
  buckets: ReadonlyArray<BucketLocation>
) =>
  Effect.gen(function*() {
    const jobs = yield* BatchOperationsJobs
    if (Option.isSome(settings.inventory)) {
      const inventory = settings.inventory.value
      const { etag } = yield* jobs.read(settings.jobRegion, inventory)
      return yield* Effect.forEach(pairs, (p) => createJob(settings, p.account, p.region, inventory, etag, "inventory"))
    }
    const created = yield* Effect.forEach(pairs, ({ account, region }) =>
      Effect.gen(function*() {
        const mine = buckets.filter((b) => b.account === account && b.region === region)
        const manifest = yield* generateManifest(mine, settings.prefix)
        if (manifest.objects === 0) return Option.none<PairJob>()
        const location = { bucket: settings.reportBucket, key: `manifests/${account}-${region}-${token(manifest.csv).slice(0, 16)}.csv` }
        const etag = yield* jobs.put(settings.jobRegion, location, manifest.csv)
        return Option.some(yield* createJob(settings, account, region, location, etag, "csv"))
      }))
    return created.flatMap(Option.toArray)
  })

/** Follows `job` until it ends, reporting its tasks done as they grow. */
const follow = (settings: BatchSettings, job: PairJob, progress: TransferProgress) =>
  Effect.gen(function*() {
    const jobs = yield* BatchOperationsJobs
    let [total, done] = [0, 0]
    const seen = (descriptor: JobDescriptor) => {
      const s = descriptor.ProgressSummary
      const nowTotal = s?.TotalNumberOfTasks ?? 0
      const nowDone = (s?.NumberOfTasksSucceeded ?? 0) + (s?.NumberOfTasksFailed ?? 0)
      const grew = Effect.all([progress.listed(nowTotal - total, 0), progress.advance(nowDone - done, 0)], { discard: true })
      ;[total, done] = [nowTotal, nowDone]
      return grew
    }
    let last: JobDescriptor = {}
    yield* jobs.describe(settings.jobRegion, job.jobId).pipe(
      Effect.tap((d) => Effect.zipRight(Effect.sync(() => (last = d)), seen(d))),
      Effect.repeat({ schedule: jobPolling, until: (d) => terminal.has(d.Status ?? "") })
    )
    return last
  })

/** Every task of the job's completion report (none when the job ended before running any). */
const readReport = (settings: BatchSettings, job: PairJob) =>
  Effect.gen(function*() {
    const jobs = yield* BatchOperationsJobs
    const manifestKey = `${reportPrefix}/job-${job.jobId}/manifest.json`
    const manifest = yield* jobs.read(settings.jobRegion, { bucket: settings.reportBucket, key: manifestKey }).pipe(
      Effect.map(Option.some),
      Effect.catchIf((e) => e.reason === "not-found", () => Effect.succeed(Option.none()))
    )
    if (Option.isNone(manifest)) return []
    const results = yield* Either.match(decodeReportManifest(manifestKey, manifest.value.body), { onLeft: Effect.fail, onRight: Effect.succeed })
    const files = yield* Effect.forEach(results.Results, (file) =>
      jobs.read(settings.jobRegion, { bucket: file.Bucket, key: file.Key }).pipe(
        Effect.flatMap(({ body }) => Either.match(parseReport(file.Key, body), { onLeft: Effect.fail, onRight: Effect.succeed }))
      ))
    return files.flat()
  })

/** Follows every job to its end, then reads its report. */
export const finishJobs = (settings: BatchSettings, created: ReadonlyArray<PairJob>, progress: TransferProgress) =>
  Effect.forEach(created, (job) =>
    Effect.gen(function*() {
      const final = yield* follow(settings, job, progress)
      const tasks = yield* readReport(settings, job)
      return {
        ...job,
        status: final.Status ?? "Unknown",
        failureReasons: (final.FailureReasons ?? []).map((f) => `${f.FailureCode ?? "?"}: ${f.FailureReason ?? ""}`),
        tasks
      } satisfies FinishedJob
    }), { concurrency: "unbounded" }).pipe(Effect.ensuring(progress.listingDone))

export type BatchError = JobError | ReportFormatError
