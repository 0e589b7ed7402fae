/**
 * `backfill --direct`: scans objects that already exist. For each account and Region it lists
 * the buckets (`ListBuckets`), for each bucket its current objects (`ListObjectsV2`, in S3's
 * key order), and hands every object to the very per-event program real-time events and
 * `replay` run (`scanItem`), `concurrency` at a time, the listing running ahead of the scans.
 *
 * Progress goes to a checkpoint (see `Checkpoint.ts`) before an outcome is reported, so a run
 * that is interrupted and started again scans only what has no recorded outcome yet; keys that
 * failed are scanned again first. Noncurrent versions are not scanned: a backfill covers what
 * the buckets hold now (their older versions were scanned, if at all, when they were written).
 */
import { Chunk, Clock, Effect, Option, Stream } from "effect"
import { type AccountId, BucketName, ObjectCreated, ObjectKey, type Region } from "../Domain.js"
import { failureOf, type Outcome } from "../Outcome.js"
import { scanItem, type ScanServices } from "../Scan.js"
import type { Checkpoint, BucketTracker } from "./Checkpoint.js"
import type { Listed } from "./CostModel.js"
import { type ListedObject, Listing } from "./Listing.js"
import type { TransferProgress } from "./Progress.js"

export interface BackfillTarget {
  readonly accounts: ReadonlyArray<AccountId>
  readonly regions: ReadonlyArray<Region>
  /** Only these buckets (each must be found in one of the accounts and Regions); empty: all. */
  readonly buckets: ReadonlyArray<string>
  readonly prefix: string
}

export interface BucketLocation {
  readonly account: AccountId
  readonly region: Region
  readonly bucket: string
}

export interface BackfillOptions {
  readonly concurrency: number
  /** How long one object may take, as a Lambda timeout would bound it. */
  readonly objectBudgetMs: number
  readonly checkpoint: Checkpoint
  /**
   * Called with the outcomes one checkpoint write covered, right after it and all in one call,
   * so that a report written in one go is never cut between a write and the lines it covers: a
   * kill then loses none of them (the next run passes over what the checkpoint holds). A listing
   * that failed is reported alone.
   */
  readonly onOutcomes: (outcomes: ReadonlyArray<Outcome>) => Effect.Effect<void>
  readonly progress: TransferProgress
}

/** A failure that is not one object's: a listing S3 refused, a bucket named that is nowhere. */
const failedListing = (where: Partial<BucketLocation>, error: { readonly _tag: string; readonly message: string }): Outcome => ({
  eventId: `list:${[where.account, where.region, where.bucket].filter((p) => p !== undefined).join("/")}`,
  account: where.account,
  region: where.region,
  bucket: where.bucket,
  ms: 0,
  outcome: "failed",
  error: failureOf(error),
  source: "backfill"
})

/**
 * The buckets to backfill, in a stable order (account, Region, name), or the failures of the
 * listings that could not be made (and of `--bucket` names found nowhere).
 */
export const resolveBuckets = (target: BackfillTarget) =>
  Effect.gen(function*() {
    const listing = yield* Listing
    const pairs = target.accounts.flatMap((account) => target.regions.map((region) => ({ account, region })))
    const found = yield* Effect.forEach(pairs, ({ account, region }) =>
      listing.buckets(account, region).pipe(
        Effect.map((names) => ({ buckets: names.map((bucket): BucketLocation => ({ account, region, bucket })), failures: [] as Array<Outcome> })),
        Effect.catchAll((error) => Effect.succeed({ buckets: [], failures: [failedListing({ account, region }, error)] }))
      ), { concurrency: 4 })
    const all = found.flatMap((f) => f.buckets).filter((b) => target.buckets.length === 0 || target.buckets.includes(b.bucket))
    const missing = target.buckets.filter((name) => !all.some((b) => b.bucket === name))
    const failures = [
      ...found.flatMap((f) => f.failures),
      ...missing.map((bucket) =>
        failedListing({ bucket }, { _tag: "BucketNotFound", message: `bucket ${bucket} is not among the buckets of accounts ${target.accounts.join(", ")} in ${target.regions.join(", ")}` })
      )
    ]
    return { buckets: all, failures, listRequests: pairs.length }
  })

