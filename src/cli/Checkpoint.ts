/**
 * The checkpoint of a direct backfill: what is already settled, per bucket, so that a run that
 * was interrupted (Ctrl-C, a kill, a crash) continues where it stopped — no key scanned again
 * once its outcome was recorded, none left out.
 *
 * Keys are listed in S3's order (UTF-8 binary) but finish out of order, `--concurrency` at a
 * time. Per bucket the checkpoint keeps a low-water mark — every key up to it, in listing order,
 * is settled — and the settled keys above it; the next run lists from the mark (`StartAfter`)
 * and passes over those. A key that failed counts as settled for the mark (it must not hold
 * back the bucket) and is kept with its error: the next run scans it again first.
 *
 * The file is replaced atomically (written beside it, flushed to disk, renamed over it): a crash
 * leaves the previous checkpoint or the new one, never half of one.
 */
import { Data, Effect, Either, Schema } from "effect"
import { readFileSync } from "node:fs"
import { open, rename, rm } from "node:fs/promises"

/** What a backfill covers; a checkpoint is only ever continued by a run of the same scope. */
export const Scope = Schema.Struct({
  accounts: Schema.Array(Schema.String),
  regions: Schema.Array(Schema.String),
  buckets: Schema.Array(Schema.String),
  prefix: Schema.String
})
export type Scope = typeof Scope.Type

/** One bucket's progress, as stored. */
export const BucketProgress = Schema.Struct({
  /** Every key up to and including this one, in listing order, is settled; `null`: none yet. */
  lowWater: Schema.NullOr(Schema.String),
  /** Settled keys listed after `lowWater`. */
  above: Schema.Array(Schema.String),
  /** Keys that failed (each also settled), with their error: scanned again by the next run. */
  failed: Schema.Record({ key: Schema.String, value: Schema.String }),
  /** The listing reached its end and every key it gave is settled. */
  complete: Schema.Boolean
})
export type BucketProgress = typeof BucketProgress.Type

export const CheckpointFile = Schema.Struct({
  version: Schema.Literal(1),
  scope: Scope,
  /** By `bucketId`. */
  buckets: Schema.Record({ key: Schema.String, value: BucketProgress })
})
export type CheckpointFile = typeof CheckpointFile.Type

/** Raised when the checkpoint cannot be read, is not one, or belongs to another scope; or cannot be written. */
export class CheckpointError extends Data.TaggedError("CheckpointError")<{ readonly path: string; readonly detail: string }> {
  override get message() {
    return `checkpoint ${this.path}: ${this.detail}`
  }
}

export interface BucketRef {
  readonly account: string
  readonly region: string
  readonly bucket: string
}

export const bucketId = (b: BucketRef) => `${b.account}/${b.region}/${b.bucket}`

const sameScope = (a: Scope, b: Scope) => JSON.stringify(a) === JSON.stringify(b)

/**
 * The progress of one bucket during a run. `dispatch` keys in listing order as they are handed
 * to the scanner, `settle` them in any order; `snapshot` is what the file records.
 */
export class BucketTracker {
  private lowWater: string | null
  private readonly above: Set<string>
  private readonly failed: Map<string, string>
  private complete: boolean
  /** Dispatched keys, in listing order, from the first one not yet settled. */
  private readonly window: Array<{ readonly key: string; settled: boolean }> = []
  /** The unsettled entries of `window`, by key. */
  private readonly unsettled = new Map<string, { readonly key: string; settled: boolean }>()
  private listedToEnd = false

  constructor(stored?: BucketProgress) {
    this.lowWater = stored?.lowWater ?? null
    this.above = new Set(stored?.above ?? [])
    this.failed = new Map(Object.entries(stored?.failed ?? {}))
    this.complete = stored?.complete ?? false
  }

  /** Where the listing resumes (`StartAfter`); `undefined`: from the start. */
  get startAfter(): string | undefined {
    return this.lowWater ?? undefined
  }

  /** The bucket needs no listing: a previous run listed it to the end and settled everything. */
  get isComplete(): boolean {
    return this.complete
  }

  /** Keys that failed before (or in this run), with their errors. */
  get failures(): ReadonlyMap<string, string> {
    return this.failed
  }

  /** Whether a listed key was already settled by an earlier run (and must not be scanned). */
  isSettled(key: string): boolean {
    return this.above.has(key)
  }

  /** A listed key handed to the scanner; keys are dispatched in listing order. */
  dispatch(key: string): void {
    const entry = { key, settled: false }
    this.window.push(entry)
    this.unsettled.set(key, entry)
  }

  /** A dispatched key's scan ended; `failure` names the error of one that failed. */
  settle(key: string, failure?: string): void {
    if (failure === undefined) this.failed.delete(key)
    else this.failed.set(key, failure)
    const entry = this.unsettled.get(key)
    if (entry === undefined) return
    this.unsettled.delete(key)
    entry.settled = true
    this.above.add(key)
    while (this.window[0]?.settled === true) {
      const done = this.window.shift()!
      this.lowWater = done.key
      this.above.delete(done.key)
    }
    this.checkComplete()
  }

