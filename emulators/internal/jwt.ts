/** HS256 JSON Web Tokens, as highvolt-server and JSONAir issue them (`exp` in epoch seconds). */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"

const b64url = (value: Buffer | string) => Buffer.from(value).toString("base64url")
const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))

export interface Claims {
  readonly sub: string
  readonly iat: number
  readonly exp: number
  readonly jti: string
}

const mac = (key: Buffer, input: string) => createHmac("sha256", key).update(input).digest()

export const sign = (key: Buffer, sub: string, nowMs: number, ttlSeconds: number): string => {
  const iat = Math.floor(nowMs / 1000)
  const claims: Claims = { sub, iat, exp: iat + ttlSeconds, jti: randomBytes(8).toString("hex") }
  const body = `${header}.${b64url(JSON.stringify(claims))}`
  return `${body}.${mac(key, body).toString("base64url")}`
}

/** The claims of a token signed with `key` and not yet expired; `undefined` otherwise. */
export const verify = (key: Buffer, token: string, nowMs: number): Claims | undefined => {
  const [h, p, s] = token.split(".")
  if (h !== header || p === undefined || s === undefined) return undefined
  const expected = mac(key, `${h}.${p}`)
  const given = Buffer.from(s, "base64url")
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  try {
    const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Claims
    // Like golang-jwt: a token is valid while now < exp.
    return typeof claims.exp === "number" && nowMs / 1000 < claims.exp ? claims : undefined
  } catch {
    return undefined
  }
}
