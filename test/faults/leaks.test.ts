/**
 * Nothing leaked. The Lambda exactly as deployed (`src/lambda.ts`: production layers, JSON
 * logger, EMF outcome lines) and the CLI run full flows — cold starts that fail, submissions in
 * the own and member accounts, duplicates, revoked tokens, denied reads, an account outside the
 * organization, servers whose error text echoes what they were sent — with recognisable PAT,
 * JWT, AWS key, session token and external id values. None of them may appear in logs, error
 * messages, outcome records or CLI output, and the emulators must have seen each one only
 * where it belongs: a PAT in its own service's login body, a JWT in its own service's
 * Authorization header, a session token in S3's `x-amz-security-token`, the external id in
 * AssumeRole; AWS secret keys nowhere (they only sign).
 */
import { beforeAll, describe, expect, it } from "vitest"
import { pointProcessAt } from "../helpers/localStackHarness.js"
import {
  cloudTrail,
  type Invoked,
  leakedSecrets,
  nonLoopbackConnections,
  notification,
  printedSince,
  runCli,
  seed,
  type Seeded,
  sqsBatch,
  sqsMessage,
  submissionsOf,
  useStack
} from "./helpers.js"

const local = useStack()
let lambda: { readonly handler: (event: unknown, context: { getRemainingTimeInMillis: () => number }) => Promise<unknown> }
const invoked: Array<Invoked> = []

/** A recognisable wrong PAT and other canaries these tests plant; never to be printed either. */
const wrongHighvoltPat = "hvtest-wrong-highvolt-pat-9f8e7d6c5b4a"

const invoke = async (event: unknown, remainingMs = 30_000): Promise<Invoked> => {
  const started = Date.now()
  const result: Invoked = await lambda.handler(event, { getRemainingTimeInMillis: () => remainingMs }).then(
    (value) => ({ ok: true as const, value, ms: Date.now() - started }),
    (error: unknown) => ({ ok: false as const, error: error as Error, ms: Date.now() - started })
  )
  invoked.push(result)
  return result
}

/** The outcome lines the deployed Lambda printed (EMF JSON on stdout). */
const outcomeLines = () => printedSince().filter((l) => l.includes("\"_aws\"")).map((l) => JSON.parse(l))

/** Every text the scanner produced: what it printed, and what it answered or threw. */
const scannerTexts = () => [
  ...printedSince(),
  ...invoked.map((i) => (i.ok ? JSON.stringify(i.value) : `${i.error.name}: ${i.error.message}\n${i.error.stack ?? ""}`))
]

const jwtPattern = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}/

beforeAll(async () => {
  // The deployed entry point reads the process environment, as in Lambda: this file (its own
  // process) points it at the stack before loading it.
  pointProcessAt(local.env)
  lambda = await import("../../src/lambda.js")
})

