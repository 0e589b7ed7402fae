/**
 * AWS Signature Version 4, server side: reads the credential scope of a signed request and
 * recomputes its signature, so the emulators know who is calling and that they hold the secret.
 * Header and presigned-query forms; S3 signs its path as sent, other services escape it again.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto"
import type { IncomingHttpHeaders } from "node:http"

export interface SignedRequest {
  readonly accessKeyId: string
  readonly date: string
  readonly region: string
  readonly service: string
  readonly signedHeaders: ReadonlyArray<string>
  readonly signature: string
  readonly amzDate: string
  /** The session token sent with it (header or query), if any. */
  readonly sessionToken: string | undefined
  readonly presigned: boolean
}

const headerPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/

const first = (value: string | Array<string> | undefined) => (Array.isArray(value) ? value[0] : value)

/** The SigV4 fields of a request, `undefined` when it is not SigV4-signed. */
export const parseSigned = (headers: IncomingHttpHeaders, query: URLSearchParams): SignedRequest | undefined => {
  const authorization = first(headers.authorization)
  if (authorization !== undefined) {
    const m = headerPattern.exec(authorization.trim())
    if (m === null) return undefined
    return {
      accessKeyId: m[1]!,
      date: m[2]!,
      region: m[3]!,
      service: m[4]!,
      signedHeaders: m[5]!.split(";"),
      signature: m[6]!,
      amzDate: first(headers["x-amz-date"]) ?? "",
      sessionToken: first(headers["x-amz-security-token"]),
      presigned: false
    }
  }
  const credential = query.get("X-Amz-Credential")
  if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256" || credential === null) return undefined
  const parts = credential.split("/")
  if (parts.length !== 5 || parts[4] !== "aws4_request") return undefined
  return {
    accessKeyId: parts[0]!,
    date: parts[1]!,
    region: parts[2]!,
    service: parts[3]!,
    signedHeaders: (query.get("X-Amz-SignedHeaders") ?? "host").split(";"),
    signature: query.get("X-Amz-Signature") ?? "",
    amzDate: query.get("X-Amz-Date") ?? "",
    sessionToken: query.get("X-Amz-Security-Token") ?? undefined,
    presigned: true
  }
}

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

const canonicalQuery = (rawQuery: string, presigned: boolean) =>
  rawQuery === ""
    ? ""
    : rawQuery.split("&").filter((p) => p !== "").map((pair) => {
      const eq = pair.indexOf("=")
      const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, "%20"))
      return eq === -1 ? [decode(pair), ""] as const : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))] as const
    }).filter(([k]) => !(presigned && k === "X-Amz-Signature"))
      .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
      .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join("&")

const canonicalPath = (rawPath: string, service: string) =>
  service === "s3" ? rawPath : rawPath.split("/").map((segment) => rfc3986(decodeURIComponent(segment))).join("/")

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest()

/**
 * Whether `signed` carries the signature `secretAccessKey` gives for this request.
 * `payloadHash` is used when the request has no `x-amz-content-sha256` header.
 */
export const verifySignature = (
  signed: SignedRequest,
  secretAccessKey: string,
  request: { readonly method: string; readonly rawUrl: string; readonly headers: IncomingHttpHeaders; readonly payloadHash: string }
): boolean => {
  const q = request.rawUrl.indexOf("?")
  const rawPath = q === -1 ? request.rawUrl : request.rawUrl.slice(0, q)
  const rawQuery = q === -1 ? "" : request.rawUrl.slice(q + 1)
  const headerLines = signed.signedHeaders.map((name) => {
    const value = request.headers[name]
    const text = Array.isArray(value) ? value.join(",") : value ?? ""
    return `${name}:${text.trim().replace(/\s+/g, " ")}\n`
  }).join("")
  const payload = signed.presigned
    ? "UNSIGNED-PAYLOAD"
    : first(request.headers["x-amz-content-sha256"]) ?? request.payloadHash
  const canonical = [
    request.method,
    canonicalPath(rawPath, signed.service),
    canonicalQuery(rawQuery, signed.presigned),
    headerLines,
    signed.signedHeaders.join(";"),
    payload
  ].join("\n")
  const scope = `${signed.date}/${signed.region}/${signed.service}/aws4_request`
  const toSign = ["AWS4-HMAC-SHA256", signed.amzDate, scope, createHash("sha256").update(canonical).digest("hex")].join("\n")
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, signed.date), signed.region), signed.service), "aws4_request")
  const expected = hmac(key, toSign)
  const given = Buffer.from(signed.signature, "hex")
  return given.length === expected.length && timingSafeEqual(given, expected)
}

export const sha256Hex = (data: Buffer | string) => createHash("sha256").update(data).digest("hex")
