/**
 * A scripted HTTP server behind an `HttpClient`, for unit tests of the JSONAir and highvolt
 * layers: each request is recorded (method, path, bearer, body) and answered by `respond`.
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { Effect, Layer, Ref, Stream } from "effect"

export interface Recorded {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly contentLength: string | undefined
  readonly body: string
}

export interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Record<string, string>
  /** Send the headers and the first half of the body, then nothing more (a stalled server). */
  readonly stallBody?: boolean
}

/** `"reset"` simulates a connection lost before any answer. */
export type Responder = (request: Recorded, index: number) => Reply | "reset"

const bodyText = (body: import("@effect/platform").HttpBody.HttpBody): Effect.Effect<string> => {
  switch (body._tag) {
    case "Uint8Array":
      return Effect.succeed(new TextDecoder().decode(body.body))
    case "Stream":
      return body.stream.pipe(Stream.decodeText(), Stream.mkString, Effect.orDie)
    default:
      return Effect.succeed("")
  }
}

export const fakeHttp = (respond: Responder) =>
  Effect.gen(function*() {
    const requests = yield* Ref.make<ReadonlyArray<Recorded>>([])
    const client = HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const recorded: Recorded = {
          method: request.method,
          path: url.pathname,
          authorization: request.headers["authorization"],
          contentLength: request.body._tag === "Stream" ? String(request.body.contentLength) : undefined,
          body: yield* bodyText(request.body)
        }
        const index = (yield* Ref.getAndUpdate(requests, (all) => [...all, recorded])).length
        const reply = respond(recorded, index)
        if (reply === "reset") {
          return yield* new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("socket hang up") })
        }
        const text = reply.body === undefined ? null : JSON.stringify(reply.body)
        const stalled = text === null ? null : new ReadableStream<Uint8Array>({
          start: (controller) => controller.enqueue(new TextEncoder().encode(text.slice(0, text.length / 2)))
        })
        return HttpClientResponse.fromWeb(
          request,
          new Response(reply.stallBody === true ? stalled : text, {
            status: reply.status,
            headers: { "content-type": "application/json", ...reply.headers }
          })
        )
      })
    )
    return { layer: Layer.succeed(HttpClient.HttpClient, client), requests }
  })

/** A JWT-shaped token (unsigned: the client never checks signatures) expiring at `exp` seconds. */
export const fakeJwt = (exp: number, marker = "t"): string =>
  [
    Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url"),
    Buffer.from(JSON.stringify({ exp, sub: marker })).toString("base64url"),
    "sig"
  ].join(".")