/** What the scan stage receives: an object to scan, a failed key to scan again, or a listing's failure. */
type Work =
  | { readonly _tag: "Listed"; readonly where: BucketLocation; readonly tracker: BucketTracker; readonly object: ListedObject }
  | { readonly _tag: "Retry"; readonly where: BucketLocation; readonly tracker: BucketTracker; readonly key: string }
  | { readonly _tag: "Failed"; readonly outcome: Outcome }

/** The event the per-event program scans for a listed object (its current version: no version id). */
export const eventOf = (where: BucketLocation, key: string, object?: ListedObject): ObjectCreated =>
  new ObjectCreated({
    eventId: `backfill:${where.account}/${where.region}/${where.bucket}/${key}`,
    shape: "backfill",
    eventName: "Backfill",
    eventTime: object === undefined ? Option.none() : object.lastModified,
    account: where.account,
    region: where.region,
    bucket: BucketName.make(where.bucket),
    key: ObjectKey.exact(key),
    versionId: Option.none(),
    size: object === undefined ? Option.none() : Option.some(object.size),
    etag: object === undefined ? Option.none() : object.etag,
    uploader: Option.none(),
    sourceIp: Option.none()
  })

/**
 * Every object of the bucket still to scan, page by page from the checkpoint's low-water mark:
 * first the keys that failed before, then the listing (keys settled by an earlier run left out).
 */
const workOf = (where: BucketLocation, tracker: BucketTracker, prefix: string, counted: (objects: number, bytes: number) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const listing = yield* Listing
    const retries = Stream.fromIterable([...tracker.failures.keys()].map((key): Work => ({ _tag: "Retry", where, tracker, key })))
    if (tracker.isComplete) return Stream.tap(retries, () => counted(1, 0))
    const pages = Stream.paginateChunkEffect(Option.none<string>(), (token) =>
      listing.page(where, { prefix, startAfter: tracker.startAfter, token: Option.getOrUndefined(token) }).pipe(
        Effect.map((page) => [Chunk.fromIterable(page.objects), Option.map(page.next, Option.some)] as const)
      ))
    const listed = pages.pipe(
      Stream.filter((object) => !tracker.isSettled(object.key)),
      // In listing order, before any scan can end: the low-water mark follows this order.
      Stream.tap((object) => Effect.sync(() => tracker.dispatch(object.key))),
      Stream.map((object): Work => ({ _tag: "Listed", where, tracker, object })),
      Stream.concat(Stream.fromEffect(Effect.sync(() => tracker.listingEnded())).pipe(Stream.drain)),
      Stream.catchAll((error) => Stream.make<Array<Work>>({ _tag: "Failed", outcome: failedListing(where, error) }))
    )
    return Stream.concat(retries, listed).pipe(
      Stream.tap((work) => work._tag === "Listed" ? counted(1, work.object.size) : work._tag === "Retry" ? counted(1, 0) : Effect.void)
    )
  }).pipe(Stream.unwrap)

/** Listed objects may wait this many at once for a free scan: the listing stays a few pages ahead. */
const listAhead = 2000

