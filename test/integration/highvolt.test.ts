/**
 * highvolt-server's hard parts, against its emulator over real HTTP: a full analysis queue
 * (503) and its retries, JWTs expiring mid-run (by lifetime and server-side), and the auth
 * endpoint's rate limit (429) when 50 events start at once — one login per container, never a
 * login storm, and no event lost on the way.
 */
import { Effect } from "effect"
import * as diagnostics from "node:diagnostics_channel"
import type * as net from "node:net"
import { setTimeout as sleep } from "node:timers/promises"
import { describe, expect, it } from "vitest"
import { cloudTrail, type ObjectRef, s3EventBridge } from "./events.js"
import { type Container, highvoltRequests, pdf, sha256, submissionsOf, useStack } from "./helpers.js"

const local = useStack({ afterEach: (stack) => stack.highvolt.faults.clear() })

const run = <A>(effect: Effect.Effect<A>) => Effect.runPromise(effect)

/** `count` fresh objects spread over the own account and a member account, with their events. */
const seed = async (label: string, count: number) =>
  Promise.all(Array.from({ length: count }, async (_, i) => {
    const account = i % 2 === 0 ? local.stack.accounts.own : local.stack.accounts.members[0]!
    const region = local.stack.regions[i % local.stack.regions.length]!
    const bucket = local.stack.bucketName(account, region)
    const key = `${label}/${i} file.pdf`
    const body = pdf(`${label} ${i}`)
    await run(local.stack.putObject({ bucket, key, body }))
    const object: ObjectRef = { account, region, bucket, key }
    return { object, hash: sha256(body), event: i % 3 === 0 ? s3EventBridge(object) : cloudTrail(object) }
  }))

/** Invokes every event at once, like concurrent Lambda invocations landing on one warm container. */
const invokeAll = (app: Container, events: ReadonlyArray<{ readonly event: unknown }>) =>
  Promise.all(events.map(({ event }) => app.invoke(event)))

const expectAllSubmitted = (app: Container, seeded: Awaited<ReturnType<typeof seed>>) => {
  for (const { event, hash } of seeded) {
    expect(app.outcomesOf(event.id)).toMatchObject([{ outcome: "submitted", sha256: hash }])
    expect(submissionsOf(local.stack, hash).filter((s) => s.accepted)).toHaveLength(1)
  }
}

describe("connections to highvolt-server", () => {
  it("are kept alive: 12 submissions one after another reuse one socket", async () => {
    const port = Number(new URL(local.stack.highvolt.url).port)
    const opened: Array<number> = []
    const onSocket = ({ socket }: { socket: net.Socket }) => {
      socket.once("connect", () => socket.remotePort === port && opened.push(port))
    }
    diagnostics.subscribe("net.client.socket", onSocket as never)
    try {
      const app = local.container()
      const seeded = await seed("keepalive", 12)
      for (const { event } of seeded) await app.invoke(event)
      expectAllSubmitted(app, seeded)
      // One login, 12 queries and 12 submits: a connection each would be 25.
      expect(opened.length).toBeLessThanOrEqual(2)
    } finally {
      diagnostics.unsubscribe("net.client.socket", onSocket as never)
    }
  })
})

describe("what highvolt-server receives", () => {
  it("no trace headers: the application runs untraced (its spans would go nowhere)", async () => {
    const app = local.container()
    const seeded = await seed("untraced", 2)
    await invokeAll(app, seeded)
    expectAllSubmitted(app, seeded)
    const hashes = new Set(seeded.map((s) => s.hash))
    const ours = local.stack.highvolt.requests.filter((r) =>
      r.path.endsWith("/auth/token") || [...hashes].some((h) => r.body?.includes(h) ?? false) || r.path.endsWith("/submit")
    )
    expect(ours.length).toBeGreaterThanOrEqual(4)
    expect(ours.filter((r) => r.headers["traceparent"] !== undefined || r.headers["b3"] !== undefined)).toEqual([])
  })
})

