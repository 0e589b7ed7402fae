/**
 * The JSONAir emulator (`/api/v1/jsonair`): PAT → JWT login like highvolt's, and the config
 * call, a GET whose profile is named in a JSON request body (`{type, name, decode}`). With
 * `decode: true` the answer is the stored document, otherwise its base64 as plain text.
 */
import type * as http from "node:http"
import { Effect, type Scope } from "effect"
import { describeFault, type FaultControls, makeFaultQueue, playFault } from "./internal/faults.js"
import { BodyTooLarge, isRecord, parseJson, readBody, record, type RequestRecord, sendJson, sendText } from "./internal/jsonHttp.js"
import { defaultAuthRateLimit, type RateLimit } from "./internal/rateLimit.js"
import { listen } from "./internal/loopbackServer.js"
import { type AuthControls, type AuthCounters, initialAuthCounters, makeTokenAuth, unauthorized } from "./internal/tokenAuth.js"

export type JsonAirEndpoint = "auth" | "config"

export interface JsonAirOptions {
  readonly pat: string
  readonly tokenTtlSeconds?: number
  readonly authRateLimit?: RateLimit
  /** Profiles served at start, by type then name. */
  readonly profiles?: ReadonlyArray<{ readonly type: string; readonly name: string; readonly document: unknown }>
}

export interface JsonAirCounters extends AuthCounters {
  /** Config calls that got past authentication. */
  configs: number
  /** Config calls answered 404 (unknown profile). */
  notFound: number
}

export interface JsonAirEmulator extends AuthControls {
  readonly url: string
  readonly counters: Readonly<JsonAirCounters>
  /** Every request; a config call's `body` shows what the GET carried. */
  readonly requests: ReadonlyArray<RequestRecord>
  readonly faults: FaultControls<JsonAirEndpoint>
  /** Stores (or replaces) a profile's document; any JSON value, served as is. */
  readonly setProfile: (type: string, name: string, document: unknown) => void
  /** Stores a profile whose stored text is not JSON at all (for invalid-document tests). */
  readonly setProfileText: (type: string, name: string, text: string) => void
  readonly removeProfile: (type: string, name: string) => void
  /** Stops listening: connections are refused until `up`. */
  readonly down: Effect.Effect<void>
  readonly up: Effect.Effect<void>
}

const base = "/api/v1/jsonair"
/** JSONAir keeps only these characters of `type` and `name`. */
const sanitize = (s: unknown) => (typeof s === "string" ? s.replace(/[^A-Za-z0-9._-]/g, "") : "")
const profileKey = (type: string, name: string) => `${sanitize(type)}/${sanitize(name)}`

const defaultBody = (status: number): unknown =>
  status === 401
    ? { error: "Session expired or invalid" }
    : status === 429
    ? { error: "Too many requests" }
    : status === 404
    ? { error: "not found" }
    : { error: `status ${status}` }

export const start = (options: JsonAirOptions): Effect.Effect<JsonAirEmulator, never, Scope.Scope> =>
  Effect.gen(function*() {
    const counters: JsonAirCounters = { ...initialAuthCounters(), configs: 0, notFound: 0 }
    const auth = makeTokenAuth({
      pat: options.pat,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
      rateLimit: options.authRateLimit ?? defaultAuthRateLimit,
      subject: "jsonair-client",
      counters
    })
    const faults = makeFaultQueue<JsonAirEndpoint>()
    const requests: Array<RequestRecord> = []
    const profiles = new Map<string, string>()
    for (const p of options.profiles ?? []) profiles.set(profileKey(p.type, p.name), JSON.stringify(p.document))

    const config = async (req: http.IncomingMessage, res: http.ServerResponse, entry: RequestRecord) => {
      const text = (await readBody(req, 64 * 1024)).toString("utf8")
      entry.body = text
      counters.configs += 1
      const body = parseJson(text)
      if (!isRecord(body)) return sendJson(res, 400, { error: "Missing data" })
      const stored = profiles.get(profileKey(sanitize(body.type), sanitize(body.name)))
      if (stored === undefined) {
        counters.notFound += 1
        return sendJson(res, 404, { error: "not found" })
      }
      if (body.decode === true) return sendText(res, 200, stored, "application/json; charset=utf-8")
      sendText(res, 200, Buffer.from(stored, "utf8").toString("base64"), "text/plain; charset=utf-8")
    }

    const route = (req: http.IncomingMessage): JsonAirEndpoint | undefined => {
      const path = (req.url ?? "").split("?")[0]
      if (req.method === "POST" && path === `${base}/auth/token`) return "auth"
      if (req.method === "GET" && path === `${base}/config`) return "config"
      return undefined
    }

    const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      const entry = record(requests, req, res)
      const endpoint = route(req)
      if (endpoint === undefined) return sendText(res, 404, "404 page not found", "text/plain")
      if (endpoint === "config" && !auth.authorize(req)) return unauthorized(req, res)
      const fault = faults.take(endpoint)
      if (fault !== undefined) {
        entry.fault = describeFault(fault)
        if (await playFault(fault, req, res, defaultBody)) return
      }
      return endpoint === "auth" ? auth.handleLogin(req, res, entry) : config(req, res, entry)
    }

    const server = yield* listen((req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (error instanceof BodyTooLarge) sendJson(res, 413, { error: "request body too large" })
        else if (!req.destroyed) sendJson(res, 500, { error: "internal error" })
      })
    })

    return {
      url: server.url,
      counters,
      requests,
      faults,
      setProfile: (type, name, document) => {
        profiles.set(profileKey(type, name), JSON.stringify(document))
      },
      setProfileText: (type, name, text) => {
        profiles.set(profileKey(type, name), text)
      },
      removeProfile: (type, name) => {
        profiles.delete(profileKey(type, name))
      },
      down: Effect.promise(() => server.pause()),
      up: Effect.promise(() => server.resume()),
      issuedTokens: auth.issuedTokens,
      setTokenTtl: auth.setTokenTtl,
      expireAllTokens: auth.expireAllTokens,
      revokeAllTokensAtCall: auth.revokeAllTokensAtCall,
      setRateLimit: auth.setRateLimit,
      resetRateLimit: auth.resetRateLimit
    } satisfies JsonAirEmulator
  })
