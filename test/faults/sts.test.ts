/**
 * STS faults with the production layers: the reader role missing in a member account (access
 * denied), a wrong or missing external id, a wrong role name, throttling and 5xx (retried, one
 * AssumeRole sequence shared by concurrent events), and GetCallerIdentity failing at cold
 * start. A denied account fails its events visibly, without a single S3 call.
 */
import { describe, expect, it } from "vitest"
import type { EnvOverrides } from "../helpers/localStackHarness.js"
import {
  answer,
  cloudTrail,
  expectClean,
  expectOneOutcome,
  rejection,
  seed,
  sqsBatch,
  sqsMessage,
  useStack
} from "./helpers.js"

const local = useStack({
  afterEach: (stack) => {
    stack.sts.clearFaults()
    for (const m of stack.accounts.members) stack.sts.allowAccount(m)
  }
})
const container = (overrides: EnvOverrides = {}) => local.container({ env: overrides })
const member = () => local.stack.accounts.members[0]!

/** S3 calls made with any identity of `account` (its assumed role). */
const s3CallsAs = (account: string) => local.stack.s3.calls.filter((c) => c.account === account)
const assumeRoleCalls = () => local.stack.sts.calls.filter((c) => c.action === "AssumeRole")

describe("the reader role cannot be assumed", () => {
  it("role missing in that account: the event fails with CredentialsError naming account and role, nothing is read; in a batch only its message fails", async () => {
    const app = container()
    const denied = await seed(local.stack, "sts/denied.pdf", { account: member() })
    const neighbour = await seed(local.stack, "sts/neighbour.pdf", { account: local.stack.accounts.members[1]! })
    local.stack.sts.denyAccount(member())
    const calls = assumeRoleCalls().length
    const event = cloudTrail(denied.object)
    const error = rejection(await app.settle(event))
    expect(error.message).toContain(`cannot assume arn:aws:iam::${member()}:role/${local.stack.roleName} for account ${member()}: AccessDenied`)
    expect(expectOneOutcome(app, event.id, "failed")).toMatchObject({ account: member(), error: { tag: "CredentialsError" } })
    // Permanent: one AssumeRole, no retry; not one S3 call as that account.
    expect(assumeRoleCalls().length - calls).toBe(1)
    expect(s3CallsAs(member())).toEqual([])

    const bad = sqsMessage(cloudTrail(denied.object))
    const good = sqsMessage(cloudTrail(neighbour.object))
    expect(answer(await app.settle(sqsBatch([good, bad])))).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] })
    expectOneOutcome(app, JSON.parse(good.body).id, "submitted")
    expectOneOutcome(app, JSON.parse(bad.body).id, "failed")
    expect(s3CallsAs(member())).toEqual([])
    expectClean(local.stack, app, [error.message])
  })

  const misconfigured: ReadonlyArray<readonly [string, EnvOverrides]> = [
    ["a wrong external id", { CROSS_ACCOUNT_EXTERNAL_ID: "not-the-external-id" }],
    ["no external id where the trust policy requires one", { CROSS_ACCOUNT_EXTERNAL_ID: undefined }],
    ["a role name that does not exist", { CROSS_ACCOUNT_ROLE: "NoSuchReaderRole" }]
  ]

  it.each(misconfigured)("%s: AccessDenied, visible, nothing read", async (_, variables) => {
    const app = container(variables)
    const s = await seed(local.stack, `sts/misconfigured-${Math.random()}.pdf`, { account: local.stack.accounts.members[1]! })
    const calls = assumeRoleCalls().length
    const s3Before = s3CallsAs(local.stack.accounts.members[1]!).length
    const event = cloudTrail(s.object)
    const error = rejection(await app.settle(event))
    expect(error.message).toMatch(/CredentialsError|cannot assume arn:aws:iam::\d{12}:role\/\S+ for account \d{12}: AccessDenied/)
    expect(expectOneOutcome(app, event.id, "failed")).toMatchObject({ error: { tag: "CredentialsError" } })
    expect(assumeRoleCalls().length - calls).toBe(1)
    expect(s3CallsAs(local.stack.accounts.members[1]!).length).toBe(s3Before)
    expectClean(local.stack, app, [error.message])
  })
})

describe("STS trouble is retried", () => {
  it("AssumeRole throttled ×2 and a 500 under a batch of 5 events of one account: one shared AssumeRole sequence, all submitted", async () => {
    const app = container()
    const seeded = await Promise.all(Array.from({ length: 5 }, (_, i) => seed(local.stack, `sts/throttled/${i}.pdf`, { account: member() })))
    const calls = assumeRoleCalls().length
    local.stack.sts.throttleNext(2, "AssumeRole")
    local.stack.sts.failNext({ status: 500, code: "InternalFailure", message: "An internal error occurred." }, 1, "AssumeRole")
    const events = seeded.map((s) => cloudTrail(s.object))
    expect(answer(await app.settle(sqsBatch(events.map((e) => sqsMessage(e)))))).toEqual({ batchItemFailures: [] })
    expect(assumeRoleCalls().slice(calls).map((c) => c.code ?? c.status)).toEqual(["Throttling", "Throttling", "InternalFailure", 200])
    for (const e of events) expectOneOutcome(app, e.id, "submitted")
    expectClean(local.stack, app)
  })

  it("GetCallerIdentity throttled ×2 at cold start: retried, the cold start succeeds", async () => {
    const app = container()
    const s = await seed(local.stack, "sts/identity-throttled.pdf")
    const before = local.stack.sts.counters.getCallerIdentity
    local.stack.sts.throttleNext(2, "GetCallerIdentity")
    const event = cloudTrail(s.object)
    answer(await app.settle(event))
    expect(local.stack.sts.counters.getCallerIdentity - before).toBe(3)
    expectOneOutcome(app, event.id, "submitted")
    expectClean(local.stack, app)
  })

  it("GetCallerIdentity denied at cold start: the invocation fails at once, naming the problem", async () => {
    const app = container()
    const s = await seed(local.stack, "sts/identity-denied.pdf")
    const before = local.stack.sts.counters.getCallerIdentity
    local.stack.sts.failNext({ status: 403, code: "AccessDenied", message: "Access denied" }, 1, "GetCallerIdentity")
    const error = rejection(await app.settle(cloudTrail(s.object)))
    expect(error.message).toBe("cannot determine the Lambda's own account: AccessDenied: Access denied")
    expect(local.stack.sts.counters.getCallerIdentity - before).toBe(1)
    expect(app.outcomes()).toEqual([])
    expectClean(local.stack, app, [error.message])
  })
})