describe("highvolt-server under pressure", () => {
  it("503 ×3, then success: one event, four submits of the same body, backing off between them", async () => {
    const app = local.container()
    const [one] = await seed("503", 1)
    local.stack.highvolt.faults.inject("submit", { kind: "status", status: 503 }, 3)
    const before = highvoltRequests(local.stack, "/submit").length
    expect(await app.invoke(one!.event)).toMatchObject({ outcomes: [{ outcome: "submitted" }] })
    const submits = highvoltRequests(local.stack, "/submit").slice(before)
    expect(submits.map((r) => [r.status, r.fault])).toEqual([[503, "status 503"], [503, "status 503"], [503, "status 503"], [200, undefined]])
    for (let i = 1; i < submits.length; i++) expect(submits[i]!.at - submits[i - 1]!.at).toBeGreaterThanOrEqual(100)
    // The fourth body, streamed again from the kept bytes, is verified by the emulator.
    expect(submissionsOf(local.stack, one!.hash)).toMatchObject([{ accepted: true, problems: [] }])
  })

  it("a real full queue (503 after reading the body) is retried until the queue drains", async () => {
    const app = local.container()
    const [warm, one] = await seed("queue-full", 2)
    await app.invoke(warm!.event)
    const queueFullBefore = local.stack.highvolt.counters.queueFull
    // No room at all until two submissions were turned away.
    const depth = local.stack.highvolt.queue.depth()
    local.stack.highvolt.queue.setDepth(0)
    const running = app.invoke(one!.event)
    while (local.stack.highvolt.counters.queueFull - queueFullBefore < 2) await sleep(5)
    local.stack.highvolt.queue.setDepth(depth)
    expect(await running).toMatchObject({ outcomes: [{ outcome: "submitted" }] })
    const records = submissionsOf(local.stack, one!.hash)
    expect(records.map((r) => [r.status, r.problems[0]])).toEqual([[503, "analysis queue is full"], [503, "analysis queue is full"], [200, undefined]])
    expect(records.at(-1)).toMatchObject({ accepted: true, fileData: { sha256: one!.hash } })
  })

  it("a highvolt-server that does not answer in time fails the event with DeadlineExceeded before Lambda's timeout", async () => {
    const app = local.container()
    const [warm, slow] = await seed("deadline", 2)
    await app.invoke(warm!.event)
    // The query is answered after 6 s; Lambda would kill the function after 4.5 s.
    local.stack.highvolt.faults.inject("query", { kind: "delay", ms: 6_000 })
    const started = Date.now()
    const error = await app.invokeFailing(slow!.event, 4_500)
    expect(Date.now() - started).toBeLessThan(3_500)
    expect(error.message).toMatch(/did not finish within its time budget/)
    expect(app.outcomesOf(slow!.event.id)).toMatchObject([{ outcome: "failed", error: { tag: "DeadlineExceeded" } }])
  })

  it("a JWT that expires mid-run is renewed once, before use: no 401, no lost event", async () => {
    local.stack.highvolt.setTokenTtl(4)
    try {
      const app = local.container()
      const logins = local.stack.highvolt.counters.logins
      const first = await seed("ttl-first", 10)
      await invokeAll(app, first)
      expect(local.stack.highvolt.counters.logins - logins).toBe(1)
      // Past the token's renewal point (90% of its 4 s lifetime).
      await sleep(3_800)
      const unauthorized = local.stack.highvolt.counters.unauthorized
      const second = await seed("ttl-second", 20)
      await invokeAll(app, second)
      expect(local.stack.highvolt.counters.logins - logins).toBe(2)
      expect(local.stack.highvolt.counters.unauthorized - unauthorized).toBe(0)
      expectAllSubmitted(app, [...first, ...second])
    } finally {
      local.stack.highvolt.setTokenTtl(3600)
    }
  })

  it("tokens invalidated while 20 events are in flight: 401s, exactly one re-login, every event submitted", async () => {
    const app = local.container()
    const [warm] = await seed("revoked-warm", 1)
    await app.invoke(warm!.event)
    const logins = local.stack.highvolt.counters.logins
    const unauthorized = local.stack.highvolt.counters.unauthorized
    const seeded = await seed("revoked", 20)
    // Queries are held for a while after their JWT was checked; the server's key changes meanwhile.
    local.stack.highvolt.faults.inject("query", { kind: "delay", ms: 400 }, 20)
    const running = invokeAll(app, seeded)
    await sleep(150)
    local.stack.highvolt.expireAllTokens()
    await running
    expect(local.stack.highvolt.counters.unauthorized - unauthorized).toBeGreaterThanOrEqual(1)
    expect(local.stack.highvolt.counters.logins - logins).toBe(1)
    expectAllSubmitted(app, seeded)
  })

  it("auth 429 when 50 events start at once, cold and then warm: backoff, one login each time, no storm", async () => {
    const app = local.container()
    const authLog = () => highvoltRequests(local.stack, "/auth/token")

    /** Runs 50 events at once while the auth endpoint answers 429 twice; returns what reached it. */
    const burst = async (label: string) => {
      const seeded = await seed(label, 50)
      const before = { requests: authLog().length, counters: { ...local.stack.highvolt.counters } }
      local.stack.highvolt.faults.inject("auth", { kind: "status", status: 429 }, 2)
      await invokeAll(app, seeded)
      const auth = authLog().slice(before.requests)
      expectAllSubmitted(app, seeded)
      return {
        auth,
        logins: local.stack.highvolt.counters.logins - before.counters.logins,
        unauthorized: local.stack.highvolt.counters.unauthorized - before.counters.unauthorized
      }
    }

    // Cold: 50 invocations share one cold start, whose login meets the rate limit.
    const cold = await burst("burst-cold")
    expect(cold.auth.map((r) => [r.status, r.fault])).toEqual([[429, "status 429"], [429, "status 429"], [200, undefined]])
    expect(cold.logins).toBe(1)
    // Backoff between attempts (1 s, then 2 s, jittered), not a tight loop.
    expect(cold.auth[1]!.at - cold.auth[0]!.at).toBeGreaterThanOrEqual(700)
    expect(cold.auth[2]!.at - cold.auth[1]!.at).toBeGreaterThanOrEqual(1_400)

    // Warm: every token revoked, so all 50 meet a 401 at once; still one login in three attempts.
    local.stack.highvolt.expireAllTokens()
    const warm = await burst("burst-warm")
    expect(warm.auth.map((r) => r.status)).toEqual([429, 429, 200])
    expect(warm.logins).toBe(1)
    expect(warm.unauthorized).toBeGreaterThanOrEqual(1)
    expect(app.outcomes().filter((o) => o.outcome === "failed")).toEqual([])
    console.info(
      `auth 429 burst of 50 events: cold ${cold.logins} login in ${cold.auth.length} auth requests; ` +
        `warm ${warm.logins} login in ${warm.auth.length} auth requests after ${warm.unauthorized} 401s`
    )
  }, 60_000)
})
