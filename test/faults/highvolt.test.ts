/**
 * highvolt-server faults, injected into its emulator while the production layers run: 503
 * (queue full) and 500 then OK, connections reset before the answer and in the middle of the
 * request body, a server that stalls (our request times out and is retried), tokens revoked
 * under a whole SQS batch (one re-login), auth 429 storms, a 401 on the retry after a refresh
 * (fails, no loop), and identical content in flight while highvolt misbehaves (one submission).
 *
 * Not repeated here (test/integration/highvolt.test.ts has them): 503 ×3 on submit, a real
 * full queue, a JWT expiring by lifetime, 429 ×2 at login under a 50-event burst.
 */
import { beforeAll, describe, expect, it } from "vitest"
import {
  answer,
  cloudTrail,
  type Container,
  expectClean,
  expectOneOutcome,
  highvoltRequests,
  MiB,
  pdf,
  rejection,
  seed,
  sqsBatch,
  sqsMessage,
  submissionsOf,
  useStack,
  warmContainer
} from "./helpers.js"

const local = useStack({ afterEach: (stack) => stack.highvolt.faults.clear() })
let app: Container

beforeAll(async () => {
  // The cold start's logins are not what these cases are about.
  app = await warmContainer(local, "hv")
})

/** highvolt requests to an endpoint from `from` on, as [status, fault]. */
const exchanges = (suffix: string, from: number) =>
  highvoltRequests(local.stack, suffix).slice(from).map((r) => [r.status, r.fault ?? null])

describe("transient answers are retried", () => {
  const failingThenOk: ReadonlyArray<readonly [string, number, number, number]> = [
    ["503 ×2 on the query and ×2 on the submit, then OK: submitted once", 503, 2, 2],
    ["500 on the query (search backend down) and on the submit, then OK: submitted once", 500, 1, 2]
  ]

  it.each(failingThenOk)("%s", async (_, status, onQuery, onSubmit) => {
    const s = await seed(local.stack, `hv/${status}.pdf`)
    const q = highvoltRequests(local.stack, "/query").length
    const sub = highvoltRequests(local.stack, "/submit").length
    local.stack.highvolt.faults.inject("query", { kind: "status", status }, onQuery)
    local.stack.highvolt.faults.inject("submit", { kind: "status", status }, onSubmit)
    const event = cloudTrail(s.object)
    answer(await app.settle(event))
    expectOneOutcome(app, event.id, "submitted")
    const thenOk = (times: number) => [...Array.from({ length: times }, () => [status, `status ${status}`]), [200, null]]
    expect(exchanges("/query", q)).toEqual(thenOk(onQuery))
    expect(exchanges("/submit", sub)).toEqual(thenOk(onSubmit))
    expect(submissionsOf(local.stack, s.hash).filter((r) => r.accepted)).toHaveLength(1)
    expectClean(local.stack, app)
  })

  it("429 with Retry-After on the query: the next attempt waits at least that long", async () => {
    const s = await seed(local.stack, "hv/retry-after.pdf")
    const q = highvoltRequests(local.stack, "/query").length
    local.stack.highvolt.faults.inject("query", { kind: "status", status: 429, headers: { "Retry-After": "1" } }, 1)
    const event = cloudTrail(s.object)
    answer(await app.settle(event))
    expectOneOutcome(app, event.id, "submitted")
    const queries = highvoltRequests(local.stack, "/query").slice(q)
    expect(queries.map((r) => r.status)).toEqual([429, 200])
    expect(queries[1]!.at - queries[0]!.at).toBeGreaterThanOrEqual(950)
    expectClean(local.stack, app)
  })
})

