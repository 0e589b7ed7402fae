/**
 * S3 answers and failures, with the production layers: NoSuchKey / NoSuchVersion (skipped
 * `not-found`), AccessDenied (fails visibly, not retried), SlowDown and 500 (retried),
 * InvalidObjectState (skipped `archived`), SSE-C (skipped `sse-c`), and bodies shorter than
 * their Content-Length on a spooled (> 8 MiB) object: re-read, never submitted truncated, and
 * the spool file of every broken attempt removed. The CLI reports the same outcomes.
 */
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import {
  answer,
  cloudTrail,
  type Container,
  expectClean,
  expectOneOutcome,
  getObjectCalls,
  highvoltRequests,
  leakedSecrets,
  MiB,
  pdf,
  rejection,
  runCli,
  seed,
  sha256,
  spoolFiles,
  sqsBatch,
  sqsMessage,
  submissionsOf,
  useStack,
  watchSpool
} from "./helpers.js"

const local = useStack({
  afterEach: (stack) => {
    stack.s3.faults.clear()
    for (const account of [stack.accounts.own, ...stack.accounts.members]) stack.s3.setListBucket(account, true)
  }
})
let app: Container

const run = <A>(effect: Effect.Effect<A>) => Effect.runPromise(effect)

/** Queries highvolt saw for this hash. */
const queriesOf = (hash: string) => highvoltRequests(local.stack, "/query").filter((r) => r.body?.includes(hash))

beforeAll(() => {
  app = local.container()
})

