/**
 * What `backfill --batch-operations` prints and exits with: the dry run (what the jobs would
 * scan and cost), or the jobs created, followed with a progress bar and summarised from their
 * completion reports. Exit codes as `backfill --direct`: 1 when any task (or job) failed.
 */
import { Console, Effect, Option } from "effect"
import type { BackfillTarget } from "./Backfill.js"
import { resolveBuckets } from "./Backfill.js"
import { type BatchSettings, createJobs, finishJobs } from "./BatchBackfill.js"
import { generateManifest } from "./BatchManifest.js"
import { anyFailed, jsonLines, render } from "./BatchSummary.js"
import { batchOperationsUsd, usd } from "./CostModel.js"
import { ExitCode } from "./ExitCode.js"
import { formatBytes, transferProgress } from "./Progress.js"
import { table } from "./Summary.js"

/** A listing that failed part-way leaves a manifest incomplete: no job is created from it. */
const listingFailed = (error: { readonly message: string }) =>
  Effect.as(Console.error(`highvolt-s3: ${error.message}`), ExitCode.failed)

const pairsOf = (target: BackfillTarget) => target.accounts.flatMap((account) => target.regions.map((region) => ({ account, region })))

/** The buckets, or the exit after printing why some cannot be listed. */
const bucketsOf = (target: BackfillTarget) =>
  Effect.gen(function*() {
    const { buckets, failures, listRequests } = yield* resolveBuckets(target)
    for (const f of failures) yield* Console.error(`highvolt-s3: ${f.outcome === "failed" ? f.error.message : f.eventId}`)
    return { buckets, failed: failures.length > 0, listRequests }
  })

/** What the jobs would scan (by listing, even with an inventory: it may be a day old) and cost. */
export const batchDryRun = (target: BackfillTarget, settings: BatchSettings, json: boolean) =>
  Effect.gen(function*() {
    const { buckets, failed, listRequests } = yield* bucketsOf(target)
    const perPair = yield* Effect.forEach(pairsOf(target), ({ account, region }) =>
      generateManifest(buckets.filter((b) => b.account === account && b.region === region), target.prefix).pipe(
        Effect.map((m) => ({ account, region, objects: m.objects, bytes: m.bytes, listRequests: m.listRequests }))
      ))
    const jobs = perPair.filter((p) => p.objects > 0).length
    const listed = {
      objects: perPair.reduce((n, p) => n + p.objects, 0),
      bytes: perPair.reduce((n, p) => n + p.bytes, 0),
      listRequests: listRequests + perPair.reduce((n, p) => n + p.listRequests, 0)
    }
    const cost = batchOperationsUsd(listed, jobs)
    if (json) {
      yield* Console.log(JSON.stringify({ dryRun: true, mode: "batch-operations", jobs: perPair, objects: listed.objects, bytes: listed.bytes, estimatedUsd: cost }))
    } else {
      yield* Console.log(table(["account", "region", "objects", "bytes"], perPair.map((p) => [p.account, p.region, String(p.objects), String(p.bytes)])))
      yield* Console.log([
        `${listed.objects} object(s), ${listed.bytes} bytes (${formatBytes(listed.bytes)}) in ${jobs} job(s) of function ${settings.functionArn}`,
        "Estimated cost (every object new; US East prices; the cost model in terraform/README.md):",
        `  S3 Batch Operations: ${usd(cost.feeUsd)} (${jobs} job(s) at $0.25, ${listed.objects} task(s) at $1.00 per million)`,
        `  the Lambda: ${usd(cost.lambdaUsd)} (compute, requests, logs); S3 requests: ${usd(cost.s3Usd)} (GETs, the manifests' LISTs and PUTs)`,
        `  total: ${usd(cost.totalUsd)}`
      ].join("\n"))
    }
    return failed ? ExitCode.failed : ExitCode.ok
  }).pipe(Effect.catchTags({ ListingError: listingFailed, CredentialsError: listingFailed }))

/** Creates the jobs, follows them to their end and reports their tasks. */
export const batchRun = (target: BackfillTarget, settings: BatchSettings, json: boolean) =>
  Effect.gen(function*() {
    const { buckets, failed } = yield* Option.isSome(settings.inventory) ? Effect.succeed({ buckets: [], failed: false }) : bucketsOf(target)
    const created = yield* createJobs(settings, pairsOf(target), buckets)
    yield* Console.error(`highvolt-s3: ${created.length} Batch Operations job(s) in ${settings.jobRegion}: ${created.map((j) => `${j.jobId} (${j.account}/${j.region})`).join(", ") || "none (no objects)"}`)
    const progress = transferProgress(!json)
    const finished = yield* finishJobs(settings, created, progress).pipe(Effect.ensuring(progress.finish))
    if (json) yield* Effect.forEach(jsonLines(finished), (line) => Console.log(line), { discard: true })
    else yield* Console.log(render(finished))
    return failed || anyFailed(finished) ? ExitCode.failed : ExitCode.ok
  }).pipe(Effect.catchTags({ ListingError: listingFailed, CredentialsError: listingFailed }))