describe("connections that break", () => {
  it("reset before the answer, on the query and on the submit: retried, submitted once", async () => {
    const s = await seed(local.stack, "hv/reset-before.pdf")
    const q = highvoltRequests(local.stack, "/query").length
    const sub = highvoltRequests(local.stack, "/submit").length
    local.stack.highvolt.faults.inject("query", { kind: "reset-before-response" }, 1)
    local.stack.highvolt.faults.inject("submit", { kind: "reset-before-response" }, 1)
    const event = cloudTrail(s.object)
    answer(await app.settle(event))
    expectOneOutcome(app, event.id, "submitted")
    // The third query: a submit left without an answer is followed by asking whether it landed.
    expect(exchanges("/query", q)).toEqual([[0, "reset-before-response"], [200, null], [200, null]])
    expect(exchanges("/submit", sub)).toEqual([[0, "reset-before-response"], [200, null]])
    expect(submissionsOf(local.stack, s.hash)).toMatchObject([{ accepted: true, problems: [] }])
    expectClean(local.stack, app)
  })

  it("a submit accepted whose answer is lost: the retry's query finds it, the body is not sent again", async () => {
    const s = await seed(local.stack, "hv/answer-lost.pdf", { body: pdf("answer-lost", 2 * MiB) })
    const q = highvoltRequests(local.stack, "/query").length
    const sub = highvoltRequests(local.stack, "/submit").length
    local.stack.highvolt.faults.inject("submit", { kind: "answer-lost" }, 1)
    const event = cloudTrail(s.object)
    answer(await app.settle(event))
    expectOneOutcome(app, event.id, "submitted")
    expect(exchanges("/submit", sub)).toEqual([[0, "answer-lost"]])
    expect(exchanges("/query", q)).toEqual([[200, null], [200, null]])
    expect(submissionsOf(local.stack, s.hash)).toMatchObject([{ accepted: true }])
    expectClean(local.stack, app)
  })

  it("reset in the middle of a 2 MiB submit body: the body is streamed again, whole, and verified", async () => {
    const s = await seed(local.stack, "hv/reset-mid-body.pdf", { body: pdf("mid-body", 2 * MiB) })
    const sub = highvoltRequests(local.stack, "/submit").length
    local.stack.highvolt.faults.inject("submit", { kind: "reset-mid-body", afterBytes: 256 * 1024 }, 1)
    const event = cloudTrail(s.object)
    answer(await app.settle(event))
    expectOneOutcome(app, event.id, "submitted")
    expect(exchanges("/submit", sub)).toEqual([[0, "reset-mid-body"], [200, null]])
    // The emulator decoded file_data of the second body and checked it against the digests.
    expect(submissionsOf(local.stack, s.hash)).toMatchObject([{ accepted: true, problems: [], fileData: { bytes: s.body.length, sha256: s.hash } }])
    expectClean(local.stack, app)
  })

  it("a server that stalls: the query times out (15 s) and is retried, then the event is submitted", async () => {
    const s = await seed(local.stack, "hv/stall.pdf")
    const q = highvoltRequests(local.stack, "/query").length
    local.stack.highvolt.faults.inject("query", { kind: "stall" }, 1)
    const event = cloudTrail(s.object)
    const invoked = await app.settle(event, 60_000)
    answer(invoked)
    expect(invoked.ms).toBeGreaterThanOrEqual(14_500)
    expect(invoked.ms).toBeLessThan(25_000)
    expectOneOutcome(app, event.id, "submitted")
    const queries = highvoltRequests(local.stack, "/query").slice(q)
    expect(queries.map((r) => r.fault ?? null)).toEqual(["stall", null])
    expect(queries[1]!.at - queries[0]!.at).toBeGreaterThanOrEqual(14_500)
    expectClean(local.stack, app)
  }, 40_000)
})