/** Runs the backfill of `buckets`; every object (and every listing that failed) ends as an outcome. */
export const runDirect = (
  buckets: ReadonlyArray<BucketLocation>,
  prefix: string,
  options: BackfillOptions
) =>
  Effect.gen(function*() {
    const { checkpoint, progress } = options
    // One write at a time; whoever writes saves every outcome recorded until then (a group
    // commit) and reports them, all at once, after the write.
    const writer = yield* Effect.makeSemaphore(1)
    let recorded = 0
    let saved = 0
    const unreported: Array<Outcome> = []
    const persist = (outcomes: ReadonlyArray<Outcome>) => Effect.suspend(() => {
      unreported.push(...outcomes)
      const mine = ++recorded
      return writer.withPermits(1)(Effect.suspend(() => {
        if (saved >= mine) return Effect.void
        const upTo = recorded
        // Recorded before the snapshot `save` takes at once: the write covers every one of them.
        const covered = unreported.splice(0)
        return checkpoint.save().pipe(
          // Not saved: they wait for the next write, which whoever comes next attempts.
          Effect.tapError(() => Effect.sync(() => unreported.unshift(...covered))),
          Effect.tap(() => Effect.sync(() => (saved = upTo))),
          Effect.zipRight(covered.length > 0 ? options.onOutcomes(covered) : Effect.void)
        )
      }))
    })

    const scan = (work: Work) =>
      Effect.gen(function*() {
        if (work._tag === "Failed") return yield* options.onOutcomes([work.outcome])
        const key = work._tag === "Listed" ? work.object.key : work.key
        const now = yield* Clock.currentTimeMillis
        const outcome = yield* scanItem(eventOf(work.where, key, work._tag === "Listed" ? work.object : undefined), { deadline: now + options.objectBudgetMs, source: "backfill" })
        const failure = outcome.outcome === "failed" ? `${outcome.error.tag}: ${outcome.error.message}` : undefined
        if (work._tag === "Listed") work.tracker.settle(key, failure)
        else work.tracker.retried(key, failure)
        yield* progress.advance(1, work._tag === "Listed" ? work.object.size : outcome.bytes ?? 0)
        yield* persist([outcome])
      })

    yield* Stream.fromIterable(buckets).pipe(
      Stream.flatMap((where) => workOf(where, checkpoint.bucket(where), prefix, progress.listed)),
      Stream.concat(Stream.fromEffect(progress.listingDone).pipe(Stream.drain)),
      Stream.buffer({ capacity: listAhead }),
      Stream.mapEffect(scan, { concurrency: options.concurrency, unordered: true }),
      Stream.runDrain
    )
    // Buckets found empty (or finished by their last listing) are recorded as complete too.
    yield* persist([])
  }).pipe(Effect.withSpan("Backfill.runDirect"))

/** What `--dry-run` reports of one bucket: what a run would scan now (the checkpoint honoured). */
export interface BucketCount extends BucketLocation {
  readonly objects: number
  readonly bytes: number
  readonly listRequests: number
  readonly failure: Option.Option<Outcome>
}

/** Lists what a run would scan, without scanning (nor writing the checkpoint). */
export const countDirect = (buckets: ReadonlyArray<BucketLocation>, prefix: string, checkpoint: Checkpoint) =>
  Effect.forEach(buckets, (where) =>
    Effect.gen(function*() {
      const tracker = checkpoint.bucket(where)
      let [objects, bytes, listRequests] = [0, 0, 0]
      let failure = Option.none<Outcome>()
      yield* workOf(where, tracker, prefix, (n, b) => Effect.sync(() => {
        objects += n
        bytes += b
      })).pipe(
        Stream.tap((work) => Effect.sync(() => {
          if (work._tag === "Failed") failure = Option.some(work.outcome)
        })),
        Stream.runDrain
      )
      listRequests = tracker.isComplete ? 0 : Math.max(1, Math.ceil(objects / 1000))
      return { ...where, objects, bytes, listRequests, failure } satisfies BucketCount
    }))

export const totals = (counts: ReadonlyArray<BucketCount>, bucketListings: number): Listed => ({
  objects: counts.reduce((n, c) => n + c.objects, 0),
  bytes: counts.reduce((n, c) => n + c.bytes, 0),
  listRequests: bucketListings + counts.reduce((n, c) => n + c.listRequests, 0)
})

export type BackfillServices = ScanServices | Listing
