/**
 * The invocation deadline, with the production layers: whatever keeps failing or hanging —
 * highvolt answering 503 forever, S3 throttling forever, STS throttling forever, a submit that
 * stalls mid-way, a Retry-After longer than the time left, an S3 read that hangs for one
 * message of a batch — the scanner stops retrying before Lambda's timeout (it keeps a 3 s
 * margin), fails the event visibly, stops sending requests, and leaves no spool file.
 */
import { setTimeout as sleep } from "node:timers/promises"
import { beforeAll, describe, expect, it } from "vitest"
import { safetyMarginMs } from "../../src/LambdaHandler.js"
import {
  answer,
  cloudTrail,
  type Container,
  expectClean,
  expectOneOutcome,
  getObjectCalls,
  highvoltRequests,
  MiB,
  pdf,
  rejection,
  runCli,
  seed,
  spoolFiles,
  sqsBatch,
  sqsMessage,
  submissionsOf,
  watchSpool,
  useStack,
  warmContainer
} from "./helpers.js"

const local = useStack({
  afterEach: (stack) => {
    stack.highvolt.faults.clear()
    stack.s3.faults.clear()
    stack.sts.clearFaults()
  }
})
let app: Container

/** Slack for the scheduler on 2 busy cores, beyond the budget (remaining time − margin). */
const slackMs = 800

beforeAll(async () => {
  app = await warmContainer(local, "deadline")
})

/** Invokes with `remainingMs` left and checks that the handler gave up in time. */
const invokeWithin = async (event: unknown, remainingMs: number) => {
  const invoked = await app.settle(event, remainingMs)
  expect(invoked.ms, `ended ${invoked.ms} ms into a ${remainingMs} ms invocation`).toBeLessThan(remainingMs - safetyMarginMs + slackMs)
  return invoked
}

/** How many more times `count()` grows within `ms` after the invocation ended (retries must have stopped). */
const growthAfter = async (count: () => number, ms = 1_500) => {
  const before = count()
  await sleep(ms)
  return count() - before
}

describe("retries stop in time", () => {
  it("highvolt 503 forever on the submit: the event fails before the deadline, and no submit is sent after", async () => {
    const s = await seed(local.stack, "deadline/503.pdf")
    local.stack.highvolt.faults.inject("submit", { kind: "status", status: 503 }, 1_000)
    const event = cloudTrail(s.object)
    const error = rejection(await invokeWithin(event, 6_000))
    expect(error.message).toMatch(/highvolt submit failed \(HTTP 503\)|did not finish within its time budget/)
    expect(expectOneOutcome(app, event.id, "failed").error.tag).toMatch(/^(ServiceError|DeadlineExceeded)$/)
    expect(highvoltRequests(local.stack, "/submit").filter((r) => r.fault === "status 503").length).toBeGreaterThanOrEqual(3)
    expect(await growthAfter(() => highvoltRequests(local.stack, "/submit").length)).toBe(0)
    expectClean(local.stack, app, [error.message])
  })

  it("S3 SlowDown forever: fails before the deadline, no GetObject after", async () => {
    const s = await seed(local.stack, "deadline/slow-down.pdf", { account: local.stack.accounts.members[0]! })
    local.stack.s3.faults.inject({ kind: "slow-down" }, { bucket: s.object.bucket, key: s.object.key, times: 1_000 })
    const event = cloudTrail(s.object)
    const error = rejection(await invokeWithin(event, 6_000))
    expect(error.message).toMatch(/SlowDown|did not finish within its time budget/)
    expect(expectOneOutcome(app, event.id, "failed").error.tag).toMatch(/^(ObjectError|DeadlineExceeded)$/)
    expect(await growthAfter(() => getObjectCalls(local.stack, s.object.bucket, s.object.key).length)).toBe(0)
    expectClean(local.stack, app, [error.message])
  })

  it("STS throttling forever: fails before the deadline without reading, no AssumeRole after", async () => {
    const member = local.stack.accounts.members[1]!
    const s = await seed(local.stack, "deadline/sts.pdf", { account: member })
    local.stack.sts.throttleNext(1_000, "AssumeRole")
    const event = cloudTrail(s.object)
    const error = rejection(await invokeWithin(event, 6_000))
    expect(error.message).toMatch(/Throttling|did not finish within its time budget/)
    expect(expectOneOutcome(app, event.id, "failed").error.tag).toMatch(/^(CredentialsError|DeadlineExceeded)$/)
    expect(getObjectCalls(local.stack, s.object.bucket, s.object.key)).toEqual([])
    expect(await growthAfter(() => local.stack.sts.calls.filter((c) => c.action === "AssumeRole").length)).toBe(0)
    expectClean(local.stack, app, [error.message])
  })

  it("a Retry-After longer than the time left: no retry at all, the event fails at once", async () => {
    const s = await seed(local.stack, "deadline/retry-after.pdf")
    local.stack.highvolt.faults.inject("query", { kind: "status", status: 429, headers: { "Retry-After": "30" } }, 5)
    const event = cloudTrail(s.object)
    const invoked = await invokeWithin(event, 10_000)
    expect(invoked.ms).toBeLessThan(2_000)
    expect(rejection(invoked).message).toMatch(/highvolt query failed \(HTTP 429\)/)
    expect(highvoltRequests(local.stack, "/query").filter((r) => r.fault === "status 429")).toHaveLength(1)
    expectOneOutcome(app, event.id, "failed")
    expectClean(local.stack, app)
  })
})