describe("objects that are gone, frozen or locked are skipped with their reason", () => {
  it("NoSuchKey (deleted before we read it), in the own and a member account: skipped not-found, nothing sent", async () => {
    for (const account of [local.stack.accounts.own, local.stack.accounts.members[0]!]) {
      const s = await seed(local.stack, "s3/deleted.pdf", { account })
      await run(local.stack.deleteObject(s.object.bucket, s.object.key))
      const event = cloudTrail(s.object)
      expect(answer(await app.settle(event))).toMatchObject({ outcomes: [{ outcome: "skipped" }] })
      expect(expectOneOutcome(app, event.id, "skipped")).toMatchObject({ reason: "not-found", detail: expect.stringMatching(/NoSuchKey/) })
      expect(getObjectCalls(local.stack, s.object.bucket, s.object.key).map((c) => c.status)).toEqual([404])
      expect(queriesOf(s.hash)).toEqual([])
    }
    expectClean(local.stack, app)
  })

  it("NoSuchVersion (the event's version is gone from a versioned bucket): skipped not-found", async () => {
    const bucket = `hv-versioned-${local.stack.accounts.own}`
    await run(local.stack.createBucket({ name: bucket, account: local.stack.accounts.own, region: local.stack.regions[0]!, versioned: true }))
    const body = pdf("versioned")
    await run(local.stack.putObject({ bucket, key: "s3/versioned.pdf", body }))
    const event = cloudTrail({ account: local.stack.accounts.own, region: local.stack.regions[0]!, bucket, key: "s3/versioned.pdf", versionId: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH" })
    answer(await app.settle(event))
    expect(expectOneOutcome(app, event.id, "skipped")).toMatchObject({ reason: "not-found", detail: expect.stringMatching(/NoSuchVersion/) })
    expect(queriesOf(sha256(body))).toEqual([])
    expectClean(local.stack, app)
  })

  it("InvalidObjectState (Deep Archive) and SSE-C: skipped archived / sse-c after one GetObject, nothing sent", async () => {
    const archived = await seed(local.stack, "s3/archived.pdf", { account: local.stack.accounts.members[1]! })
    local.stack.s3.setObjectState(archived.object.bucket, archived.object.key, { archived: "DEEP_ARCHIVE" })
    const locked = await seed(local.stack, "s3/sse-c.pdf")
    local.stack.s3.setObjectState(locked.object.bucket, locked.object.key, { sseC: true })
    const events = [cloudTrail(archived.object), cloudTrail(locked.object)]
    expect(answer(await app.settle(sqsBatch(events.map((e) => sqsMessage(e)))))).toEqual({ batchItemFailures: [] })
    expect(expectOneOutcome(app, events[0]!.id, "skipped")).toMatchObject({ reason: "archived" })
    expect(expectOneOutcome(app, events[1]!.id, "skipped")).toMatchObject({ reason: "sse-c" })
    expect(getObjectCalls(local.stack, archived.object.bucket, archived.object.key).map((c) => c.code)).toEqual(["InvalidObjectState"])
    expect(getObjectCalls(local.stack, locked.object.bucket, locked.object.key)).toHaveLength(1)
    expect([...queriesOf(archived.hash), ...queriesOf(locked.hash)]).toEqual([])
    expectClean(local.stack, app)
  })
})

describe("failures", () => {
  it("AccessDenied: fails visibly naming bucket, key and account, not retried; in a batch only its message fails", async () => {
    const denied = await seed(local.stack, "s3/denied.pdf", { account: local.stack.accounts.members[0]! })
    const fine = await seed(local.stack, "s3/fine.pdf", { account: local.stack.accounts.members[0]! })
    local.stack.s3.faults.inject({ kind: "error", error: { status: 403, code: "AccessDenied", message: "Access Denied" } }, { bucket: denied.object.bucket, key: denied.object.key, times: 2 })
    const event = cloudTrail(denied.object)
    const error = rejection(await app.settle(event))
    expect(error.message).toContain(`s3://${denied.object.bucket}/${denied.object.key} in ${denied.object.account}/${denied.object.region}: AccessDenied`)
    expect(expectOneOutcome(app, event.id, "failed")).toMatchObject({ error: { tag: "ObjectError" } })
    expect(getObjectCalls(local.stack, denied.object.bucket, denied.object.key).map((c) => c.code)).toEqual(["AccessDenied"])

    const bad = sqsMessage(cloudTrail(denied.object))
    const good = sqsMessage(cloudTrail(fine.object))
    expect(answer(await app.settle(sqsBatch([bad, good])))).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] })
    expect(submissionsOf(local.stack, denied.hash)).toEqual([])
    expect(submissionsOf(local.stack, fine.hash).filter((s) => s.accepted)).toHaveLength(1)
    expectClean(local.stack, app, [error.message])
  })

  it("SlowDown ×2 and InternalError ×2 on a spooled 9 MiB object: retried, one whole submission, no spool left", async () => {
    const s = await seed(local.stack, "s3/slow-down.pdf", { body: pdf("slow-down", 9 * MiB) })
    local.stack.s3.faults.inject({ kind: "slow-down" }, { bucket: s.object.bucket, key: s.object.key, times: 2 })
    local.stack.s3.faults.inject({ kind: "internal-error" }, { bucket: s.object.bucket, key: s.object.key, times: 2 })
    const event = cloudTrail(s.object)
    answer(await app.settle(event))
    expect(expectOneOutcome(app, event.id, "submitted")).toMatchObject({ bytes: s.body.length, sha256: s.hash })
    expect(getObjectCalls(local.stack, s.object.bucket, s.object.key).map((c) => c.code ?? c.status)).toEqual([
      "SlowDown",
      "SlowDown",
      "InternalError",
      "InternalError",
      200
    ])
    expect(submissionsOf(local.stack, s.hash)).toMatchObject([{ accepted: true, fileData: { bytes: s.body.length, sha256: s.hash } }])
    expectClean(local.stack, app)
  })

  it("a body cut short once (9 MiB, spooled): re-read, submitted whole, the broken attempt's spool removed", async () => {
    const s = await seed(local.stack, "s3/truncated-once.pdf", { body: pdf("truncated-once", 9 * MiB) })
    local.stack.s3.faults.inject({ kind: "truncate-body", bytes: 5 * MiB }, { bucket: s.object.bucket, key: s.object.key })
    const event = cloudTrail(s.object)
    const spool = watchSpool()
    answer(await app.settle(event))
    expect(spool.stop(), "the object went through a spool file").toBeGreaterThanOrEqual(1)
    expect(expectOneOutcome(app, event.id, "submitted")).toMatchObject({ bytes: s.body.length, sha256: s.hash })
    expect(getObjectCalls(local.stack, s.object.bucket, s.object.key)).toHaveLength(2)
    expect(submissionsOf(local.stack, s.hash)).toMatchObject([{ accepted: true, fileData: { bytes: s.body.length, sha256: s.hash } }])
    expectClean(local.stack, app)
  })

  it("a body always cut short: the event fails before its deadline, nothing truncated is ever queried or submitted, no spool left", async () => {
    const s = await seed(local.stack, "s3/truncated-always.pdf", { body: pdf("truncated-always", 9 * MiB) })
    local.stack.s3.faults.inject({ kind: "truncate-body", bytes: 5 * MiB }, { bucket: s.object.bucket, key: s.object.key, times: 1_000 })
    const queries = highvoltRequests(local.stack, "/query").length
    const submits = highvoltRequests(local.stack, "/submit").length
    const event = cloudTrail(s.object)
    // 9 s left: done after about 6 s.
    const spool = watchSpool()
    const invoked = await app.settle(event, 9_000)
    expect(spool.stop(), "the object went through a spool file").toBeGreaterThanOrEqual(1)
    expect(invoked.ms).toBeLessThan(7_000)
    const error = rejection(invoked)
    expect(error.message).toMatch(/truncated-always\.pdf/)
    expect(expectOneOutcome(app, event.id, "failed").error.tag).toMatch(/^(ObjectError|DeadlineExceeded)$/)
    expect(getObjectCalls(local.stack, s.object.bucket, s.object.key).length).toBeGreaterThan(2)
    // The digests of a truncated read never left the container.
    expect(highvoltRequests(local.stack, "/query").length).toBe(queries)
    expect(highvoltRequests(local.stack, "/submit").length).toBe(submits)
    expect(spoolFiles()).toEqual([])
    expectClean(local.stack, app, [error.message])
  }, 20_000)
})

