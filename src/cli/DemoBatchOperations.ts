/**
 * The demo's last step: `backfill --batch-operations` of the member accounts on the local
 * stack. The stack's S3 Control runs the jobs and invokes the backfill function, which here is
 * the Lambda handler over the demo's own, already started application (one login for the whole
 * demo, as one warm container would have).
 */
import { Effect, Layer, Option } from "effect"
import type * as LocalStack from "../../emulators/LocalStack.js"
import type { Credentials } from "../Credentials.js"
import type { AccountId, Region } from "../Domain.js"
import { makeHandler } from "../LambdaHandler.js"
import { OutcomeLog } from "../OutcomeLog.js"
import type { ScanServices } from "../Scan.js"
import { resolveBuckets } from "./Backfill.js"
import { type BatchSettings, createJobs, finishJobs } from "./BatchBackfill.js"
import type { Listing } from "./Listing.js"
import { transferProgress } from "./Progress.js"
import type { BatchOperationsJobs } from "./BatchOperationsJobs.js"

/** Registers the backfill function with the stack for as long as the scope lasts. */
const backfillFunction = (stack: LocalStack.LocalStackHandle) =>
  Effect.gen(function*() {
    const app = yield* Effect.context<ScanServices | Credentials>()
    // The completion report is what this step shows: the per-task outcome lines are not printed.
    const lambda = makeHandler(Layer.merge(Layer.succeedContext(app), Layer.succeed(OutcomeLog, { record: () => Effect.void })))
    yield* Effect.acquireRelease(
      Effect.sync(() => stack.s3Control.registerFunction(stack.backfill.functionArn, { handler: lambda.handler, timeoutMs: 60_000 })),
      (unregister) => Effect.promise(() => lambda.dispose()).pipe(Effect.zipRight(Effect.sync(unregister)))
    )
  })

/** One job per member account × Region, followed to the end; the jobs with their reports. */
export const batchOperationsOfMembers = (stack: LocalStack.LocalStackHandle) =>
  Effect.gen(function*() {
    yield* backfillFunction(stack)
    const target = { accounts: stack.accounts.members as ReadonlyArray<AccountId>, regions: stack.regions as ReadonlyArray<Region>, buckets: [], prefix: "" }
    const settings: BatchSettings = {
      jobRegion: stack.regions[0] as Region,
      roleArn: stack.backfill.jobRoleArn,
      functionArn: stack.backfill.functionArn,
      reportBucket: stack.backfill.reportBucket,
      inventory: Option.none(),
      prefix: ""
    }
    const { buckets } = yield* resolveBuckets(target)
    const pairs = target.accounts.flatMap((account) => target.regions.map((region) => ({ account, region })))
    const created = yield* createJobs(settings, pairs, buckets)
    return yield* finishJobs(settings, created, transferProgress(false))
  }).pipe(Effect.scoped) satisfies Effect.Effect<unknown, unknown, ScanServices | Credentials | Listing | BatchOperationsJobs>
