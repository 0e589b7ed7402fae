import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager"
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as http from "node:http"
import * as LocalStack from "../../emulators/LocalStack.js"
import { login, postJson, request, secretsClient, stsClient } from "./clients.js"

interface Outcome<A> {
  readonly ok: boolean
  readonly v?: A
  readonly code?: string
  readonly message?: string
}

const outcome = <A>(p: () => Promise<A>): Effect.Effect<Outcome<A>> =>
  Effect.promise(() =>
    p().then((v): Outcome<A> => ({ ok: true, v }), (e: any): Outcome<A> => ({ ok: false, code: e.code ?? e.name, message: String(e.message) }))
  )

const file = Buffer.from("Patient: Jane Doe, DOB 1970-01-01")
const body = JSON.stringify({
  mimetype: "text/plain",
  timestamp: "2025-01-02T03:04:05Z",
  file_data: file.toString("base64"),
  sha256: createHash("sha256").update(file).digest("hex"),
  filename: "a.txt",
  full_path: "s3://b/a.txt",
  app: "t"
})

describe("local stack: fault injection", () => {
  it.scopedLive("highvolt: 503 ×3 then accepted; 500; 401 on a valid JWT; 429 storm on auth", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false })
      const hv = stack.highvolt
      const url = `${hv.url}/api/v1/highvolt`
      const jwt = yield* Effect.promise(() => login(hv.url, "highvolt", stack.highvoltPat))
      const submit = () => Effect.promise(() => request(`${url}/submit`, { method: "POST", body, headers: { Authorization: `Bearer ${jwt}` } }))
      hv.faults.inject("submit", { kind: "status", status: 503 }, 3)
      const statuses: Array<number> = []
      for (let i = 0; i < 4; i++) statuses.push((yield* submit()).status)
      expect(statuses).toEqual([503, 503, 503, 200])
      expect(hv.submissions.length).toBe(1)
      expect(hv.requests.filter((r) => r.fault === "status 503").length).toBe(3)

      hv.faults.inject("query", { kind: "status", status: 500 })
      const failed = yield* Effect.promise(() => postJson(`${url}/query`, { sha256: "0".repeat(64) }, jwt))
      expect([failed.status, failed.json]).toEqual([500, { error: "Query failed" }])

      hv.faults.inject("any", { kind: "status", status: 401 }, 2)
      expect((yield* submit()).status).toBe(401)
      expect((yield* Effect.promise(() => postJson(`${url}/query`, { sha256: "0".repeat(64) }, jwt))).json.error).toBe("Session expired or invalid")
      expect((yield* submit()).status).toBe(200)

      hv.faults.inject("auth", { kind: "status", status: 429 }, 10)
      const storm: Array<number> = []
      for (let i = 0; i < 10; i++) storm.push((yield* Effect.promise(() => postJson(`${url}/auth/token`, { token: stack.highvoltPat }))).status)
      expect(new Set(storm)).toEqual(new Set([429]))
      expect((yield* Effect.promise(() => postJson(`${url}/auth/token`, { token: stack.highvoltPat }))).status).toBe(200)
    }))

  it.scopedLive("highvolt: resets before the answer and mid-body, stalls, delays", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false })
      const hv = stack.highvolt
      const jwt = yield* Effect.promise(() => login(hv.url, "highvolt", stack.highvoltPat))
      const submit = (timeoutMs?: number) =>
        outcome(() =>
          new Promise<number>((resolve, reject) => {
            const req = http.request(`${hv.url}/api/v1/highvolt/submit`, {
              method: "POST",
              agent: false,
              headers: { Authorization: `Bearer ${jwt}`, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }
            }, (res) => {
              res.resume()
              res.on("end", () => resolve(res.statusCode ?? 0))
            })
            req.on("error", reject)
            if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error("client timeout"), { code: "TIMEOUT" })))
            // Send the body in two halves so a mid-body reset happens while it is still coming.
            req.write(body.slice(0, 40))
            setTimeout(() => req.end(body.slice(40)), 50)
          })
        )
      hv.faults.inject("submit", { kind: "reset-before-response" })
      expect((yield* submit()).code).toBe("ECONNRESET")
      hv.faults.inject("submit", { kind: "reset-mid-body", afterBytes: 10 })
      expect((yield* submit()).ok).toBe(false)
      hv.faults.inject("submit", { kind: "stall" })
      expect((yield* submit(300)).code).toBe("TIMEOUT")
      hv.faults.inject("submit", { kind: "delay", ms: 300 })
      const started = Date.now()
      expect(yield* submit()).toEqual({ ok: true, v: 200 })
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)
      // None of the faulted attempts became a submission.
      expect(hv.submissions.filter((s) => s.accepted).length).toBe(1)
      expect(hv.counters.accepted).toBe(1)
    }))

  it.scopedLive("highvolt: a request body still arriving after the read timeout is cut off", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false, highvolt: { readTimeoutMs: 500 } })
      const hv = stack.highvolt
      const jwt = yield* Effect.promise(() => login(hv.url, "highvolt", stack.highvoltPat))
      const result = yield* outcome(() =>
        new Promise<number>((resolve, reject) => {
          const req = http.request(`${hv.url}/api/v1/highvolt/submit`, {
            method: "POST",
            agent: false,
            headers: { Authorization: `Bearer ${jwt}`, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }
          }, (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          })
          req.on("error", reject)
          req.write(body.slice(0, 20)) // …and the rest never comes
        })
      )
      // As Go does: the connection is closed, no 408; the submission is lost, never half-accepted.
      expect(result.ok ? result.v : result.code).toBe("ECONNRESET")
      expect(hv.counters.accepted).toBe(0)
      yield* Effect.sleep("20 millis").pipe(Effect.repeat({ until: () => hv.submissions.length > 0, times: 100 }))
      expect(hv.submissions[0]).toMatchObject({ accepted: false, status: 0, problems: ["client went away after 20 bytes"] })
    }))

  it.scopedLive("highvolt: an answer begun after the write timeout is never sent, the connection closes instead", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false, highvolt: { writeTimeoutMs: 300 } })
      const hv = stack.highvolt
      const jwt = yield* Effect.promise(() => login(hv.url, "highvolt", stack.highvoltPat))
      hv.faults.inject("query", { kind: "delay", ms: 500 }, 1)
      const late = yield* outcome(() => postJson(`${hv.url}/api/v1/highvolt/query`, { sha256: "a".repeat(64) }, jwt))
      expect(late.ok ? late.v!.status : late.code).toBe("ECONNRESET")
      const inTime = yield* outcome(() => postJson(`${hv.url}/api/v1/highvolt/query`, { sha256: "a".repeat(64) }, jwt))
      expect(inTime.ok && inTime.v!.json).toEqual({ status: "not found", code: 404 })
    }))

  it.scopedLive("highvolt: a keep-alive connection idle past the idle timeout is closed by the server", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false, highvolt: { idleTimeoutMs: 300 } })
      const hv = stack.highvolt
      const agent = new http.Agent({ keepAlive: true })
      yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
      const closed = yield* Effect.promise(() =>
        new Promise<number>((resolve, reject) => {
          const req = http.request(`${hv.url}/api/v1/highvolt/query`, { method: "POST", agent }, (res) => {
            res.resume()
            res.once("end", () => {
              const idleSince = Date.now()
              req.socket!.once("close", () => resolve(Date.now() - idleSince))
            })
          })
          req.on("error", reject)
          req.end("{}")
        })
      )
      expect(closed).toBeGreaterThanOrEqual(250)
      expect(closed).toBeLessThan(2_000)
    }))

  it.scopedLive("JSONAir: down refuses connections until up; config faults", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false })
      const ja = stack.jsonair
      yield* ja.down
      const refused = yield* outcome(() => login(ja.url, "jsonair", stack.jsonairPat))
      expect(refused.code).toBe("ECONNREFUSED")
      yield* ja.up
      const jwt = yield* Effect.promise(() => login(ja.url, "jsonair", stack.jsonairPat))
      const config = () =>
        Effect.promise(() =>
          request(`${ja.url}/api/v1/jsonair/config`, {
            body: JSON.stringify({ type: stack.profile.type, name: stack.profile.name, decode: true }),
            headers: { Authorization: `Bearer ${jwt}` }
          })
        )
      ja.faults.inject("config", { kind: "status", status: 500 })
      expect((yield* config()).status).toBe(500)
      ja.expireAllTokens()
      expect((yield* config()).status).toBe(401)
      const fresh = yield* Effect.promise(() => login(ja.url, "jsonair", stack.jsonairPat))
      ja.setProfile(stack.profile.type, stack.profile.name, { core: { mime_types: [] } })
      const invalid = yield* Effect.promise(() =>
        request(`${ja.url}/api/v1/jsonair/config`, {
          body: JSON.stringify({ type: stack.profile.type, name: stack.profile.name, decode: true }),
          headers: { Authorization: `Bearer ${fresh}` }
        })
      )
      expect(invalid.json).toEqual({ core: { mime_types: [] } })
      ja.setProfileText(stack.profile.type, stack.profile.name, "{not json")
      const text = yield* Effect.promise(() =>
        request(`${ja.url}/api/v1/jsonair/config`, {
          body: JSON.stringify({ type: stack.profile.type, name: stack.profile.name, decode: true }),
          headers: { Authorization: `Bearer ${fresh}` }
        })
      )
      expect([text.status, text.text]).toEqual([200, "{not json"])
    }))

  it.scopedLive("STS throttling and Secrets Manager injected errors reach the SDK as AWS sends them", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false })
      const sts = stsClient(stack)
      stack.sts.throttleNext(2, "AssumeRole")
      const assume = () =>
        outcome(() =>
          sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${stack.accounts.members[0]}:role/${stack.roleName}`, RoleSessionName: "scan", ExternalId: stack.externalId }))
        )
      expect(yield* outcome(() => sts.send(new GetCallerIdentityCommand({})))).toMatchObject({ ok: true })
      expect(yield* assume()).toMatchObject({ ok: false, code: "Throttling", message: "Rate exceeded" })
      expect(yield* assume()).toMatchObject({ ok: false, code: "Throttling" })
      expect(yield* assume()).toMatchObject({ ok: true })
      expect(stack.sts.counters).toMatchObject({ assumeRole: 3, injected: 2 })

      const sm = secretsClient(stack)
      stack.secretsManager.failNext({ status: 400, code: "AccessDeniedException", message: "no" })
      const get = () => outcome(() => sm.send(new GetSecretValueCommand({ SecretId: stack.env.JSONAIR_SECRET_NAME })))
      expect(yield* get()).toMatchObject({ ok: false, code: "AccessDeniedException", message: "no" })
      expect(yield* get()).toMatchObject({ ok: true })
      stack.secretsManager.put(stack.env.JSONAIR_SECRET_NAME, JSON.stringify({ OTHER: "x" }))
      expect(yield* get()).toMatchObject({ ok: true, v: { SecretString: "{\"OTHER\":\"x\"}" } })
      // A member account's session may not read the own account's secret.
      const member = yield* assume()
      const c = member.v?.Credentials
      const asMember = secretsClient(stack, { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! })
      expect(yield* outcome(() => asMember.send(new GetSecretValueCommand({ SecretId: stack.env.JSONAIR_SECRET_NAME }))))
        .toMatchObject({ ok: false, code: "AccessDeniedException" })
    }))
})