describe("the CLI", () => {
  it("replays denied, deleted and fine objects: exit 1, the failure named with its error, the rest done", async () => {
    const denied = await seed(local.stack, "s3/cli denied.pdf")
    const deleted = await seed(local.stack, "s3/cli-deleted.pdf")
    await run(local.stack.deleteObject(deleted.object.bucket, deleted.object.key))
    const fine = await seed(local.stack, "s3/cli-fine.pdf", { body: pdf("cli-fine", 9 * MiB) })
    local.stack.s3.faults.inject({ kind: "error", error: { status: 403, code: "AccessDenied", message: "Access Denied" } }, { bucket: denied.object.bucket, key: denied.object.key, times: 10 })
    const input = JSON.stringify([cloudTrail(denied.object), cloudTrail(deleted.object), cloudTrail(fine.object)])

    const human = await runCli(local.env, ["replay", "-"], { input })
    expect(human.code, human.stderr).toBe(1)
    expect(human.stdout).toMatch(/3 event\(s\), 1 failed/)
    expect(human.stdout).toContain(`s3://${denied.object.bucket}/${denied.object.key} (${denied.object.account}/${denied.object.region})`)
    expect(human.stdout).toMatch(/ObjectError: .*AccessDenied/)

    const json = await runCli(local.env, ["replay", "--json", "-"], { input })
    expect(json.code, json.stderr).toBe(1)
    const outcomes = json.stdout.trim().split("\n").map((line) => JSON.parse(line))
    expect(outcomes.map((o) => [o.key, o.outcome, o.reason ?? o.error?.tag])).toEqual(expect.arrayContaining([
      [denied.object.key, "failed", "ObjectError"],
      [deleted.object.key, "skipped", "not-found"],
      [fine.object.key, expect.stringMatching(/^(submitted|duplicate)$/), undefined]
    ]))
    expect(outcomes).toHaveLength(3)
    expect(submissionsOf(local.stack, fine.hash).filter((s) => s.accepted)).toHaveLength(1)
    expect(leakedSecrets(local.stack, [human.stdout, human.stderr, json.stdout, json.stderr])).toEqual([])
    expect(spoolFiles()).toEqual([])
  }, 60_000)
})

describe("a reader role without s3:ListBucket (S3 answers 403, not 404, for a missing key)", () => {
  it("a key that does not exist: failed, not retried, the error naming the ListBucket case", async () => {
    const member = local.stack.accounts.members[0]!
    const s = await seed(local.stack, "s3/no-list/deleted.pdf", { account: member })
    await run(local.stack.deleteObject(s.object.bucket, s.object.key))
    local.stack.s3.setListBucket(member, false)
    const event = cloudTrail(s.object)
    const error = rejection(await app.settle(event))
    expect(error.message).toMatch(/AccessDenied.*s3:ListBucket/)
    expect(expectOneOutcome(app, event.id, "failed")).toMatchObject({ error: { tag: "ObjectError" } })
    expect(getObjectCalls(local.stack, s.object.bucket, s.object.key).map((c) => [c.status, c.code])).toEqual([[403, "AccessDenied"]])
    expectClean(local.stack, app, [error.message])
  })

  it("a CloudTrail key whose raw reading is missing (403) but whose decoded reading exists: read under the alternate key, submitted", async () => {
    const member = local.stack.accounts.members[0]!
    const s = await seed(local.stack, "s3/no-list/a b.pdf", { account: member })
    local.stack.s3.setListBucket(member, false)
    const event = cloudTrail({ ...s.object, key: "s3/no-list/a+b.pdf" })
    answer(await app.settle(event))
    expect(expectOneOutcome(app, event.id, "submitted")).toMatchObject({ key: "s3/no-list/a b.pdf" })
    expect(getObjectCalls(local.stack, s.object.bucket, "s3/no-list/a+b.pdf").map((c) => c.status)).toEqual([403])
    expect(submissionsOf(local.stack, s.hash).filter((r) => r.accepted)).toHaveLength(1)
    expectClean(local.stack, app)
  })
})