  /** A key that failed in an earlier run was scanned again (it is below the mark or above it, settled either way). */
  retried(key: string, failure?: string): void {
    if (failure === undefined) this.failed.delete(key)
    else this.failed.set(key, failure)
  }

  /** The listing gave its last page. */
  listingEnded(): void {
    this.listedToEnd = true
    this.checkComplete()
  }

  private checkComplete() {
    if (this.listedToEnd && this.window.length === 0) {
      this.complete = true
      this.above.clear()
    }
  }

  snapshot(): BucketProgress {
    return {
      lowWater: this.lowWater,
      above: [...this.above],
      failed: Object.fromEntries(this.failed),
      complete: this.complete
    }
  }
}

/** A run's checkpoint: one tracker per bucket, written to `path` by `save`. */
export class Checkpoint {
  private readonly trackers = new Map<string, BucketTracker>()

  constructor(readonly path: string, readonly scope: Scope, stored?: CheckpointFile) {
    for (const [id, progress] of Object.entries(stored?.buckets ?? {})) this.trackers.set(id, new BucketTracker(progress))
  }

  bucket(ref: BucketRef): BucketTracker {
    const id = bucketId(ref)
    let tracker = this.trackers.get(id)
    if (tracker === undefined) this.trackers.set(id, tracker = new BucketTracker())
    return tracker
  }

  /** Every bucket's failed keys. */
  failures(): ReadonlyArray<{ readonly id: string; readonly key: string; readonly error: string }> {
    return [...this.trackers].flatMap(([id, t]) => [...t.failures].map(([key, error]) => ({ id, key, error })))
  }

  toJSON(): CheckpointFile {
    return {
      version: 1,
      scope: this.scope,
      buckets: Object.fromEntries([...this.trackers].map(([id, t]) => [id, t.snapshot()]))
    }
  }

  /**
   * Replaces the file atomically: a temporary file beside it, flushed, renamed over it. The
   * snapshot is taken at once; the writing and the flush do not hold the event loop, so scans
   * that end meanwhile are recorded and saved together by the next write (a group commit).
   */
  save(): Effect.Effect<void, CheckpointError> {
    return Effect.suspend(() => {
      const text = JSON.stringify(this.toJSON())
      return Effect.tryPromise({
        try: () => writeAtomically(this.path, text),
        catch: (error) => new CheckpointError({ path: this.path, detail: `cannot write: ${messageOf(error)}` })
      })
    })
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

const writeAtomically = async (path: string, text: string) => {
  const temporary = `${path}.${process.pid}.tmp`
  const file = await open(temporary, "w", 0o600)
  try {
    await file.writeFile(text)
    await file.sync()
  } finally {
    await file.close()
  }
  try {
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

/**
 * The checkpoint at `path` for `scope`: the stored one, or a fresh one when there is no file.
 * A file that is not a checkpoint, or one of another scope, is an error naming what differs.
 */
export const load = (path: string, scope: Scope): Effect.Effect<Checkpoint, CheckpointError> =>
  Effect.gen(function*() {
    const fail = (detail: string) => new CheckpointError({ path, detail })
    const text = yield* Effect.try({
      try: () => readFileSync(path, "utf8") as string | undefined,
      catch: (error) => error
    }).pipe(
      Effect.catchAll((error) =>
        (error as { code?: unknown }).code === "ENOENT" ? Effect.succeed(undefined) : Effect.fail(fail(`cannot read: ${messageOf(error)}`))
      )
    )
    if (text === undefined) return new Checkpoint(path, scope)
    const parsed = Either.try(() => JSON.parse(text) as unknown)
    if (Either.isLeft(parsed)) return yield* fail("not valid JSON (not a checkpoint, or damaged): delete it to start over")
    const stored = yield* Schema.decodeUnknown(CheckpointFile)(parsed.right).pipe(
      Effect.mapError(() => fail("not a backfill checkpoint of this version: delete it to start over"))
    )
    if (!sameScope(stored.scope, scope)) {
      return yield* fail(
        `was written for another backfill (${describeScope(stored.scope)}), not this one (${describeScope(scope)}): ` +
          "pass another --checkpoint, or delete it to start over"
      )
    }
    return new Checkpoint(path, scope, stored)
  })

export const describeScope = (scope: Scope) =>
  [
    `accounts ${scope.accounts.join(",")}`,
    `regions ${scope.regions.join(",")}`,
    ...(scope.buckets.length === 0 ? [] : [`buckets ${scope.buckets.join(",")}`]),
    ...(scope.prefix === "" ? [] : [`prefix ${JSON.stringify(scope.prefix)}`])
  ].join(", ")
