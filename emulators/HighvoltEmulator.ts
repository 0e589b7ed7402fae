/**
 * The highvolt-server emulator, faithful to the wire contract (`/api/v1/highvolt`): PAT → JWT
 * login with its rate limit and quirks, 200-with-`code` query answers, and a `submit` that
 * verifies each body as it streams in (fields, hash formats, and that `file_data` decodes to
 * bytes with exactly the submitted digests), answers 503 while its queue is full and records
 * every submission without its `file_data`.
 */
import type * as http from "node:http"
import { Effect, type Scope } from "effect"
import { type FaultControls, describeFault, type HttpFault, makeFaultQueue, playFault } from "./internal/faults.js"
import { BodyTooLarge, isRecord, parseJson, readBody, record, type RequestRecord, sendJson, sendText } from "./internal/jsonHttp.js"
import { defaultAuthRateLimit, type RateLimit } from "./internal/rateLimit.js"
import type { Base64DigestResult } from "./internal/base64Digest.js"
import { checkSubmission, hashFormats, hashKinds } from "./internal/submissionCheck.js"
import { SubmissionParser } from "./internal/submissionParser.js"
import { listen } from "./internal/loopbackServer.js"
import { type AuthControls, type AuthCounters, initialAuthCounters, makeTokenAuth, unauthorized } from "./internal/tokenAuth.js"
import { makeQueue, type QueueControls } from "./internal/queue.js"

export type HighvoltEndpoint = "auth" | "query" | "submit"

export interface HighvoltOptions {
  readonly pat: string
  /** JWT lifetime (the real server's is configured in minutes, often 60). */
  readonly tokenTtlSeconds?: number
  readonly authRateLimit?: RateLimit
  /** Analysis queue depth: 503 once this many submissions wait (50 on the real server). */
  readonly queueDepth?: number
  /** One queued submission is analysed every this many ms; `null`: only `queue.drain()` empties it. */
  readonly drainEveryMs?: number | null
  /** `max_body_size` (1 GiB on the real server). */
  readonly maxBodySize?: number
  /** Go's read, write and idle timeouts (10 s each on the real server, the default here); 0 disables one. */
  readonly readTimeoutMs?: number
  readonly writeTimeoutMs?: number
  readonly idleTimeoutMs?: number
}

export interface HighvoltCounters extends AuthCounters {
  queries: number
  found: number
  notFound: number
  /** Every POST /submit that got past authentication. */
  submits: number
  accepted: number
  /** 400s: failed sanity checks or verification. */
  rejected: number
  /** 503s: queue full. */
  queueFull: number
}

/** One submission as received: every member but `file_data`, which is replaced by its digest. */
export interface SubmissionRecord {
  readonly at: number
  readonly ms: number
  /** The status answered (0: the client went away before the body was complete). */
  readonly status: number
  readonly accepted: boolean
  readonly fields: Readonly<Record<string, unknown>>
  readonly fileData: Base64DigestResult | undefined
  /** Why it was refused; empty when accepted. */
  readonly problems: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
  readonly bodyBytes: number
  readonly contentLength: number | undefined
}

export interface HighvoltEmulator extends AuthControls {
  readonly url: string
  readonly counters: Readonly<HighvoltCounters>
  /** Every submission that got past authentication, in arrival order. */
  readonly submissions: ReadonlyArray<SubmissionRecord>
  /** Every request, for assertions on headers and small bodies. */
  readonly requests: ReadonlyArray<RequestRecord>
  readonly queue: QueueControls
  readonly faults: FaultControls<HighvoltEndpoint>
  /** Client connections open now, idle keep-alive ones included. */
  readonly openConnections: () => number
  /** Closes every idle keep-alive connection at once, as the server's idle timeout does while a Lambda is frozen. */
  readonly closeIdleConnections: () => void
  /** Whether a hash (any kind, any case) is known: `query` answers "found" for it. */
  readonly isKnown: (hash: string) => boolean
  /** Makes `query` answer "found" for this hash, as if it had been analysed before. */
  readonly markKnown: (hash: string) => void
}

const GiB = 1024 ** 3
const base = "/api/v1/highvolt"

const defaultBody = (endpoint: HighvoltEndpoint) => (status: number): unknown => {
  switch (status) {
    case 401:
      return { error: "Session expired or invalid" }
    case 429:
      return { error: "Too many requests" }
    case 503:
      return { error: "Analysis queue is full, try again later" }
    case 500:
      return { error: endpoint === "query" ? "Query failed" : "Failed to queue submission" }
    default:
      return { error: `status ${status}` }
  }
}

const badQuery = (reason: string) => ({ status: "failed", code: 400, reason })