describe("full flows with recognisable secrets", () => {
  let own: Seeded
  let member: Seeded
  let outside: Seeded

  it("cold starts that fail: a wrong highvolt PAT in the profile, and a login refusal that echoes the PAT", async () => {
    local.stack.jsonair.setProfile(local.stack.profile.type, local.stack.profile.name, { ...(local.stack.config as object), highvolt: { url: local.stack.highvolt.url, pat: wrongHighvoltPat } })
    own = await seed(local.stack, "leaks/own.pdf")
    const first = await invoke(cloudTrail(own.object))
    expect(first.ok).toBe(false)
    expect(!first.ok && first.error.message).toBe("highvolt login failed (HTTP 401): Session expired or invalid")

    local.stack.jsonair.setProfile(local.stack.profile.type, local.stack.profile.name, local.stack.config)
    local.stack.highvolt.faults.inject("auth", { kind: "status", status: 401, body: { error: `invalid token ${local.stack.highvoltPat} (request {"token":"${local.stack.highvoltPat}"})` } })
    const second = await invoke(cloudTrail(own.object))
    expect(second.ok).toBe(false)
    expect(!second.ok && second.error.message).toMatch(/^highvolt login failed \(HTTP 401\): invalid token /)
  })

  it("submissions in the own and a member account (assumed role, external id, session token), a duplicate, a notification", async () => {
    member = await seed(local.stack, "leaks/member.pdf", { account: local.stack.accounts.members[0]! })
    const again = await seed(local.stack, "leaks/copy.pdf", { account: local.stack.accounts.members[1]!, body: member.body })
    const notified = await seed(local.stack, "leaks/notified.pdf")
    expect(await invoke(cloudTrail(own.object))).toMatchObject({ ok: true })
    expect(await invoke(sqsBatch([sqsMessage(cloudTrail(member.object)), sqsMessage(notification([notified.object]))]))).toMatchObject({
      ok: true,
      value: { batchItemFailures: [] }
    })
    expect(await invoke(cloudTrail(again.object))).toMatchObject({ ok: true, value: { outcomes: [{ outcome: "duplicate" }] } })
    expect(submissionsOf(local.stack, member.hash).filter((s) => s.accepted)).toHaveLength(1)
  })

  it("revoked tokens (401, one re-login), then servers whose error text echoes the bearer token", async () => {
    local.stack.highvolt.expireAllTokens()
    const fresh = await seed(local.stack, "leaks/after-revocation.pdf")
    expect(await invoke(cloudTrail(fresh.object))).toMatchObject({ ok: true })
    const jwt = local.stack.highvolt.issuedTokens.at(-1)!
    const echoed = await seed(local.stack, "leaks/echo.pdf")
    local.stack.highvolt.faults.inject("query", {
      kind: "status",
      status: 400,
      body: { status: "failed", code: 400, reason: `rejected request with Authorization: Bearer ${jwt}` }
    })
    const failed = await invoke(cloudTrail(echoed.object))
    expect(failed.ok).toBe(false)
    expect(!failed.ok && failed.error.message).toMatch(/highvolt query failed \(HTTP 400\): rejected request with Authorization: Bearer /)
    const submitEcho = await seed(local.stack, "leaks/echo-submit.pdf")
    local.stack.highvolt.faults.inject("submit", { kind: "status", status: 400, body: { status: "failed", code: 400, reason: `bad body from ${jwt}` } })
    expect(await invoke(cloudTrail(submitEcho.object))).toMatchObject({ ok: false })
  })

  it("a denied read and an account outside the organization: visible failures, nothing read outside", async () => {
    const denied = await seed(local.stack, "leaks/denied.pdf", { account: local.stack.accounts.members[1]! })
    local.stack.s3.faults.inject({ kind: "error", error: { status: 403, code: "AccessDenied", message: "Access Denied" } }, { bucket: denied.object.bucket, key: denied.object.key })
    outside = await seed(local.stack, "leaks/outside.pdf", { account: local.stack.accounts.outside })
    const bad = sqsMessage(cloudTrail(denied.object))
    const foreign = sqsMessage(cloudTrail(outside.object))
    const answer = await invoke(sqsBatch([bad, foreign]))
    expect(answer).toMatchObject({ ok: true })
    const failures = (answer as { value: { batchItemFailures: Array<{ itemIdentifier: string }> } }).value.batchItemFailures
    expect(failures.map((f) => f.itemIdentifier).sort()).toEqual([bad.messageId, foreign.messageId].sort())
    expect(local.stack.s3.calls.filter((c) => c.params["bucket"] === outside.object.bucket)).toEqual([])
    const single = await invoke(cloudTrail(outside.object))
    expect(!single.ok && single.error.message).toMatch(new RegExp(`cannot assume arn:aws:iam::${local.stack.accounts.outside}:role/`))
  })

  it("no secret in anything the Lambda printed, answered or threw", () => {
    const texts = scannerTexts()
    expect(outcomeLines().length).toBeGreaterThanOrEqual(8)
    expect(leakedSecrets(local.stack, texts)).toEqual([])
    expect(texts.filter((t) => t.includes(wrongHighvoltPat))).toEqual([])
    // Nothing that looks like a JWT or carries the marker every fake secret has.
    expect(texts.filter((t) => jwtPattern.test(t))).toEqual([])
    expect(texts.filter((t) => t.includes("hvtest"))).toEqual([])
    expect(nonLoopbackConnections()).toEqual([])
  })
})

