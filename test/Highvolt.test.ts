import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted, Ref, Schema, Stream, TestClock } from "effect"
import type { Sha256 } from "../src/Domain.js"
import { Highvolt } from "../src/Highvolt.js"
import * as Mime from "../src/Mime.js"
import { ScannerConfig } from "../src/ScannerConfig.js"
import { fakeHttp, fakeJwt, type Responder } from "./helpers/fakeHttp.js"

const sha256 = "a".repeat(64) as Sha256
const config = ScannerConfig.of({
  core: { mime_types: Schema.decodeSync(Mime.AllowListFromEntries)(["application/pdf"]), max_file_size: 1000 },
  highvolt: { url: "https://highvolt.test:8443/", pat: Redacted.make("hv_pat_secret_0002") }
})
const token = (n = 1) => ({ status: 200, body: { access_token: fakeJwt(4_000_000_000, `jwt-${n}`), expires_in: 3600 } })

const withHighvolt = <A, E>(respond: Responder, use: (h: Highvolt["Type"]) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const http = yield* fakeHttp(respond)
    const layer = Highvolt.layer.pipe(Layer.provide(Layer.mergeAll(http.layer, Layer.succeed(ScannerConfig, config))))
    const fiber = yield* Effect.fork(Effect.either(Effect.flatMap(Highvolt, use).pipe(Effect.provide(layer))))
    yield* TestClock.adjust("10 minutes")
    return { result: yield* Fiber.join(fiber), requests: yield* Ref.get(http.requests) }
  })

const tinyBody = { sha256, contentLength: 2, stream: Stream.make(new Uint8Array([123, 125])) }
const notFound = { status: 200, body: { status: "not found", code: 404 } } as const

const route = (rest: (path: string, index: number) => ReturnType<Responder>): Responder => (r, i) =>
  r.path.endsWith("/auth/token") ? token(i + 1) : rest(r.path, i)