export const start = (options: HighvoltOptions): Effect.Effect<HighvoltEmulator, never, Scope.Scope> =>
  Effect.gen(function*() {
    const maxBodySize = options.maxBodySize ?? GiB
    const counters: HighvoltCounters = {
      ...initialAuthCounters(),
      queries: 0,
      found: 0,
      notFound: 0,
      submits: 0,
      accepted: 0,
      rejected: 0,
      queueFull: 0
    }
    const auth = makeTokenAuth({
      pat: options.pat,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
      rateLimit: options.authRateLimit ?? defaultAuthRateLimit,
      subject: "highvolt-client",
      counters
    })
    const queue = yield* makeQueue(options.queueDepth ?? 50, options.drainEveryMs === undefined ? 20 : options.drainEveryMs)
    const faults = makeFaultQueue<HighvoltEndpoint>()
    const known = new Set<string>()
    const submissions: Array<SubmissionRecord> = []
    const requests: Array<RequestRecord> = []

    const query = async (req: http.IncomingMessage, res: http.ServerResponse, entry: RequestRecord) => {
      const text = (await readBody(req, 64 * 1024)).toString("utf8")
      entry.body = text
      counters.queries += 1
      const body = parseJson(text)
      if (!isRecord(body)) return sendJson(res, 400, badQuery("invalid request body"))
      const given = hashKinds.filter((kind) => body[kind] !== undefined && body[kind] !== "")
      if (given.length === 0) return sendJson(res, 400, badQuery("no hash provided"))
      for (const kind of given) {
        const value = body[kind]
        if (typeof value !== "string" || !hashFormats[kind].test(value)) {
          return sendJson(res, 400, badQuery(`invalid ${kind} hash`))
        }
      }
      if (given.some((kind) => known.has((body[kind] as string).toLowerCase()))) {
        counters.found += 1
        return sendJson(res, 200, { status: "found", code: 200 })
      }
      counters.notFound += 1
      sendJson(res, 200, { status: "not found", code: 404 })
    }

    const submit = (req: http.IncomingMessage, res: http.ServerResponse) =>
      new Promise<void>((resolve) => {
        counters.submits += 1
        const at = Date.now()
        const header = req.headers["content-length"]
        const contentLength = header === undefined ? undefined : Number(header)
        if (contentLength !== undefined && contentLength > maxBodySize) {
          res.setHeader("Connection", "close")
          sendJson(res, 413, { error: "request body too large" })
          return resolve()
        }
        const parser = new SubmissionParser()
        let bodyBytes = 0
        let finished = false
        const save = (status: number, fields: Record<string, unknown>, fileData: Base64DigestResult | undefined, problems: ReadonlyArray<string>, warnings: ReadonlyArray<string>) => {
          finished = true
          submissions.push({ at, ms: Date.now() - at, status, accepted: status === 200, fields, fileData, problems, warnings, bodyBytes, contentLength })
        }
        req.on("data", (chunk: Buffer) => {
          bodyBytes += chunk.length
          if (bodyBytes > maxBodySize) {
            req.removeAllListeners("data")
            save(413, {}, undefined, ["request body too large"], [])
            res.setHeader("Connection", "close")
            sendJson(res, 413, { error: "request body too large" })
            req.resume()
            return resolve()
          }
          if (parser.error === undefined) parser.write(chunk)
        })
        req.once("end", () => {
          if (finished) return
          const parsed = parser.end()
          if ("error" in parsed) {
            counters.rejected += 1
            save(400, {}, undefined, [parsed.error], [])
            sendJson(res, 400, { status: "failed", code: 400, reason: parsed.error })
            return resolve()
          }
          const verdict = checkSubmission(parsed)
          const warnings = contentLength === undefined ? [...verdict.warnings, "no Content-Length"] : verdict.warnings
          const [reason] = verdict.problems
          if (reason !== undefined) {
            counters.rejected += 1
            save(400, parsed.fields, parsed.fileData, verdict.problems, warnings)
            sendJson(res, 400, { status: "failed", code: 400, reason })
          } else if (!queue.offer()) {
            counters.queueFull += 1
            save(503, parsed.fields, parsed.fileData, ["analysis queue is full"], warnings)
            sendJson(res, 503, defaultBody("submit")(503))
          } else {
            counters.accepted += 1
            for (const kind of hashKinds) known.add(parsed.fileData![kind])
            save(200, parsed.fields, parsed.fileData, [], warnings)
            sendJson(res, 200, { status: "queued", code: 200 })
          }
          resolve()
        })
        req.once("close", () => {
          if (!finished && !req.complete) save(0, {}, undefined, [`client went away after ${bodyBytes} bytes`], [])
          resolve()
        })
      })

    const route = (req: http.IncomingMessage): HighvoltEndpoint | undefined => {
      if (req.method !== "POST") return undefined
      switch ((req.url ?? "").split("?")[0]) {
        case `${base}/auth/token`:
          return "auth"
        case `${base}/query`:
          return "query"
        case `${base}/submit`:
          return "submit"
        default:
          return undefined
      }
    }

    const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      const entry = record(requests, req, res)
      const endpoint = route(req)
      if (endpoint === undefined) return sendText(res, 404, "404 page not found", "text/plain")
      // The JWT middleware runs before any fault the handler could meet.
      if (endpoint !== "auth" && !auth.authorize(req)) return unauthorized(req, res)
      const fault: HttpFault | undefined = faults.take(endpoint)
      if (fault !== undefined) {
        entry.fault = describeFault(fault)
        if (await playFault(fault, req, res, defaultBody(endpoint))) return
      }
      if (endpoint === "auth") return auth.handleLogin(req, res, entry)
      if (endpoint === "query") return query(req, res, entry)
      return submit(req, res)
    }

    const server = yield* listen((req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (error instanceof BodyTooLarge) sendJson(res, 413, { error: "request body too large" })
        else if (!req.destroyed) sendJson(res, 500, { error: "internal error" })
      })
    }, {
      readTimeoutMs: options.readTimeoutMs ?? 10_000,
      writeTimeoutMs: options.writeTimeoutMs ?? 10_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 10_000
    })

    return {
      url: server.url,
      counters,
      submissions,
      requests,
      queue,
      faults,
      openConnections: server.openConnections,
      closeIdleConnections: () => server.server.closeIdleConnections(),
      isKnown: (hash) => known.has(hash.toLowerCase()),
      markKnown: (hash) => {
        known.add(hash.toLowerCase())
      },
      issuedTokens: auth.issuedTokens,
      setTokenTtl: auth.setTokenTtl,
      expireAllTokens: auth.expireAllTokens,
      revokeAllTokensAtCall: auth.revokeAllTokensAtCall,
      setRateLimit: auth.setRateLimit,
      resetRateLimit: auth.resetRateLimit
    } satisfies HighvoltEmulator
  })
