/**
 * `npm start`: the scanner end to end on the embedded local stack. Seeds two member accounts
 * and the Lambda's own account, in two regions, with a realistic mix of files (and the awkward
 * cases: a disallowed type, an oversized object, a byte-identical copy, an archived object, an
 * overwritten version, a deleted object, a failed upload, keys with spaces, `+`, `%` and
 * non-ASCII), generates the events AWS would deliver, replays them through the same program as
 * the Lambda, and shows the outcomes and what highvolt-server received. Then a direct backfill
 * of the member accounts finds the objects already scanned (duplicates) and the few written
 * "before the scanner was deployed", which no event announced; and a backfill on S3 Batch
 * Operations (one job per member account × Region) finds one more, restored after an outage.
 */
import { Console, Effect, Either } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { demoConfig, defaults } from "../../emulators/Fixtures.js"
import { cloudTrail, notification, type ObjectRef, s3EventBridge, sqsMessage } from "../../emulators/EventFactory.js"
import * as LocalStack from "../../emulators/LocalStack.js"
import type { AccountId, Region } from "../Domain.js"
import { isFailed } from "../Outcome.js"
import { withBackfillApp } from "./App.js"
import { resolveBuckets, runDirect } from "./Backfill.js"
import * as Checkpoint from "./Checkpoint.js"
import { anyFailed, render } from "./BatchSummary.js"
import { batchOperationsOfMembers } from "./DemoBatchOperations.js"
import { transferProgress } from "./Progress.js"
import * as Files from "./DemoFiles.js"
import { replay } from "./Replay.js"
import { summary, table, tally } from "./Summary.js"

/** Small enough to show the size limit at work without a slow demo. */
const maxFileSize = 4 * 1024 * 1024

interface Seed {
  readonly key: string
  readonly body: Uint8Array
  readonly account: "own" | 0 | 1
  readonly region: 0 | 1
  readonly archived?: boolean
}

const seeds: ReadonlyArray<Seed> = [
  { key: "hr/contracts/offer letter É. Martin.docx", body: Files.docx, account: 0, region: 0 },
  { key: "finance/payroll 2026+bonus (50%).xlsx", body: Files.xlsx, account: 0, region: 1 },
  { key: "exports/customers.csv", body: Files.csv, account: 1, region: 0 },
  { key: "scans/passport.jpeg", body: Files.jpeg, account: 1, region: 1 },
  { key: "scans/signature.png", body: Files.png, account: 0, region: 0 },
  { key: "reports/Q3 review.pdf", body: Files.pdf, account: "own", region: 0 },
  { key: "notes/réunion 2026-05-23.txt", body: Files.plainText, account: 1, region: 0 },
  { key: "backups/contacts.zip", body: Files.zip, account: 0, region: 1 },
  { key: "tools/setup.exe", body: Files.exe, account: 1, region: 1 },
  { key: "archive/full-export.pdf", body: Files.largePdf(maxFileSize + 1), account: 0, region: 0 },
  // The same CSV, copied into another account: highvolt-server gets it once.
  { key: "shared/customers copy.csv", body: Files.csv, account: 0, region: 1 },
  { key: "cold/2019-ledger.pdf", body: Files.pdf, account: 1, region: 0, archived: true }
]

const accountOf = (stack: LocalStack.LocalStackHandle, which: Seed["account"]) =>
  which === "own" ? stack.accounts.own : stack.accounts.members[which]!