describe("Highvolt", () => {
  it.effect("logs in at construction, then queries by SHA256 (code 200 in the body means found)", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* withHighvolt(route(() => ({ status: 200, body: { status: "found", code: 200 } })), (h) => h.isKnown(sha256))
      expect(result._tag === "Right" && result.right).toBe(true)
      expect(requests.map((r) => r.path)).toEqual(["/api/v1/highvolt/auth/token", "/api/v1/highvolt/query"])
      expect(JSON.parse(requests[0]!.body)).toEqual({ token: "hv_pat_secret_0002" })
      expect(JSON.parse(requests[1]!.body)).toEqual({ sha256 })
    }))

  it.effect("200 with code 404 in the body means not analyzed yet", () =>
    Effect.gen(function*() {
      const { result } = yield* withHighvolt(route(() => ({ status: 200, body: { status: "not found", code: 404 } })), (h) => h.isKnown(sha256))
      expect(result._tag === "Right" && result.right).toBe(false)
    }))

  it.effect("an answer with another code is a decode error, not a guess", () =>
    Effect.gen(function*() {
      const { result } = yield* withHighvolt(route(() => ({ status: 200, body: { status: "weird", code: 302 } })), (h) => h.isKnown(sha256))
      expect(result._tag === "Left" && result.left.reason).toBe("decode")
    }))

  it.effect("401 → one re-login → the query is retried", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* withHighvolt(
        route((_, i) => i === 1 ? { status: 401, body: { error: "Session expired or invalid" } } : { status: 200, body: { code: 404, status: "not found" } }),
        (h) => h.isKnown(sha256)
      )
      expect(result._tag).toBe("Right")
      expect(requests.map((r) => r.path.split("/").pop())).toEqual(["token", "query", "token", "query"])
      expect(requests[3]!.authorization).not.toBe(requests[1]!.authorization)
    }))

  it.effect("400 is permanent: no retry", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* withHighvolt(
        route(() => ({ status: 400, body: { status: "failed", code: 400, reason: "invalid sha256" } })),
        (h) => h.isKnown(sha256)
      )
      expect(result._tag === "Left" && result.left.message).toBe("highvolt query failed (HTTP 400): invalid sha256")
      expect(requests).toHaveLength(2)
    }))

  it.effect("submit streams the body with its exact Content-Length and retries 503 (queue full)", () =>
    Effect.gen(function*() {
      const body = "{\"sha256\":\"" + sha256 + "\",\"file_data\":\"aGVsbG8=\"}"
      const chunks = [body.slice(0, 10), body.slice(10)].map((s) => new TextEncoder().encode(s))
      const { result, requests } = yield* withHighvolt(
        route((_, i) => i <= 3 ? { status: 503, body: { error: "queue full" } } : { status: 200, body: { status: "queued" } }),
        (h) => h.submit({ sha256, contentLength: Buffer.byteLength(body), stream: Stream.fromIterable(chunks) })
      )
      expect(result._tag).toBe("Right")
      const submits = requests.filter((r) => r.path.endsWith("/submit"))
      expect(submits).toHaveLength(4)
      for (const s of submits) {
        expect(s.body).toBe(body)
        expect(s.contentLength).toBe(String(Buffer.byteLength(body)))
      }
    }))

  it.effect("a submit retried past its token's refresh moment goes on with a fresh token", () =>
    Effect.gen(function*() {
      // Tokens live 120 s (refreshed at 108 s). The Go server answers a large body with a dead
      // token by 401 and a closed connection, which the client sees as a reset, not as a 401.
      const jwts: Array<string> = []
      let busy = 0
      const respond: Responder = (r) => {
        if (r.path.endsWith("/auth/token")) {
          jwts.push(fakeJwt(4_000_000_000, `jwt-${jwts.length + 1}`))
          return { status: 200, body: { access_token: jwts.at(-1), expires_in: 120 } }
        }
        if (r.authorization !== `Bearer ${jwts[0]}`) return r.path.endsWith("/query") ? notFound : { status: 200, body: { status: "queued" } }
        return busy++ < 2 ? { status: 503, body: { error: "queue full" }, headers: { "retry-after": "60" } } : "reset"
      }
      const { result, requests } = yield* withHighvolt(respond, (h) => h.submit(tinyBody))
      expect(result._tag).toBe("Right")
      const submits = requests.filter((r) => r.path.endsWith("/submit"))
      expect(submits.map((r) => jwts.indexOf(r.authorization!.slice("Bearer ".length)) + 1)).toEqual([1, 1, 2])
      expect(jwts).toHaveLength(2)
    }))

  describe("a submit left without an answer asks whether it landed before sending the body again", () => {
    it.effect("it landed (found): not sent again", () =>
      Effect.gen(function*() {
        const { result, requests } = yield* withHighvolt(
          route((path) => path.endsWith("/query") ? { status: 200, body: { status: "found", code: 200 } } : "reset"),
          (h) => h.submit(tinyBody)
        )
        expect(result._tag).toBe("Right")
        expect(requests.map((r) => r.path.split("/").pop())).toEqual(["token", "submit", "query"])
        expect(JSON.parse(requests[2]!.body)).toEqual({ sha256 })
      }))

    it.effect("the token was revoked (Go's 401 and close, seen as a reset): the query's 401 brings a fresh token, then the body is sent once", () =>
      Effect.gen(function*() {
        let logins = 0
        const respond: Responder = (r) => {
          if (r.path.endsWith("/auth/token")) return token(++logins)
          const revoked = r.authorization === `Bearer ${fakeJwt(4_000_000_000, "jwt-1")}`
          if (r.path.endsWith("/query")) return revoked ? { status: 401, body: { error: "Session expired or invalid" } } : notFound
          return revoked ? "reset" : { status: 200, body: { status: "queued" } }
        }
        const { result, requests } = yield* withHighvolt(respond, (h) => h.submit(tinyBody))
        expect(result._tag).toBe("Right")
        expect(requests.map((r) => r.path.split("/").pop())).toEqual(["token", "submit", "query", "token", "query", "submit"])
        expect(requests[5]!.authorization).toBe(`Bearer ${fakeJwt(4_000_000_000, "jwt-2")}`)
      }))

    it.effect("a 503 (an answer) is retried without asking", () =>
      Effect.gen(function*() {
        const { result, requests } = yield* withHighvolt(
          route((_, i) => i === 1 ? { status: 503, body: { error: "queue full" } } : { status: 200, body: { status: "queued" } }),
          (h) => h.submit(tinyBody)
        )
        expect(result._tag).toBe("Right")
        expect(requests.map((r) => r.path.split("/").pop())).toEqual(["token", "submit", "submit"])
      }))
  })

  it.effect("a re-login that fails after its own retries ends the call: logins are not retried twice over", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* withHighvolt(
        (r, i) => r.path.endsWith("/auth/token") ? (i === 0 ? token(1) : { status: 503, body: { error: "unavailable" } }) : { status: 401, body: { error: "Session expired or invalid" } },
        (h) => h.isKnown(sha256)
      )
      expect(result._tag === "Left" && [result.left.operation, result.left.status]).toEqual(["login", 503])
      // The cold-start login, then one re-login with its 8 retries (loginRetry); the query once.
      expect(requests.map((r) => r.path.split("/").pop())).toEqual(["token", "query", ...Array(9).fill("token")])
    }))

  it.effect("a submit answered 2xx is done even if its answer then stalls: it is not sent twice", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* withHighvolt(
        route(() => ({ status: 200, body: { status: "queued" }, stallBody: true })),
        (h) => h.submit(tinyBody)
      )
      expect(result._tag).toBe("Right")
      expect(requests.filter((r) => r.path.endsWith("/submit"))).toHaveLength(1)
    }))

  it.effect("a query whose answer stalls is abandoned at its timeout and asked again", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* withHighvolt(
        route((_, i) => ({ status: 200, body: { status: "found", code: 200 }, stallBody: i === 1 })),
        (h) => h.isKnown(sha256)
      )
      expect(result._tag === "Right" && result.right).toBe(true)
      expect(requests.filter((r) => r.path.endsWith("/query"))).toHaveLength(2)
    }))

  it.effect("a wrong PAT fails the cold start", () =>
    Effect.gen(function*() {
      const { result } = yield* withHighvolt(() => ({ status: 401, body: { error: "Session expired or invalid" } }), (h) => h.isKnown(sha256))
      expect(result._tag === "Left" && result.left.message).toBe("highvolt login failed (HTTP 401): Session expired or invalid")
    }))
})