describe("what the emulators saw", () => {
  const secretsIn = (value: unknown) => leakedSecrets(local.stack, [JSON.stringify(value) ?? ""])
  const bearer = (headers: Readonly<Record<string, unknown>>) => /^Bearer (\S+)$/.exec(String(headers["authorization"] ?? ""))?.[1]

  it("highvolt: its PAT only in its login body, its JWTs only in the Authorization header; submissions carry no secret", () => {
    const tokens = new Set(local.stack.highvolt.issuedTokens)
    for (const r of local.stack.highvolt.requests) {
      const { authorization, ...headers } = r.headers
      if (r.path.endsWith("/auth/token")) {
        expect(authorization).toBeUndefined()
        if (r.body !== undefined) expect([local.stack.highvoltPat, wrongHighvoltPat]).toContain(JSON.parse(r.body).token)
        expect(secretsIn({ ...r, body: undefined })).toEqual([])
      } else {
        expect(tokens.has(bearer(r.headers) ?? ""), `${r.path} carries a highvolt JWT`).toBe(true)
        expect(secretsIn({ ...r, headers })).toEqual([])
      }
    }
    for (const s of local.stack.highvolt.submissions) expect(secretsIn(s)).toEqual([])
  })

  it("JSONAir: its PAT only in its login body, its JWTs only in the Authorization header of the config call", () => {
    const tokens = new Set(local.stack.jsonair.issuedTokens)
    for (const r of local.stack.jsonair.requests) {
      const { authorization, ...headers } = r.headers
      if (r.path.endsWith("/auth/token")) {
        expect(authorization).toBeUndefined()
        expect(JSON.parse(r.body!).token).toBe(local.stack.jsonairPat)
        expect(secretsIn({ ...r, body: undefined })).toEqual([])
      } else {
        expect(tokens.has(bearer(r.headers) ?? "")).toBe(true)
        expect(secretsIn({ ...r, headers })).toEqual([])
      }
    }
  })

  it("AWS: secret keys nowhere, session tokens only in S3's x-amz-security-token, the external id only in AssumeRole", () => {
    const sessionTokens = new Set(local.stack.sts.sessions.map((s) => s.sessionToken))
    for (const call of local.stack.s3.calls) {
      const { "x-amz-security-token": token, ...headers } = call.headers
      if (token !== undefined) expect(sessionTokens.has(String(token))).toBe(true)
      expect(secretsIn({ ...call, headers })).toEqual([])
    }
    for (const call of local.stack.sts.calls) {
      const { ExternalId, ...params } = call.params
      if (ExternalId !== undefined) {
        expect(call.action).toBe("AssumeRole")
        expect(ExternalId).toBe(local.stack.externalId)
      }
      expect(secretsIn({ ...call, params })).toEqual([])
    }
    for (const call of local.stack.secretsManager.calls) expect(secretsIn(call)).toEqual([])
  })
})

describe("the CLI", () => {
  it("against the local.stack, with failures of every kind: exit 1, failures named, no secret in its output", async () => {
    const ok = await seed(local.stack, "leaks/cli-ok.pdf")
    const denied = await seed(local.stack, "leaks/cli-denied.pdf")
    local.stack.s3.faults.inject({ kind: "error", error: { status: 403, code: "AccessDenied", message: "Access Denied" } }, { bucket: denied.object.bucket, key: denied.object.key, times: 2 })
    const input = [cloudTrail(ok.object), cloudTrail(denied.object), cloudTrail(outsideObject()), { not: "an event" }]
    for (const args of [["replay", "-"], ["replay", "--json", "-"]]) {
      local.stack.highvolt.resetRateLimit()
      local.stack.jsonair.resetRateLimit()
      const run = await runCli(local.env, args, { input: JSON.stringify(input) })
      expect(run.code, run.stderr).toBe(1)
      const output = [run.stdout, run.stderr]
      expect(output.join("\n")).toContain(denied.object.key)
      expect(output.join("\n")).toMatch(new RegExp(`cannot assume arn:aws:iam::${local.stack.accounts.outside}:role/`))
      expect(leakedSecrets(local.stack, output)).toEqual([])
      expect(output.filter((t) => t.includes("hvtest") || jwtPattern.test(t))).toEqual([])
    }
    expect(local.stack.s3.calls.filter((c) => c.params["bucket"] === outsideObject().bucket)).toEqual([])
  }, 60_000)

  it("replay --local --json (its own embedded local.stack): exit 1 for the outside account, no secret in its output", async () => {
    const event = cloudTrail({ account: local.stack.accounts.outside, region: local.stack.regions[0]!, bucket: local.stack.bucketName(local.stack.accounts.outside, local.stack.regions[0]!), key: "x.pdf" })
    const missing = cloudTrail({ account: local.stack.accounts.members[0]!, region: local.stack.regions[0]!, bucket: local.stack.bucketName(local.stack.accounts.members[0]!, local.stack.regions[0]!), key: "missing.pdf" })
    const run = await runCli(local.env, ["replay", "--local", "--json", "-"], { input: JSON.stringify([event, missing]) })
    expect(run.code, run.stderr).toBe(1)
    const outcomes = run.stdout.trim().split("\n").map((l) => JSON.parse(l))
    expect(outcomes.map((o) => [o.outcome, o.reason ?? o.error?.tag])).toEqual(expect.arrayContaining([["failed", "CredentialsError"], ["skipped", "not-found"]]))
    expect([run.stdout, run.stderr].filter((t) => t.includes("hvtest") || jwtPattern.test(t))).toEqual([])
  }, 60_000)
})

/** The outside account's object seeded by the flows above. */
const outsideObject = () => ({
  account: local.stack.accounts.outside,
  region: local.stack.regions[0]!,
  bucket: local.stack.bucketName(local.stack.accounts.outside, local.stack.regions[0]!),
  key: "leaks/outside.pdf"
})

