import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, Ref, TestClock } from "effect"
import { Environment } from "../src/Environment.js"
import { JsonAir } from "../src/JsonAir.js"
import { Secrets } from "../src/Secrets.js"
import { fakeHttp, fakeJwt, type Responder } from "./helpers/fakeHttp.js"

const validDocument = {
  core: { mime_types: ["application/pdf", "image/*"], max_file_size: 104857600 },
  highvolt: { url: "https://highvolt.internal:8443", pat: "hv_pat_secret_0001" },
  aws: { ignored: true },
  syslog: { host: "x" }
}

const fetchWith = (respond: Responder) =>
  Effect.gen(function*() {
    const http = yield* fakeHttp(respond)
    const layer = JsonAir.layer.pipe(
      Layer.provide(Layer.mergeAll(
        http.layer,
        Environment.test({ jsonairUrl: new URL("http://jsonair.test/"), jsonairName: "scanner", jsonairType: "s3" }),
        Secrets.test({ "highvolt/jsonair-pat": { SecretString: JSON.stringify({ JSONAIR_PAT: "ja_pat_secret_0001" }) } })
      ))
    )
    const fiber = yield* Effect.fork(Effect.either(Effect.flatMap(JsonAir, (j) => j.fetchProfile).pipe(Effect.provide(layer))))
    yield* TestClock.adjust("10 minutes")
    return { result: yield* Fiber.join(fiber), requests: yield* Ref.get(http.requests) }
  })

const token = { status: 200, body: { access_token: fakeJwt(4_000_000_000), expires_in: 3600 } }

describe("JsonAir", () => {
  it.effect("logs in with the PAT and sends the profile in the body of a GET", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* fetchWith((r) => r.path.endsWith("/auth/token") ? token : { status: 200, body: validDocument })
      expect(result).toEqual(Either.right({ name: "s3/scanner", document: validDocument }))
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /api/v1/jsonair/auth/token", "GET /api/v1/jsonair/config"])
      expect(JSON.parse(requests[0]!.body)).toEqual({ token: "ja_pat_secret_0001" })
      expect(JSON.parse(requests[1]!.body)).toEqual({ type: "s3", name: "scanner", decode: true })
      expect(requests[1]!.authorization).toBe(`Bearer ${token.body.access_token}`)
    }))

  it.effect("a 401 on the config call re-authenticates and retries once", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* fetchWith((r, i) =>
        r.path.endsWith("/auth/token") ? token : i === 1 ? { status: 401, body: { error: "Session expired or invalid" } } : { status: 200, body: validDocument }
      )
      expect(result._tag).toBe("Right")
      expect(requests.map((r) => r.path.split("/").pop())).toEqual(["token", "config", "token", "config"])
    }))

  it.effect("an answer whose body stalls after the headers is abandoned at the timeout and retried", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* fetchWith((r, i) =>
        r.path.endsWith("/auth/token") ? token : { status: 200, body: validDocument, stallBody: i === 1 }
      )
      expect(result._tag).toBe("Right")
      expect(requests.map((r) => r.path.split("/").pop())).toEqual(["token", "config", "config"])
    }))

  it.effect("an error answer whose body stalls is abandoned at the timeout too", () =>
    Effect.gen(function*() {
      const { result } = yield* fetchWith((r) =>
        r.path.endsWith("/auth/token") ? token : { status: 404, body: { error: "not found" }, stallBody: true }
      )
      expect(result._tag === "Left" && [result.left._tag, result.left.message]).toEqual([
        "ServiceError",
        "jsonair config failed: no answer within 15s"
      ])
    }))

  it.effect("an unknown profile is a permanent error that names it", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* fetchWith((r) => r.path.endsWith("/auth/token") ? token : { status: 404, body: { error: "not found" } })
      expect(result._tag === "Left" && result.left.message).toContain("profile s3/scanner does not exist")
      expect(requests).toHaveLength(2)
    }))

  it.effect("5xx and lost connections are retried", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* fetchWith((r, i) =>
        r.path.endsWith("/auth/token") ? token : i === 1 ? { status: 500, body: { error: "boom" } } : i === 2 ? "reset" : { status: 200, body: validDocument }
      )
      expect(result._tag).toBe("Right")
      expect(requests).toHaveLength(4)
    }))

  it.effect("a wrong PAT fails the login without retrying and without echoing the PAT", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* fetchWith(() => ({ status: 401, body: { error: "Session expired or invalid" } }))
      expect(result._tag).toBe("Left")
      if (result._tag === "Left") {
        expect(result.left.message).toBe("jsonair login failed (HTTP 401): Session expired or invalid")
        expect(JSON.stringify(result.left)).not.toContain("ja_pat_secret_0001")
      }
      expect(requests).toHaveLength(1)
    }))

  it.effect("login 429 backs off and succeeds", () =>
    Effect.gen(function*() {
      const { result, requests } = yield* fetchWith((r, i) =>
        i < 3 ? { status: 429, body: { error: "Too many requests" }, headers: { "retry-after": "12" } } : r.path.endsWith("/auth/token") ? token : { status: 200, body: validDocument }
      )
      expect(result._tag).toBe("Right")
      expect(requests.map((r) => r.path.split("/").pop())).toEqual(["token", "token", "token", "token", "config"])
    }))
})
