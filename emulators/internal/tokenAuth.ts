/**
 * The PAT → JWT exchange highvolt-server and JSONAir share (`POST …/auth/token`), with their
 * quirks: the per-IP rate limit comes first, a body without `token` is a 401 ("Missing data"),
 * the PAT is compared in constant time, and JWTs are HS256 with `exp`.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import type * as http from "node:http"
import { clientIp, isRecord, parseJson, readBody, type RequestRecord, sendJson } from "./jsonHttp.js"
import * as Jwt from "./jwt.js"
import { makeTokenBuckets, type RateLimit } from "./rateLimit.js"

export interface AuthCounters {
  /** Every call to the auth endpoint. */
  authRequests: number
  /** Successful logins (a JWT was issued). */
  logins: number
  /** 401s for a wrong PAT or a body without one. */
  loginsRejected: number
  /** 429s from the rate limit. */
  rateLimited: number
  /** Protected calls refused with 401 (missing, invalid or expired JWT). */
  unauthorized: number
}

export interface AuthControls {
  readonly counters: Readonly<AuthCounters>
  /** Every JWT issued so far, oldest first (for leak tests). */
  readonly issuedTokens: ReadonlyArray<string>
  /** Lifetime of JWTs issued from now on. */
  readonly setTokenTtl: (seconds: number) => void
  /** Invalidates every JWT issued so far (the next protected call gets 401), as if they had expired. */
  readonly expireAllTokens: () => void
  /**
   * Invalidates every JWT issued so far when the `n`-th protected call from now arrives (that
   * call gets 401), as a restart with a new signing key does while calls are in flight: calls
   * already past the JWT check finish, later ones meet the new key.
   */
  readonly revokeAllTokensAtCall: (n: number) => void
  readonly setRateLimit: (limit: RateLimit) => void
  /** Gives every IP a full bucket again. */
  readonly resetRateLimit: () => void
}

export interface TokenAuth extends AuthControls {
  readonly handleLogin: (req: http.IncomingMessage, res: http.ServerResponse, entry: RequestRecord) => Promise<void>
  /** True when the request carries a valid, unexpired bearer JWT; counts the refusals. */
  readonly authorize: (req: http.IncomingMessage) => boolean
}

const unauthorizedBody = { error: "Session expired or invalid" }
const digest = (s: string) => createHash("sha256").update(s).digest()

export const makeTokenAuth = (options: {
  readonly pat: string
  readonly tokenTtlSeconds: number
  readonly rateLimit: RateLimit
  readonly subject: string
  /** Updated in place, so an emulator can expose them beside its own counters. */
  readonly counters: AuthCounters
}): TokenAuth => {
  let key = randomBytes(32)
  let ttl = options.tokenTtlSeconds
  const patDigest = digest(options.pat)
  const buckets = makeTokenBuckets(options.rateLimit)
  const issuedTokens: Array<string> = []
  const counters = options.counters
  let protectedCalls = 0
  let revokeAtCall: number | undefined

  const handleLogin = async (req: http.IncomingMessage, res: http.ServerResponse, entry: RequestRecord) => {
    counters.authRequests += 1
    if (!buckets.take(clientIp(req), Date.now())) {
      counters.rateLimited += 1
      req.resume()
      return sendJson(res, 429, { error: "Too many requests" })
    }
    const text = (await readBody(req, 64 * 1024)).toString("utf8")
    entry.body = text
    const body = parseJson(text)
    const token = isRecord(body) && typeof body.token === "string" && body.token !== "" ? body.token : undefined
    if (token === undefined) {
      counters.loginsRejected += 1
      return sendJson(res, 401, { error: "Missing data" })
    }
    if (!timingSafeEqual(digest(token), patDigest)) {
      counters.loginsRejected += 1
      return sendJson(res, 401, unauthorizedBody)
    }
    const jwt = Jwt.sign(key, options.subject, Date.now(), ttl)
    issuedTokens.push(jwt)
    counters.logins += 1
    sendJson(res, 200, { access_token: jwt, expires_in: ttl })
  }

  const authorize = (req: http.IncomingMessage) => {
    protectedCalls += 1
    if (protectedCalls === revokeAtCall) {
      revokeAtCall = undefined
      key = randomBytes(32)
    }
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")
    const ok = match?.[1] !== undefined && Jwt.verify(key, match[1], Date.now()) !== undefined
    if (!ok) counters.unauthorized += 1
    return ok
  }

  return {
    handleLogin,
    authorize,
    counters,
    issuedTokens,
    setTokenTtl: (seconds) => {
      ttl = seconds
    },
    expireAllTokens: () => {
      key = randomBytes(32)
    },
    revokeAllTokensAtCall: (n) => {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`revokeAllTokensAtCall: n must be a positive integer, got ${n}`)
      revokeAtCall = protectedCalls + n
    },
    setRateLimit: buckets.configure,
    resetRateLimit: buckets.reset
  }
}

export const initialAuthCounters = (): AuthCounters => ({
  authRequests: 0,
  logins: 0,
  loginsRejected: 0,
  rateLimited: 0,
  unauthorized: 0
})

/** Go's net/http reads and discards at most this much of a body its handler left unread, to keep the connection. */
const maxDiscardBytes = 256 * 1024

/**
 * The 401 of the JWT middleware, which never reads the body. Past 256 KiB (or of unknown
 * length) Go answers `Connection: close` and closes the connection while the client may still
 * be uploading: a client sees the 401 or a reset, depending on the race.
 */
export const unauthorized = (req: http.IncomingMessage, res: http.ServerResponse) => {
  const declared = req.headers["content-length"]
  const chunked = req.headers["transfer-encoding"] !== undefined
  if (!chunked && (declared === undefined || Number(declared) <= maxDiscardBytes)) {
    req.resume()
    return sendJson(res, 401, unauthorizedBody)
  }
  res.once("finish", () => req.socket.destroy())
  sendJson(res, 401, unauthorizedBody, { Connection: "close" })
}