describe("keep-alive connections (the server closes one idle for 10 s, silently)", () => {
  it("our idle connections are closed before the server's 10 s: none is left for a request to meet as it closes", async () => {
    const s = await seed(local.stack, "hv/idle.pdf")
    answer(await app.settle(cloudTrail(s.object)))
    expect(local.stack.highvolt.openConnections()).toBeGreaterThan(0)
    await new Promise((resolve) => setTimeout(resolve, 6_000))
    expect(local.stack.highvolt.openConnections()).toBe(0)
    const next = await seed(local.stack, "hv/after-idle.pdf")
    const event = cloudTrail(next.object)
    answer(await app.settle(event))
    expectOneOutcome(app, event.id, "submitted")
    expectClean(local.stack, app)
  }, 20_000)

  it("after a freeze in which the server closed every connection: the first event's calls go through", async () => {
    const s = await seed(local.stack, "hv/frozen.pdf")
    answer(await app.settle(cloudTrail(s.object)))
    const from = local.stack.highvolt.requests.length
    local.stack.highvolt.closeIdleConnections()
    const next = await seed(local.stack, "hv/thawed.pdf")
    const event = cloudTrail(next.object)
    answer(await app.settle(event))
    expectOneOutcome(app, event.id, "submitted")
    expect(local.stack.highvolt.requests.slice(from).map((r) => [r.path.split("/").pop(), r.status])).toEqual([["query", 200], ["submit", 200]])
    expectClean(local.stack, app)
  })
})

describe("tokens", () => {
  it("every token revoked under an SQS batch of 10: one re-login, all ten submitted", async () => {
    const seeded = await Promise.all(Array.from({ length: 10 }, (_, i) => seed(local.stack, `hv/revoked/${i}.pdf`)))
    const logins = local.stack.highvolt.counters.logins
    local.stack.highvolt.expireAllTokens()
    const events = seeded.map((s) => cloudTrail(s.object))
    expect(answer(await app.settle(sqsBatch(events.map((e) => sqsMessage(e)))))).toEqual({ batchItemFailures: [] })
    expect(local.stack.highvolt.counters.logins - logins).toBe(1)
    for (const e of events) expectOneOutcome(app, e.id, "submitted")
    expectClean(local.stack, app)
  })

  it("a 401 on the retry after a refresh fails the event: one re-login, two queries, no loop", async () => {
    const s = await seed(local.stack, "hv/401-twice.pdf")
    const q = highvoltRequests(local.stack, "/query").length
    const logins = local.stack.highvolt.counters.logins
    local.stack.highvolt.faults.inject("query", { kind: "status", status: 401 }, 2)
    const event = cloudTrail(s.object)
    const error = rejection(await app.settle(event))
    expect(error.message).toMatch(/highvolt query failed \(HTTP 401\)/)
    expect(exchanges("/query", q)).toEqual([[401, "status 401"], [401, "status 401"]])
    expect(local.stack.highvolt.counters.logins - logins).toBe(1)
    expect(expectOneOutcome(app, event.id, "failed")).toMatchObject({ error: { tag: "ServiceError" } })
    expect(submissionsOf(local.stack, s.hash)).toEqual([])
    // The next event works with the fresh token.
    const next = await seed(local.stack, "hv/after-401.pdf")
    answer(await app.settle(cloudTrail(next.object)))
    expectClean(local.stack, app)
  })

  it("auth 429 ×3 after every token was revoked, under an SQS batch of 8: one login in four attempts, all submitted", async () => {
    const seeded = await Promise.all(Array.from({ length: 8 }, (_, i) => seed(local.stack, `hv/429/${i}.pdf`)))
    const auth = highvoltRequests(local.stack, "/auth/token").length
    const logins = local.stack.highvolt.counters.logins
    local.stack.highvolt.expireAllTokens()
    local.stack.highvolt.faults.inject("auth", { kind: "status", status: 429 }, 3)
    const events = seeded.map((s) => cloudTrail(s.object))
    expect(answer(await app.settle(sqsBatch(events.map((e) => sqsMessage(e)))))).toEqual({ batchItemFailures: [] })
    expect(exchanges("/auth/token", auth).map(([status]) => status)).toEqual([429, 429, 429, 200])
    expect(local.stack.highvolt.counters.logins - logins).toBe(1)
    for (const e of events) expectOneOutcome(app, e.id, "submitted")
    expectClean(local.stack, app)
  }, 30_000)

  it("an auth 429 storm that outlasts the invocation: every message fails in time, the endpoint is not hammered, the next invocation recovers", async () => {
    const seeded = await Promise.all(Array.from({ length: 6 }, (_, i) => seed(local.stack, `hv/storm/${i}.pdf`)))
    const auth = highvoltRequests(local.stack, "/auth/token").length
    local.stack.highvolt.expireAllTokens()
    local.stack.highvolt.faults.inject("auth", { kind: "status", status: 429 }, 1_000)
    const messages = seeded.map((s) => sqsMessage(cloudTrail(s.object)))
    // 8 s left: the scanner must be done after about 5 s (3 s safety margin).
    const invoked = await app.settle(sqsBatch(messages), 8_000)
    expect(invoked.ms).toBeLessThan(6_000)
    expect(answer(invoked).batchItemFailures.map((f: { itemIdentifier: string }) => f.itemIdentifier).sort()).toEqual(
      messages.map((m) => m.messageId).sort()
    )
    for (const m of messages) expectOneOutcome(app, JSON.parse(m.body).id, "failed")
    const stormRequests = highvoltRequests(local.stack, "/auth/token").length - auth
    // One login in flight at a time, its failure shared by the events waiting for it, and only
    // the login retried (≤ 3 attempts in 5 s): at most two login sequences here (the batch's
    // first scans, then its last two). It was 10–13 requests, the last ones back to back,
    // when each waiting event logged in again after a failed login and retries were nested.
    expect(stormRequests).toBeLessThanOrEqual(6)
    local.stack.highvolt.faults.clear()
    const again = await app.settle(sqsBatch(messages.map((m) => sqsMessage(JSON.parse(m.body)))))
    expect(answer(again)).toEqual({ batchItemFailures: [] })
    for (const s of seeded) expect(submissionsOf(local.stack, s.hash).filter((r) => r.accepted)).toHaveLength(1)
    expectClean(local.stack, app)
  }, 30_000)
})

