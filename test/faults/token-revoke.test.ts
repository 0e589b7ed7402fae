/**
 * Every token revoked while calls are in flight (highvolt-server restarted with a new signing
 * key): queries and submits of different sizes are under way at concurrency 4 and 16 when the
 * N-th protected call meets the new key. A 401 invalidates only the token the failed call used;
 * a call retried after a 401 uses a token issued after it; one login is in flight at a time.
 * So every event ends submitted, and the scanner logs in once more than it had (plus one per
 * 429 the login met), in the CLI and in an SQS batch of the Lambda.
 */
import { describe, expect, it } from "vitest"
import {
  answer,
  cloudTrail,
  expectClean,
  expectOneOutcome,
  highvoltRequests,
  MiB,
  pdf,
  runCli,
  type Seeded,
  seed,
  sqsBatch,
  sqsMessage,
  submissionsOf,
  useStack,
  warmContainer
} from "./helpers.js"

const local = useStack()

/** 16 objects in two accounts, small ones and a few MiB ones, so submits of every length are in flight. */
const seedMixed = (label: string): Promise<ReadonlyArray<Seeded>> =>
  Promise.all(Array.from({ length: 16 }, (_, i) =>
    seed(local.stack, `revoke/${label}/${i}.pdf`, {
      account: i % 2 === 0 ? local.stack.accounts.own : local.stack.accounts.members[0]!,
      body: pdf(`${label}-${i}`, [4 * 1024, 64 * 1024, MiB, 3 * MiB][i % 4])
    })
  ))

/** What highvolt's auth endpoint saw since `before`: logins granted and logins refused with 429 (by its rate limit or a fault). */
const authSince = (before: { logins: number; requests: number }) => ({
  logins: local.stack.highvolt.counters.logins - before.logins,
  rateLimited: highvoltRequests(local.stack, "/auth/token").slice(before.requests).filter((r) => r.status === 429).length
})
const authCounters = () => ({ logins: local.stack.highvolt.counters.logins, requests: highvoltRequests(local.stack, "/auth/token").length })

const expectAllSubmittedOnce = (seeded: ReadonlyArray<Seeded>) => {
  for (const s of seeded) expect(submissionsOf(local.stack, s.hash).filter((r) => r.accepted), s.object.key).toHaveLength(1)
}

describe("every token revoked while calls are in flight", () => {
  // The CLI logs in at its start: 6 protected calls later (queries and submits in flight) every
  // token it holds is dead.
  describe.each([4, 16])("the CLI at --concurrency %i", (concurrency) => {
    it.each([
      ["at the 6th call", 6, 0],
      ["at the 6th call, the re-login meeting one 429", 6, 1],
      ["at the 20th call (submits of every size in flight)", 20, 0]
    ])("%s: every event submitted, one login more than at start", async (_, revokeAt, auth429s) => {
      const seeded = await seedMixed(`cli-${concurrency}-${revokeAt}-${auth429s}`)
      const before = authCounters()
      local.stack.highvolt.revokeAllTokensAtCall(revokeAt)
      // The start's login is the first auth call; the 429s are for the re-login after the revocation.
      local.stack.highvolt.faults.inject("auth", { kind: "delay", ms: 0 }, 1)
      local.stack.highvolt.faults.inject("auth", { kind: "status", status: 429 }, auth429s)
      const input = JSON.stringify(seeded.map((s) => cloudTrail(s.object)))
      const run = await runCli(local.env, ["replay", "--json", "--concurrency", String(concurrency), "-"], { input })
      expect(run.code, run.stderr).toBe(0)
      const outcomes = run.stdout.trim().split("\n").map((line) => JSON.parse(line))
      expect(outcomes.map((o) => o.outcome)).toEqual(seeded.map(() => "submitted"))
      const auth = authSince(before)
      expect(auth.rateLimited).toBe(auth429s)
      expect(auth.logins).toBe(2)
      expectAllSubmittedOnce(seeded)
      expectClean(local.stack, undefined, [run.stdout, run.stderr])
    }, 60_000)
  })

  it.each([6, 20])("an SQS batch of 16 in a warm container, revoked at the %ith call: every message submitted, one re-login", async (revokeAt) => {
    const app = await warmContainer(local, `revoke/sqs-${revokeAt}`)
    const seeded = await seedMixed(`sqs-${revokeAt}`)
    const before = authCounters()
    local.stack.highvolt.revokeAllTokensAtCall(revokeAt)
    const events = seeded.map((s) => cloudTrail(s.object))
    expect(answer(await app.settle(sqsBatch(events.map((e) => sqsMessage(e)))))).toEqual({ batchItemFailures: [] })
    for (const e of events) expectOneOutcome(app, e.id, "submitted")
    expect(authSince(before)).toEqual({ logins: 1, rateLimited: 0 })
    expectAllSubmittedOnce(seeded)
    expectClean(local.stack, app)
  }, 60_000)

  it.each([3, 24])("a %i MiB submit sent with a dead token gets 401 and a closed connection mid-upload: one re-login, submitted once", async (mib) => {
    const app = await warmContainer(local, `revoke/upload-${mib}`)
    const s = await seed(local.stack, `revoke/upload-${mib}.pdf`, { body: pdf(`upload-${mib}`, mib * MiB) })
    const before = authCounters()
    const submits = highvoltRequests(local.stack, "/submit").length
    local.stack.highvolt.revokeAllTokensAtCall(2) // the query passes, the submit meets the new key
    const event = cloudTrail(s.object)
    answer(await app.settle(event))
    expectOneOutcome(app, event.id, "submitted")
    expect(highvoltRequests(local.stack, "/submit").slice(submits).map((r) => r.status)).toEqual([401, 200])
    expect(authSince(before)).toEqual({ logins: 1, rateLimited: 0 })
    expectAllSubmittedOnce([s])
    expectClean(local.stack, app)
  }, 60_000)
})
