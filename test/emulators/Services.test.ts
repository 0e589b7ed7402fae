import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as http from "node:http"
import * as LocalStack from "../../emulators/LocalStack.js"
import { login, postJson, request } from "./clients.js"

const hashes = (data: Buffer) => ({
  sha256: createHash("sha256").update(data).digest("hex"),
  sha1: createHash("sha1").update(data).digest("hex"),
  md5: createHash("md5").update(data).digest("hex")
})

const submission = (data: Buffer, extra: Record<string, unknown> = {}) => ({
  mimetype: "application/pdf",
  timestamp: "2025-01-02T03:04:05Z",
  file_data: data.toString("base64"),
  ...hashes(data),
  app: "highvolt-aws-s3-lambda",
  full_path: "s3://bucket/a.pdf",
  filename: "a.pdf",
  data_origin: { account: "111111111111" },
  ...extra
})

describe("local stack: JSONAir and highvolt over plain HTTP", () => {
  it.scopedLive("JSONAir serves the profile to a GET with a JSON body, decoded or base64", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false })
      const base = stack.env.JSONAIR_URL
      const jwt = yield* Effect.promise(() => login(base, "jsonair", stack.jsonairPat))
      const get = (body: unknown) =>
        Effect.promise(() =>
          request(`${base}/api/v1/jsonair/config`, { method: "GET", body: JSON.stringify(body), headers: { Authorization: `Bearer ${jwt}` } })
        )
      const decoded = yield* get({ type: stack.profile.type, name: stack.profile.name, decode: true })
      expect(decoded.status).toBe(200)
      expect(decoded.json).toEqual(stack.config)
      expect(decoded.json.highvolt.url).toBe(stack.highvolt.url)
      expect(decoded.json.core.max_file_size).toBe(100 * 1024 * 1024)
      expect(decoded.headers["x-content-type-options"]).toBe("nosniff")
      // The server read the GET's body: that is how it found the profile.
      const seen = stack.jsonair.requests.find((r) => r.method === "GET")!
      expect(JSON.parse(seen.body!)).toEqual({ type: "aws-s3-lambda", name: "scanner", decode: true })

      const encoded = yield* get({ type: stack.profile.type, name: stack.profile.name })
      expect(encoded.headers["content-type"]).toMatch(/^text\/plain/)
      expect(JSON.parse(Buffer.from(encoded.text, "base64").toString("utf8"))).toEqual(stack.config)
      // type and name are sanitized to [A-Za-z0-9._-] before the lookup.
      expect((yield* get({ type: "aws-s3-lambda/", name: "sca nner", decode: true })).status).toBe(200)
      const unknown = yield* get({ type: stack.profile.type, name: "other", decode: true })
      expect([unknown.status, unknown.json]).toEqual([404, { error: "not found" }])
      const noBody = yield* Effect.promise(() => request(`${base}/api/v1/jsonair/config`, { headers: { Authorization: `Bearer ${jwt}` } }))
      expect(noBody.status).toBe(400)
      const noJwt = yield* Effect.promise(() => request(`${base}/api/v1/jsonair/config`, { body: "{}" }))
      expect([noJwt.status, noJwt.json]).toEqual([401, { error: "Session expired or invalid" }])
      expect(stack.jsonair.counters).toMatchObject({ logins: 1, configs: 5, notFound: 1, unauthorized: 1 })
    }))

  it.scopedLive("auth: wrong PAT and missing token are 401; JWTs expire; the rate limit answers 429", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false, tokenTtlSeconds: 1 })
      const base = stack.highvolt.url
      const auth = (body: unknown) => Effect.promise(() => postJson(`${base}/api/v1/highvolt/auth/token`, body))
      expect(yield* auth({ token: "wrong" }).pipe(Effect.map((a) => [a.status, a.json]))).toEqual([401, { error: "Session expired or invalid" }])
      expect(yield* auth({}).pipe(Effect.map((a) => [a.status, a.json.error]))).toEqual([401, "Missing data"])
      const ok = yield* auth({ token: stack.highvoltPat })
      expect(ok.status).toBe(200)
      expect(ok.json.expires_in).toBe(1)
      const [, payload] = (ok.json.access_token as string).split(".")
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString())
      expect(claims.exp - claims.iat).toBe(1)
      const query = () => Effect.promise(() => postJson(`${base}/api/v1/highvolt/query`, { sha256: "a".repeat(64) }, ok.json.access_token))
      expect((yield* query()).status).toBe(200)
      yield* Effect.sleep("1100 millis")
      expect((yield* query()).status).toBe(401)
      // Five logins were spent (burst 5): the sixth is refused.
      yield* auth({ token: stack.highvoltPat })
      yield* auth({ token: stack.highvoltPat })
      const limited = yield* auth({ token: stack.highvoltPat })
      expect([limited.status, limited.json]).toEqual([429, { error: "Too many requests" }])
      expect(stack.highvolt.counters).toMatchObject({ authRequests: 6, logins: 3, loginsRejected: 2, rateLimited: 1, unauthorized: 1 })
      stack.highvolt.setRateLimit({ burst: 1, refillMs: 200 })
      expect((yield* auth({ token: stack.highvoltPat })).status).toBe(200)
      expect((yield* auth({ token: stack.highvoltPat })).status).toBe(429)
      yield* Effect.sleep("250 millis")
      expect((yield* auth({ token: stack.highvoltPat })).status).toBe(200)
    }))

  it.scopedLive("query answers 200 with a code; malformed hashes are 400; submitted hashes become found", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false })
      const base = `${stack.highvolt.url}/api/v1/highvolt`
      const jwt = yield* Effect.promise(() => login(stack.highvolt.url, "highvolt", stack.highvoltPat))
      const call = (path: string, body: unknown) => Effect.promise(() => postJson(`${base}/${path}`, body, jwt))
      const data = Buffer.from("%PDF-1.7 fake invoice for Jane Doe, IBAN DE00 0000 0000")
      const h = hashes(data)
      expect((yield* call("query", { sha256: h.sha256 })).json).toEqual({ status: "not found", code: 404 })
      expect(yield* call("query", { sha256: "xyz" }).pipe(Effect.map((a) => [a.status, a.json.status, a.json.code]))).toEqual([400, "failed", 400])
      expect((yield* call("query", { md5: h.sha1 })).status).toBe(400)
      expect((yield* call("query", {})).json.reason).toBe("no hash provided")

      const submitted = yield* call("submit", submission(data))
      expect(submitted.status).toBe(200)
      expect(submitted.headers["x-frame-options"]).toBe("DENY")
      for (const kind of ["sha256", "sha1", "md5"] as const) {
        expect((yield* call("query", { [kind]: h[kind] })).json).toEqual({ status: "found", code: 200 })
      }
      const [recorded] = stack.highvolt.submissions
      expect(recorded!.accepted).toBe(true)
      expect(recorded!.fields).not.toHaveProperty("file_data")
      expect(recorded!.fields).toMatchObject({ filename: "a.pdf", data_origin: { account: "111111111111" } })
      expect(recorded!.fileData).toMatchObject({ bytes: data.length, ...h })
      expect(recorded!.fileData).not.toHaveProperty("problem")
      expect(recorded!.warnings).toEqual([])
      expect(stack.highvolt.counters).toMatchObject({ queries: 7, found: 3, notFound: 1, submits: 1, accepted: 1 })
    }))

  it.scopedLive("submit checks fields and verifies file_data against the submitted digests", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false })
      const base = `${stack.highvolt.url}/api/v1/highvolt`
      const jwt = yield* Effect.promise(() => login(stack.highvolt.url, "highvolt", stack.highvoltPat))
      const submit = (body: unknown) => Effect.promise(() => postJson(`${base}/submit`, body, jwt))
      const data = Buffer.from("name,ssn\nJohn Doe,078-05-1120\nJane Roe,219-09-9999\n!")
      const other = hashes(Buffer.from("something else"))
      const reasons: Array<string> = []
      for (
        const body of [
          submission(data, { sha256: other.sha256 }),
          submission(data, { md5: other.md5 }),
          submission(data, { sha1: "abc" }),
          submission(data, { timestamp: undefined }),
          submission(data, { timestamp: "yesterday" }),
          submission(data, { file_data: undefined }),
          submission(data, { sha256: undefined, sha1: undefined, md5: undefined }),
          submission(data, { file_data: data.toString("base64url") + "-_" }),
          submission(data, { file_data: data.toString("base64").replace(/=+$/, "") })
        ]
      ) {
        const answer = yield* submit(body)
        expect(answer.status).toBe(400)
        expect(answer.json.status).toBe("failed")
        reasons.push(answer.json.reason)
      }
      expect(reasons).toEqual([
        "sha256 does not match file_data",
        "md5 does not match file_data",
        "invalid sha1 hash",
        "timestamp is required",
        "timestamp is not RFC 3339",
        "file_data is required",
        "at least one of sha256, sha1, md5 is required",
        "file_data is not standard base64: URL-safe characters ('-' or '_')",
        "file_data is not standard base64: length is not a multiple of 4"
      ])
      const truncated = yield* Effect.promise(() => request(`${base}/submit`, { method: "POST", body: JSON.stringify(submission(data)).slice(0, -5), headers: { Authorization: `Bearer ${jwt}` } }))
      expect([truncated.status, truncated.json.reason]).toEqual([400, "truncated JSON body"])
      // Only one hash is enough, and JSON escapes in file_data are decoded.
      const escaped = JSON.stringify(submission(data, { sha1: undefined, md5: undefined })).replace(/\//g, "\\/")
      const ok = yield* Effect.promise(() => request(`${base}/submit`, { method: "POST", body: escaped, headers: { Authorization: `Bearer ${jwt}` } }))
      expect(ok.status).toBe(200)
      expect(stack.highvolt.counters).toMatchObject({ submits: 11, accepted: 1, rejected: 10 })
      expect(stack.highvolt.submissions.map((s) => s.accepted)).toEqual([...Array(10).fill(false), true])
    }))

  it.scopedLive("a full queue answers 503 until it drains; the body size limit answers 413", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false, highvolt: { queueDepth: 2, drainEveryMs: null, maxBodySize: 4096 } })
      const base = `${stack.highvolt.url}/api/v1/highvolt`
      const jwt = yield* Effect.promise(() => login(stack.highvolt.url, "highvolt", stack.highvoltPat))
      const submit = (n: number) => Effect.promise(() => postJson(`${base}/submit`, submission(Buffer.from(`file ${n}`)), jwt))
      expect((yield* submit(1)).status).toBe(200)
      expect((yield* submit(2)).status).toBe(200)
      expect((yield* submit(3)).status).toBe(503)
      expect(stack.highvolt.queue.length()).toBe(2)
      stack.highvolt.queue.drain(1)
      expect((yield* submit(3)).status).toBe(200)
      expect(stack.highvolt.counters.queueFull).toBe(1)
      const big = yield* Effect.promise(() => postJson(`${base}/submit`, submission(Buffer.alloc(8192)), jwt))
      expect(big.status).toBe(413)
    }))

  it.scopedLive("a 51 MiB file (68 MiB of JSON) streamed in is verified with flat memory", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start({ defaultBuckets: false })
      const jwt = yield* Effect.promise(() => login(stack.highvolt.url, "highvolt", stack.highvoltPat))
      const size = 51 * 1024 * 1024
      const block = Buffer.alloc(3 * 64 * 1024) // a multiple of 3: its base64 needs no padding
      for (let i = 0; i < block.length; i++) block[i] = (i * 31 + 7) & 0xff
      const blocks = size / block.length
      const digests = { sha256: createHash("sha256"), sha1: createHash("sha1"), md5: createHash("md5") }
      for (let i = 0; i < blocks; i++) for (const h of Object.values(digests)) h.update(block)
      const hex = Object.fromEntries(Object.entries(digests).map(([k, h]) => [k, h.digest("hex")]))
      const head = Buffer.from(`{"mimetype":"application/octet-stream","timestamp":"2025-01-02T03:04:05.123+01:00",` +
        `"sha256":"${hex.sha256}","sha1":"${hex.sha1}","md5":"${hex.md5}","filename":"big.bin","file_data":"`)
      const tail = Buffer.from(`","app":"test","full_path":"s3://b/big.bin"}`)
      const b64 = block.toString("base64")
      const length = head.length + tail.length + (size / 3) * 4

      global.gc?.()
      const before = process.memoryUsage().rss
      let peak = before
      const answer = yield* Effect.promise(() =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = http.request(`${stack.highvolt.url}/api/v1/highvolt/submit`, {
            method: "POST",
            headers: { Authorization: `Bearer ${jwt}`, "Content-Type": "application/json", "Content-Length": length }
          }, (res) => {
            let text = ""
            res.on("data", (c) => (text += c))
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text }))
          })
          req.on("error", reject)
          let i = -1
          const pump = () => {
            while (true) {
              peak = Math.max(peak, process.memoryUsage.rss())
              if (i === blocks) return req.end(tail)
              const chunk = i === -1 ? head : Buffer.from(b64)
              i += 1
              if (!req.write(chunk)) return req.once("drain", pump)
            }
          }
          pump()
        })
      )
      expect(answer).toEqual({ status: 200, text: expect.anything() })
      const [recorded] = stack.highvolt.submissions
      expect(recorded!.fileData).toEqual({ base64Length: (size / 3) * 4, bytes: size, ...hex })
      expect(recorded!.bodyBytes).toBe(length)
      // 68 MiB of JSON went through; the process grew by far less.
      expect(peak - before).toBeLessThan(40 * 1024 * 1024)
    }))
})
