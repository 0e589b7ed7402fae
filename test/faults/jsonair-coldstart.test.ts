/**
 * JSONAir at cold start, with the production layers: down (retried, then the invocation fails
 * and the event is retried — never lost, never consumed), transient 5xx, a config call that
 * stalls past the deadline, an unknown profile (404: a clear permanent error) and invalid
 * configuration documents, field by field. A failed cold start is not kept: the next
 * invocation builds again.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { demoConfig } from "../../emulators/Fixtures.js"
import {
  answer,
  cloudTrail,
  expectClean,
  expectOneOutcome,
  leakedSecrets,
  printedSince,
  printMark,
  rejection,
  runCli,
  seed,
  sqsBatch,
  sqsMessage,
  useStack
} from "./helpers.js"

const local = useStack({
  afterEach: async (stack) => {
    stack.jsonair.faults.clear()
    await Effect.runPromise(stack.jsonair.up)
    stack.jsonair.setProfile(stack.profile.type, stack.profile.name, stack.config)
  }
})

/** JSONAir config calls, including those a fault answered. */
const configCalls = () => local.stack.jsonair.requests.filter((r) => r.path.endsWith("/config"))

describe("JSONAir unreachable or slow at cold start", () => {
  it("down: retried until the deadline, the invocation fails (Lambda retries the event), nothing is consumed; back up: the next invocation builds again and submits", async () => {
    const app = local.container()
    const s = await seed(local.stack, "jsonair/down.pdf")
    const event = cloudTrail(s.object)
    const secretReads = local.stack.secretsManager.counters.getSecretValue
    await Effect.runPromise(local.stack.jsonair.down)
    const mark = printMark()
    // 8 s left: the cold start may use 5 s.
    const failed = await app.settle(event, 8_000)
    expect(failed.ms).toBeLessThan(6_000)
    expect(rejection(failed).message).toMatch(/jsonair login failed: Transport|cold start did not finish before the invocation's deadline/)
    // No outcome: the event was never taken; Lambda hands it back (and the batch as a whole).
    expect(app.outcomesOf(event.id)).toEqual([])
    const batch = sqsBatch([sqsMessage(event)])
    expect(rejection(await app.settle(batch, 5_000)).message).toMatch(/jsonair|cold start/)
    expect(app.outcomes()).toEqual([])
    // The failure is logged once per invocation, as one JSON line naming the service.
    const coldStartLines = printedSince(mark).filter((l) => l.includes("cold start failed"))
    expect(coldStartLines).toHaveLength(2)
    // ...and the events it could not take: the event's id, the batch's message ids.
    expect(JSON.parse(coldStartLines[0]!)).toMatchObject({ level: "ERROR", message: "cold start failed", error: expect.stringMatching(/jsonair/), events: 1, eventIds: [event.id] })
    expect(JSON.parse(coldStartLines[1]!)).toMatchObject({ events: 1, eventIds: batch.Records.map((r) => r.messageId) })

    await Effect.runPromise(local.stack.jsonair.up)
    answer(await app.settle(event))
    expectOneOutcome(app, event.id, "submitted")
    // Each invocation built afresh: the failed builds were not kept.
    expect(local.stack.secretsManager.counters.getSecretValue - secretReads).toBe(3)
    expectClean(local.stack, app)
  }, 30_000)

  it("config 500 ×2 and a login 503: retried, the cold start succeeds", async () => {
    const app = local.container()
    const s = await seed(local.stack, "jsonair/500.pdf")
    const calls = configCalls().length
    local.stack.jsonair.faults.inject("auth", { kind: "status", status: 503 }, 1)
    local.stack.jsonair.faults.inject("config", { kind: "status", status: 500 }, 2)
    const event = cloudTrail(s.object)
    answer(await app.settle(event))
    expectOneOutcome(app, event.id, "submitted")
    expect(configCalls().slice(calls).map((r) => r.status)).toEqual([500, 500, 200])
    expectClean(local.stack, app)
  }, 20_000)

  it("a config call that stalls past the deadline fails that invocation in time, and does not hold up the next one", async () => {
    const app = local.container()
    const s = await seed(local.stack, "jsonair/stall.pdf")
    const event = cloudTrail(s.object)
    local.stack.jsonair.faults.inject("config", { kind: "stall" }, 1)
    const failed = await app.settle(event, 6_000)
    expect(failed.ms).toBeLessThan(4_000)
    expect(rejection(failed).message).toMatch(/cold start did not finish before the invocation's deadline/)
    expect(app.outcomesOf(event.id)).toEqual([])
    // JSONAir answers again: Lambda's retry of the event must not wait for the stalled build.
    const retried = await app.settle(event, 10_000)
    expect(retried.ok, retried.ok ? "" : retried.error.message).toBe(true)
    expect(retried.ms).toBeLessThan(3_000)
    expectOneOutcome(app, event.id, "submitted")
    expectClean(local.stack, app)
  }, 40_000)
})

describe("JSONAir answers, but not with a usable configuration", () => {
  it("unknown profile (404): a clear permanent error naming the profile, not retried, no highvolt login", async () => {
    const app = local.container()
    const s = await seed(local.stack, "jsonair/404.pdf")
    local.stack.jsonair.removeProfile(local.stack.profile.type, local.stack.profile.name)
    const configs = local.stack.jsonair.counters.configs
    const logins = local.stack.highvolt.counters.authRequests
    const failed = await app.settle(cloudTrail(s.object))
    expect(rejection(failed).message).toBe("jsonair config failed (HTTP 404): profile aws-s3-lambda/scanner does not exist")
    expect(local.stack.jsonair.counters.configs - configs).toBe(1)
    expect(local.stack.highvolt.counters.authRequests - logins).toBe(0)
    expectClean(local.stack, app)
  })

  it("a 401 on the config call after a fresh login fails the cold start: two logins, two calls, no loop", async () => {
    const app = local.container()
    const s = await seed(local.stack, "jsonair/401.pdf")
    const calls = configCalls().length
    const logins = local.stack.jsonair.counters.logins
    local.stack.jsonair.faults.inject("config", { kind: "status", status: 401 }, 2)
    expect(rejection(await app.settle(cloudTrail(s.object))).message).toMatch(/jsonair config failed \(HTTP 401\)/)
    expect(configCalls().slice(calls).map((r) => r.status)).toEqual([401, 401])
    expect(local.stack.jsonair.counters.logins - logins).toBe(2)
    expectClean(local.stack, app)
  })

  const base = () => demoConfig(local.stack.highvolt.url, local.stack.highvoltPat) as any
  const edit = (change: (doc: any) => void) => () => {
    const doc = base()
    change(doc)
    return doc
  }

  const documents: ReadonlyArray<readonly [string, () => unknown, RegExp]> = [
    ["mime_types empty", edit((d) => (d.core.mime_types = [])), /core\.mime_types/],
    ["mime_types missing", edit((d) => delete d.core.mime_types), /core\.mime_types: is missing/],
    ["mime_types not a list", edit((d) => (d.core.mime_types = "application/pdf")), /core\.mime_types/],
    ["a mime_types entry that is no type", edit((d) => (d.core.mime_types = ["application/pdf", "pdf"])), /core\.mime_types.*pdf/],
    ["max_file_size missing", edit((d) => delete d.core.max_file_size), /core\.max_file_size: is missing/],
    ["max_file_size zero", edit((d) => (d.core.max_file_size = 0)), /core\.max_file_size: must be a positive integer/],
    ["max_file_size negative", edit((d) => (d.core.max_file_size = -5)), /core\.max_file_size: must be a positive integer/],
    ["max_file_size fractional", edit((d) => (d.core.max_file_size = 1.5)), /core\.max_file_size/],
    ["max_file_size a string", edit((d) => (d.core.max_file_size = "100")), /core\.max_file_size/],
    ["core missing", edit((d) => delete d.core), /core: is missing/],
    ["core a string", edit((d) => (d.core = "pdf only")), /core: must be an object/],
    ["highvolt missing", edit((d) => delete d.highvolt), /highvolt: is missing/],
    ["highvolt a list holding url and PAT", edit((d) => (d.highvolt = [d.highvolt])), /highvolt: must be an object/],
    ["highvolt.url missing", edit((d) => delete d.highvolt.url), /highvolt\.url: is missing/],
    ["highvolt.url not a URL", edit((d) => (d.highvolt.url = "not a url")), /highvolt\.url: must be an http\(s\) URL/],
    ["highvolt.url not http(s)", edit((d) => (d.highvolt.url = "ftp://127.0.0.1/")), /highvolt\.url: must be an http\(s\) URL/],
    ["highvolt.pat missing", edit((d) => delete d.highvolt.pat), /highvolt\.pat: must be a non-empty string/],
    ["highvolt.pat empty", edit((d) => (d.highvolt.pat = "")), /highvolt\.pat: must be a non-empty string/],
    ["highvolt.pat a number", edit((d) => (d.highvolt.pat = 42)), /highvolt\.pat: must be a non-empty string/],
    ["the document is a list holding the document", () => [base()], /\(document\): must be a JSON object/],
    ["the document is a string", () => local.stack.highvoltPat, /\(document\): must be a JSON object/],
    ["the document is null", () => null, /\(document\): must be a JSON object/]
  ]

  it.each(documents)("%s: the cold start fails naming the field, without retrying or printing the PAT", async (_, document, field) => {
    const app = local.container()
    const s = await seed(local.stack, `jsonair/doc-${Math.random()}.pdf`)
    local.stack.jsonair.setProfile(local.stack.profile.type, local.stack.profile.name, document())
    const configs = local.stack.jsonair.counters.configs
    const logins = local.stack.highvolt.counters.authRequests
    const message = rejection(await app.settle(cloudTrail(s.object))).message
    expect(message).toMatch(/^JSONAir profile aws-s3-lambda\/scanner is not a valid scanner configuration: /)
    expect(message).toMatch(field)
    // No value of the document is echoed (a list holding the document would print its PAT).
    expect(message).not.toMatch(/actual/)
    expect(local.stack.jsonair.counters.configs - configs).toBe(1)
    expect(local.stack.highvolt.counters.authRequests - logins).toBe(0)
    expectClean(local.stack, app, [message])
  })

  it("a stored document that is not JSON: a permanent decode error", async () => {
    const app = local.container()
    const s = await seed(local.stack, "jsonair/not-json.pdf")
    local.stack.jsonair.setProfileText(local.stack.profile.type, local.stack.profile.name, `core: {mime_types: [pdf]} # ${local.stack.highvoltPat}`)
    const configs = local.stack.jsonair.counters.configs
    const message = rejection(await app.settle(cloudTrail(s.object))).message
    expect(message).toBe("jsonair config failed: the configuration is not JSON")
    expect(local.stack.jsonair.counters.configs - configs).toBe(1)
    expectClean(local.stack, app, [message])
  })

  it("the CLI with an invalid profile exits 2 and names the field", async () => {
    local.stack.jsonair.setProfile(local.stack.profile.type, local.stack.profile.name, edit((d) => (d.core.max_file_size = -1))())
    const s = await seed(local.stack, "jsonair/cli.pdf")
    const run = await runCli(local.env, ["replay", "-"], { input: JSON.stringify(cloudTrail(s.object)) })
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toMatch(/cannot start: JSONAir profile aws-s3-lambda\/scanner is not a valid scanner configuration: core\.max_file_size/)
    expect(leakedSecrets(local.stack, [run.stdout, run.stderr])).toEqual([])
  }, 30_000)
})