describe("identical content in flight", () => {
  it("three copies in one batch while the submit meets 503 ×2: one query, one submission, two duplicates", async () => {
    const body = pdf("copies")
    const copies = await Promise.all([0, 1, 2].map((i) =>
      seed(local.stack, `hv/copies/${i}.pdf`, { account: i === 0 ? local.stack.accounts.own : local.stack.accounts.members[i - 1]!, body })
    ))
    const q = highvoltRequests(local.stack, "/query").length
    local.stack.highvolt.faults.inject("submit", { kind: "status", status: 503 }, 2)
    const events = copies.map((c) => cloudTrail(c.object))
    expect(answer(await app.settle(sqsBatch(events.map((e) => sqsMessage(e)))))).toEqual({ batchItemFailures: [] })
    const kinds = events.map((e) => expectOneOutcome(app, e.id).outcome).sort()
    expect(kinds).toEqual(["duplicate", "duplicate", "submitted"])
    expect(highvoltRequests(local.stack, "/query").slice(q).filter((r) => r.body?.includes(copies[0]!.hash))).toHaveLength(1)
    expect(submissionsOf(local.stack, copies[0]!.hash).filter((r) => r.accepted)).toHaveLength(1)
    expectClean(local.stack, app)
  })

  it("when the first copy's submit is refused (400), another copy does the work: failed, submitted, duplicate", async () => {
    const body = pdf("copies-400")
    const copies = await Promise.all([0, 1, 2].map((i) => seed(local.stack, `hv/copies-400/${i}.pdf`, { body })))
    local.stack.highvolt.faults.inject("submit", { kind: "status", status: 400, body: { status: "failed", code: 400, reason: "invalid sha256 hash" } }, 1)
    const messages = copies.map((c) => sqsMessage(cloudTrail(c.object)))
    const failures = answer(await app.settle(sqsBatch(messages))).batchItemFailures as Array<{ itemIdentifier: string }>
    const kinds = messages.map((m) => expectOneOutcome(app, JSON.parse(m.body).id).outcome)
    expect([...kinds].sort()).toEqual(["duplicate", "failed", "submitted"])
    // Exactly the failed message is handed back to SQS.
    expect(failures).toEqual([{ itemIdentifier: messages[kinds.indexOf("failed")]!.messageId }])
    expect(submissionsOf(local.stack, copies[0]!.hash).filter((r) => r.accepted)).toHaveLength(1)
    expectClean(local.stack, app)
  })
})
