/**
 * S3 Batch Operations jobs against the production application layer over the local stack: one
 * job per account and Region, as `backfill --batch-operations` creates them, each answered with
 * exactly one result per task — Succeeded for what was scanned or skipped, PermanentFailure for
 * an account whose reader role cannot be assumed, TemporaryFailure while highvolt is full.
 */
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import type { BatchResponse } from "../../src/BatchResponse.js"
import { type Container, getObjectCalls, leakedSecrets, pdf, sha256, submissionsOf, useStack } from "./helpers.js"

const local = useStack({ afterEach: (stack) => stack.highvolt.faults.clear() })
let app: Container

beforeAll(() => {
  app = local.container()
})

const run = <A>(effect: Effect.Effect<A>) => Effect.runPromise(effect)

const put = async (account: string, region: string, key: string, body: Buffer = pdf(`${account}/${key}`)) => {
  const bucket = local.stack.bucketName(account, region)
  await run(local.stack.putObject({ bucket, key, body }))
  return { bucket, key, hash: sha256(body) }
}

/** A manifest's key as S3 Inventory writes it: URL-encoded, a space as `+`. */
const encoded = (key: string) => encodeURIComponent(key).replaceAll("%20", "+").replaceAll("%2F", "/")

let serial = 0
const jobEvent = (account: string, region: string, tasks: ReadonlyArray<{ readonly bucket: string; readonly key: string }>) => ({
  invocationSchemaVersion: "2.0",
  invocationId: `inv-${++serial}`,
  job: { id: `job-${account}-${region}`, userArguments: { accountId: account, region } },
  tasks: tasks.map((t, i) => ({ taskId: `task-${serial}-${i}`, s3Bucket: t.bucket, s3Key: encoded(t.key), s3VersionId: null }))
})

describe("S3 Batch Operations jobs", () => {
  it("two accounts: every task one result with the right code; tricky keys found; a missing key skipped; nothing leaks", async () => {
    const [a, b] = local.stack.accounts.members
    const region = local.stack.regions[0]!
    const aObjects = await Promise.all(["backfill/a b+c%2B ü.pdf", "backfill/plain.pdf", "backfill/100% (final).pdf"].map((k) => put(a!, region, k)))
    const bObjects = await Promise.all(["backfill/other account.pdf"].map((k) => put(b!, region, k)))
    const missing = { bucket: local.stack.bucketName(a!, region), key: "backfill/deleted since the manifest.pdf" }

    const jobA = jobEvent(a!, region, [...aObjects, missing])
    const jobB = jobEvent(b!, region, bObjects)
    const [answerA, answerB] = (await Promise.all([app.invoke(jobA), app.invoke(jobB)])) as [BatchResponse, BatchResponse]

    expect(answerA).toEqual({
      invocationSchemaVersion: "2.0",
      treatMissingKeysAs: "PermanentFailure",
      invocationId: jobA.invocationId,
      results: [
        ...aObjects.map((_, i) => ({ taskId: jobA.tasks[i]!.taskId, resultCode: "Succeeded", resultString: "submitted" })),
        { taskId: jobA.tasks[3]!.taskId, resultCode: "Succeeded", resultString: expect.stringMatching(/^skipped: not-found /) }
      ]
    })
    expect(answerB.results).toEqual([{ taskId: jobB.tasks[0]!.taskId, resultCode: "Succeeded", resultString: "submitted" }])
    for (const object of [...aObjects, ...bObjects]) {
      expect(submissionsOf(local.stack, object.hash)).toHaveLength(1)
      expect(getObjectCalls(local.stack, object.bucket, object.key).map((c) => c.status)).toEqual([200])
    }
    // The same outcome lines as real-time events, told apart by their source.
    expect(app.outcomesOf(jobA.tasks[0]!.taskId)).toMatchObject([{ outcome: "submitted", source: "backfill", account: a, region, key: aObjects[0]!.key }])

    // Run again (a second job over the same objects): duplicates, still Succeeded.
    const again = jobEvent(b!, region, bObjects)
    expect(((await app.invoke(again)) as BatchResponse).results).toEqual([{ taskId: again.tasks[0]!.taskId, resultCode: "Succeeded", resultString: "duplicate" }])
    expect(leakedSecrets(local.stack, [JSON.stringify([answerA, answerB]), JSON.stringify(app.outcomes())])).toEqual([])
  })

  it("an account outside the organization: every task PermanentFailure naming the role, nothing read", async () => {
    const outside = local.stack.accounts.outside
    const region = local.stack.regions[0]!
    const object = await put(outside, region, "backfill/outside.pdf")
    const job = jobEvent(outside, region, [object])
    const answer = (await app.invoke(job)) as BatchResponse
    expect(answer.results).toEqual([{
      taskId: job.tasks[0]!.taskId,
      resultCode: "PermanentFailure",
      resultString: expect.stringContaining(`CredentialsError: cannot assume arn:aws:iam::${outside}:role/${local.stack.roleName} for account ${outside}: AccessDenied`)
    }])
    expect(getObjectCalls(local.stack, object.bucket, object.key)).toHaveLength(0)
  })

  it("a 503 storm from highvolt: TemporaryFailure once the deadline nears, and the invocation answers in time", async () => {
    const member = local.stack.accounts.members[0]!
    const region = local.stack.regions[1] ?? local.stack.regions[0]!
    const objects = await Promise.all([0, 1].map((i) => put(member, region, `backfill/storm ${i}.pdf`)))
    local.stack.highvolt.faults.inject("submit", { kind: "status", status: 503 }, 1000)
    const job = jobEvent(member, region, objects)
    const started = Date.now()
    // 8 s left: the scanner stops 3 s before, so about 5 s of retries.
    const answer = (await app.invoke(job, 8_000)) as BatchResponse
    expect(Date.now() - started).toBeLessThan(8_000)
    expect(answer.results.map((r) => [r.taskId, r.resultCode])).toEqual(job.tasks.map((t) => [t.taskId, "TemporaryFailure"]))
    for (const result of answer.results) expect(result.resultString).toMatch(/^(ServiceError: highvolt submit failed \(HTTP 503\)|DeadlineExceeded: )/)
  })
})
