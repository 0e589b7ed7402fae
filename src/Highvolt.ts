/**
 * highvolt-server: "was this SHA256 already analyzed?" and "analyze this file". One JWT per
 * container, obtained at cold start, refreshed before it expires and on 401. The query answers
 * 200 in both outcomes, with the verdict in the body's `code` (a quirk of the server).
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer, type Redacted, Ref, Schema, Stream } from "effect"
import type { Sha256 } from "./Domain.js"
import { apiBase, session } from "./internal/auth.js"
import { decodeJson, execute } from "./internal/http.js"
import { ScannerConfig } from "./ScannerConfig.js"
import { ServiceError } from "./ServiceError.js"

/** A submission body streamed with its exact length (see `SubmissionBody`). */
export interface SubmitBody {
  /** The body's `sha256` field. */
  readonly sha256: Sha256
  readonly contentLength: number
  readonly stream: Stream.Stream<Uint8Array, unknown>
  /** The same bytes as `stream` in one buffer (small bodies): sent instead of running the stream. */
  readonly whole?: Uint8Array
}

const QueryAnswer = Schema.Struct({ code: Schema.Literal(200, 404) })

/** A generous ceiling for one submit attempt: 30 s plus 1 s per 4 MiB of body. */
export const submitTimeoutMillis = (contentLength: number): number => 30_000 + Math.ceil(contentLength / (4 * 1024 * 1024)) * 1000

export class Highvolt extends Context.Tag("highvolt/Highvolt")<Highvolt, {
  /** True when highvolt-server has already analyzed content with this SHA256. */
  readonly isKnown: (sha256: Sha256) => Effect.Effect<boolean, ServiceError>
  /** Submits one file for analysis; 503 (queue full) and other transient failures are retried. */
  readonly submit: (body: SubmitBody) => Effect.Effect<void, ServiceError>
}>() {
  /** Logs in at once, so a wrong PAT or URL fails the cold start rather than the first event. */
  static readonly layer = Layer.effect(
    Highvolt,
    Effect.gen(function*() {
      const config = yield* ScannerConfig
      const client = yield* HttpClient.HttpClient
      const base = apiBase(config.highvolt.url, "/api/v1/highvolt")
      const auth = yield* session(client, "highvolt", base, config.highvolt.pat)
      yield* auth.current

      const queryContext = { service: "highvolt", operation: "query", timeout: "15 seconds" } as const
      const decodeQueryAnswer = decodeJson(QueryAnswer, queryContext)
      const query = (jwt: Redacted.Redacted<string>, sha256: Sha256) =>
        execute(
          client,
          HttpClientRequest.post(`${base}/query`).pipe(
            HttpClientRequest.bearerToken(jwt),
            HttpClientRequest.bodyUnsafeJson({ sha256 })
          ),
          queryContext
        ).pipe(Effect.flatMap(decodeQueryAnswer), Effect.map((answer) => answer.code === 200))

      const isKnown = (sha256: Sha256) => auth.call((jwt) => query(jwt, sha256))

      const post = (jwt: Redacted.Redacted<string>, body: SubmitBody) =>
        execute(
          client,
          HttpClientRequest.post(`${base}/submit`).pipe(
            HttpClientRequest.bearerToken(jwt),
            body.whole === undefined
              ? HttpClientRequest.bodyStream(body.stream, {
                contentType: "application/json",
                contentLength: body.contentLength
              })
              : HttpClientRequest.bodyUint8Array(body.whole, "application/json")
          ),
          { service: "highvolt", operation: "submit", timeout: submitTimeoutMillis(body.contentLength), answerUnused: true }
        )

      // An attempt left without an answer (connection lost, timed out) may have delivered the
      // whole body, or met a revoked token: Go answers a large body sent with a dead token by
      // 401 and a closed connection, which reaches us as a reset, never as the 401. So the next
      // attempt asks first: the small query gets an honest 401 (and a fresh token), and a body
      // that landed is not sent again.
      const submit = (body: SubmitBody) =>
        Effect.suspend(() => {
          let unanswered = false
          return auth.call((jwt) =>
            Effect.gen(function*() {
              if (unanswered && (yield* query(jwt, body.sha256))) return
              yield* post(jwt, body).pipe(
                Effect.tapError((e) => Effect.sync(() => (unanswered = e.reason === "transport" || e.reason === "timeout")))
              )
            })
          )
        })

      return { isKnown, submit }
    })
  )

  /**
   * An in-memory highvolt-server: hashes in `known` answer "found"; each submitted body is
   * collected as text into `submitted` (and its SHA256 becomes known, as on the real server).
   */
  static readonly test = (state: HighvoltTestState): Layer.Layer<Highvolt> =>
    Layer.succeed(Highvolt, {
      isKnown: (sha256) => Effect.map(Ref.get(state.known), (known) => known.has(sha256)),
      submit: (body) =>
        body.stream.pipe(
          Stream.decodeText(),
          Stream.mkString,
          Effect.orDie,
          Effect.flatMap((text) =>
            Ref.update(state.submitted, (all) => [...all, text]).pipe(
              Effect.zipRight(Ref.update(state.known, (known) => new Set([...known, String(JSON.parse(text).sha256)])))
            )
          )
        )
    })
}

export interface HighvoltTestState {
  readonly known: Ref.Ref<ReadonlySet<string>>
  readonly submitted: Ref.Ref<ReadonlyArray<string>>
}

export const makeTestState = (known: Iterable<string> = []): Effect.Effect<HighvoltTestState> =>
  Effect.all({ known: Ref.make<ReadonlySet<string>>(new Set(known)), submitted: Ref.make<ReadonlyArray<string>>([]) })