describe("work in flight at the deadline is abandoned cleanly", () => {
  it("a submit of a spooled 9 MiB object that stalls: DeadlineExceeded, the request aborted, the spool removed, nothing accepted later", async () => {
    const s = await seed(local.stack, "deadline/stalled-submit.pdf", { body: pdf("stalled-submit", 9 * MiB) })
    local.stack.highvolt.faults.inject("submit", { kind: "stall" }, 1)
    const event = cloudTrail(s.object)
    const spool = watchSpool()
    const error = rejection(await invokeWithin(event, 6_000))
    expect(spool.stop(), "the object went through a spool file").toBeGreaterThanOrEqual(1)
    expect(error.message).toMatch(/did not finish within its time budget/)
    expect(expectOneOutcome(app, event.id, "failed")).toMatchObject({ error: { tag: "DeadlineExceeded" } })
    expect(spoolFiles()).toEqual([])
    await sleep(500)
    const stalled = highvoltRequests(local.stack, "/submit").filter((r) => r.fault === "stall")
    expect(stalled).toHaveLength(1)
    expect(stalled[0]!.status).toBe(0)
    expect(submissionsOf(local.stack, s.hash).filter((r) => r.accepted)).toEqual([])
    // Lambda's retry of the event submits it, once.
    answer(await app.settle(event))
    expect(submissionsOf(local.stack, s.hash).filter((r) => r.accepted)).toHaveLength(1)
    expectClean(local.stack, app, [error.message])
  })

  it("an SQS batch where one object's read hangs: that message fails in time, the others are submitted", async () => {
    const seeded = await Promise.all([0, 1, 2, 3].map((i) => seed(local.stack, `deadline/batch-${i}.pdf`)))
    const hanging = seeded[2]!
    local.stack.s3.faults.inject({ kind: "delay", ms: 20_000 }, { bucket: hanging.object.bucket, key: hanging.object.key })
    const messages = seeded.map((s) => sqsMessage(cloudTrail(s.object)))
    const invoked = await invokeWithin(sqsBatch(messages), 7_000)
    expect(answer(invoked)).toEqual({ batchItemFailures: [{ itemIdentifier: messages[2]!.messageId }] })
    for (const [i, m] of messages.entries()) expectOneOutcome(app, JSON.parse(m.body).id, i === 2 ? "failed" : "submitted")
    expect(submissionsOf(local.stack, hanging.hash)).toEqual([])
    expectClean(local.stack, app)
  })

  it("no time left at all (less than the margin): every event fails at once, nothing is read", async () => {
    const seeded = await Promise.all([0, 1].map((i) => seed(local.stack, `deadline/no-time-${i}.pdf`)))
    const messages = seeded.map((s) => sqsMessage(cloudTrail(s.object)))
    const invoked = await app.settle(sqsBatch(messages), 2_000)
    expect(invoked.ms).toBeLessThan(500)
    expect(answer(invoked).batchItemFailures).toHaveLength(2)
    for (const m of messages) expect(expectOneOutcome(app, JSON.parse(m.body).id, "failed")).toMatchObject({ error: { tag: "DeadlineExceeded" } })
    for (const s of seeded) expect(getObjectCalls(local.stack, s.object.bucket, s.object.key)).toEqual([])
    const single = cloudTrail(seeded[0]!.object)
    expect(rejection(await app.settle(single, 1_000)).message).toMatch(/DeadlineExceeded|did not finish within its time budget/)
    // A cold container with no time left does not even start building.
    const cold = local.container()
    const coldInvoked = await cold.settle(single, 2_500)
    expect(coldInvoked.ms).toBeLessThan(500)
    expect(rejection(coldInvoked).message).toMatch(/cold start did not finish before the invocation's deadline/)
    await cold.dispose()
    expectClean(local.stack, app)
  })
})

describe("the CLI's per-event timeout", () => {
  it("replay --timeout 4 with a submit that stalls: the event fails with DeadlineExceeded in time, exit 1, nothing left behind", async () => {
    const s = await seed(local.stack, "deadline/cli-stalled.pdf", { body: pdf("cli-stalled", 9 * MiB) })
    local.stack.highvolt.faults.inject("submit", { kind: "stall" }, 1)
    const event = cloudTrail(s.object)
    const stalls = () => highvoltRequests(local.stack, "/submit").filter((r) => r.fault === "stall").length
    const stallsBefore = stalls()
    const run = await runCli(local.env, ["replay", "--json", "--timeout", "4", "-"], { input: JSON.stringify(event) })
    expect(run.code).toBe(1)
    const outcomes = run.stdout.trim().split("\n").map((line) => JSON.parse(line) as { outcome: string; error?: { tag: string } })
    expect(outcomes).toHaveLength(1)
    expect(outcomes[0]).toMatchObject({ outcome: "failed", error: { tag: "DeadlineExceeded" } })
    // The budget counts from the scan's start; the process's start-up (tsx, layer build) comes on top.
    expect(run.ms).toBeLessThan(4_000 + 10_000)
    expect(stalls() - stallsBefore).toBe(1)
    expect(spoolFiles()).toEqual([])
    expect(submissionsOf(local.stack, s.hash).filter((r) => r.accepted)).toEqual([])
  })

  it("replay --timeout 0 is a usage error", async () => {
    const run = await runCli(local.env, ["replay", "--timeout", "0", "-"], { input: "{}" })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/--timeout must be at least 1/)
  })
})