/** Seeds the objects and returns the events AWS would deliver for them (and for a few awkward cases). */
const seedAndGenerateEvents = (stack: LocalStack.LocalStackHandle) =>
  Effect.gen(function*() {
    const events: Array<unknown> = []
    const refs: Array<ObjectRef> = []
    for (const seed of seeds) {
      const account = accountOf(stack, seed.account)
      const region = stack.regions[seed.region]!
      const bucket = stack.bucketName(account, region)
      yield* stack.putObject({ bucket, key: seed.key, body: seed.body, ...(seed.archived ? { archived: true } : {}) })
      refs.push({ account, region, bucket, key: seed.key, size: seed.body.length })
    }
    // Most arrive as CloudTrail data events through the central bus; one as S3's own
    // EventBridge event, and one in an SQS message (a DLQ dump being replayed).
    refs.forEach((ref, i) => events.push(i === 2 ? s3EventBridge(ref) : i === 3 ? sqsMessage(cloudTrail(ref)) : cloudTrail(ref)))

    // An object overwritten right after upload: the event names the first version, which is what we scan.
    const versioned = `hv-versioned-${stack.accounts.members[1]}`
    yield* stack.createBucket({ name: versioned, account: stack.accounts.members[1]!, region: stack.regions[0]!, versioned: true })
    const first = yield* stack.putObject({ bucket: versioned, key: "contracts/draft.pdf", body: Files.largePdf(1500) })
    yield* stack.putObject({ bucket: versioned, key: "contracts/draft.pdf", body: Files.plainText })
    events.push(cloudTrail({ account: stack.accounts.members[1]!, region: stack.regions[0]!, bucket: versioned, key: "contracts/draft.pdf", versionId: first.versionId }))

    // Uploaded and deleted before the scan reached it.
    const ownBucket = stack.bucketName(stack.accounts.own, stack.regions[0]!)
    yield* stack.putObject({ bucket: ownBucket, key: "tmp/upload.part", body: Files.plainText })
    yield* stack.deleteObject(ownBucket, "tmp/upload.part")
    events.push(cloudTrail({ account: stack.accounts.own, region: stack.regions[0]!, bucket: ownBucket, key: "tmp/upload.part" }))

    // A classic S3 notification from one of the Lambda's own buckets.
    yield* stack.putObject({ bucket: ownBucket, key: "inbox/scan 0001.pdf", body: Files.largePdf(2048) })
    events.push(notification([{ account: stack.accounts.own, region: stack.regions[0]!, bucket: ownBucket, key: "inbox/scan 0001.pdf" }]))

    // An upload that failed (AccessDenied): nothing was written, nothing is read.
    events.push(cloudTrail({ account: stack.accounts.members[0]!, region: stack.regions[0]!, bucket: "someone-elses-bucket", key: "x.pdf" }, { errorCode: "AccessDenied" }))
    return events
  })

/** Objects that were there before the scanner: no event names them, only a backfill finds them. */
const legacy: ReadonlyArray<Seed> = [
  { key: "legacy/2018 audit+notes.pdf", body: Files.largePdf(3000), account: 0, region: 0 },
  { key: "legacy/équipe/minutes 2017.pdf", body: Files.largePdf(2500), account: 1, region: 1 },
  // Already analyzed (the same bytes as hr's offer letter): a duplicate.
  { key: "legacy/old offer letter.docx", body: Files.docx, account: 1, region: 0 }
]

/** Restored from a backup after an outage: no event, and after the direct backfill — the Batch Operations jobs find it. */
const restored: Seed = { key: "restored/2015 board minutes.pdf", body: Files.largePdf(2200), account: 0, region: 1 }

const seedAll = (stack: LocalStack.LocalStackHandle, seeds: ReadonlyArray<Seed>) =>
  Effect.forEach(seeds, (seed) => {
    const account = accountOf(stack, seed.account)
    return stack.putObject({ bucket: stack.bucketName(account, stack.regions[seed.region]!), key: seed.key, body: seed.body })
  }, { discard: true })

/** `backfill --direct` of the member accounts in both Regions, as the CLI runs it (checkpoint in a temp dir). */
const backfillMembers = (stack: LocalStack.LocalStackHandle) =>
  Effect.gen(function*() {
    const target = {
      accounts: stack.accounts.members as ReadonlyArray<AccountId>,
      regions: stack.regions as ReadonlyArray<Region>,
      buckets: [],
      prefix: ""
    }
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "highvolt-demo-"))),
      (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
    )
    const checkpoint = yield* Checkpoint.load(join(dir, "checkpoint.json"), target)
    const { buckets, failures } = yield* resolveBuckets(target)
    const counted = tally()
    failures.forEach(counted.add)
    yield* runDirect(buckets, "", {
      concurrency: 4,
      objectBudgetMs: 60_000,
      checkpoint,
      progress: transferProgress(false),
      onOutcomes: (outcomes) =>
        Effect.forEach(outcomes, (o) =>
          Effect.zipRight(
            Effect.sync(() => counted.add(o)),
            Console.log(`  ${o.outcome.padEnd(9)} ${o.outcome === "skipped" ? o.reason.padEnd(19) : "".padEnd(19)} s3://${o.bucket ?? "?"}/${o.key ?? "?"}`)
          ), { discard: true })
    })
    return counted
  }).pipe(Effect.scoped)

const received = (stack: LocalStack.LocalStackHandle) =>
  table(
    ["filename", "mimetype", "bytes", "sha256", "account", "verified"],
    stack.highvolt.submissions.map((s) => {
      const s3 = (s.fields["s3"] ?? {}) as Record<string, unknown>
      return [
        String(s.fields["filename"] ?? ""),
        String(s.fields["mimetype"] ?? ""),
        String(s.fileData?.bytes ?? ""),
        `${String(s.fields["sha256"] ?? "").slice(0, 12)}…`,
        String(s3["account_id"] ?? ""),
        s.accepted && s.problems.length === 0 ? "ok" : s.problems.join("; ")
      ]
    })
  )

export const runDemo = Effect.gen(function*() {
  const started = Date.now()
  const stack = yield* LocalStack.start({
    config: (url) => ({ ...demoConfig(url, defaults.highvoltPat), core: { ...demoConfig(url, defaults.highvoltPat).core, max_file_size: maxFileSize } })
  })
  const events = yield* seedAndGenerateEvents(stack)
  yield* Console.log(`Local stack up: own account ${stack.accounts.own}, members ${stack.accounts.members.join(", ")}, regions ${stack.regions.join(", ")}.`)
  yield* Console.log(`Replaying ${events.length} events through the scanner…\n`)

  const ran = yield* withBackfillApp(
    Effect.gen(function*() {
      const outcomes = yield* replay(events.map((value, i) => ({ label: `event ${i + 1}`, value: Either.right(value) })), {
        concurrency: 4,
        onOutcome: (o) =>
          Console.log(`  ${o.outcome.padEnd(9)} ${o.outcome === "skipped" ? o.reason.padEnd(19) : "".padEnd(19)} s3://${o.bucket ?? "?"}/${o.key ?? "?"}`)
      })
      yield* Console.log(`\n${summary(outcomes)}\n`)
      yield* seedAll(stack, legacy)
      yield* Console.log(
        `${legacy.length} more objects were there before the scanner: no event names them. ` +
          `backfill --direct of the member accounts in ${stack.regions.join(", ")}…\n`
      )
      const backfilled = yield* backfillMembers(stack).pipe(Effect.orDie)
      yield* Console.log(`\n${backfilled.render("object")}\n`)
      yield* seedAll(stack, [restored])
      yield* Console.log(
        `One more object was restored from a backup since. backfill --batch-operations of the member accounts: ` +
          `one S3 Batch Operations job per account × Region, run by the local S3 Control…\n`
      )
      const jobs = yield* batchOperationsOfMembers(stack).pipe(Effect.orDie)
      yield* Console.log(`${render(jobs)}\n`)
      return { failed: outcomes.some(isFailed) || backfilled.failed > 0 || anyFailed(jobs) }
    }),
    stack
  )
  if (ran._tag === "Left") {
    yield* Console.error(`highvolt-s3: demo could not start: ${ran.left}`)
    return 2
  }
  yield* Console.log(`highvolt-server received ${stack.highvolt.submissions.length} submission(s):\n${received(stack)}\n`)
  yield* Console.log(
    `Logins: JSONAir ${stack.jsonair.counters.logins}, highvolt ${stack.highvolt.counters.logins}; ` +
      `AssumeRole calls: ${stack.sts.counters.assumeRole} (for ${stack.accounts.members.length} member accounts). ` +
      `Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`
  )
  return ran.right.failed ? 1 : 0
}).pipe(Effect.scoped)
