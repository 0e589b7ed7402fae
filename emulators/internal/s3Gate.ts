/**
 * The gate in front of s3rver. s3rver checks no signature and knows no accounts; the gate
 * authenticates each request (SigV4, via `Iam`), lets an account read only its own buckets and
 * only in their region, plays S3's answers for versions, archived and SSE-C objects, plays
 * injected faults, and forwards the rest to s3rver without credentials.
 */
import * as http from "node:http"
import { setTimeout as sleep } from "node:timers/promises"
import type { Iam } from "../IamEmulator.js"
import type { AwsCallRecord } from "./awsProtocol.js"
import {
  accessDenied,
  authError,
  internalError,
  invalidObjectState,
  noSuchBucket,
  type S3Error,
  sendS3Error,
  slowDown,
  sseCRequired,
  wrongRegion
} from "./s3Xml.js"
import { listBuckets, listObjectsV2 } from "./s3List.js"
import { newVersionId, rawRequest, type Registry, shadowBucketOf } from "./s3Store.js"

export type S3Fault =
  /** 503 SlowDown. */
  | { readonly kind: "slow-down" }
  /** 500 InternalError. */
  | { readonly kind: "internal-error" }
  /** Any S3 error document. */
  | { readonly kind: "error"; readonly error: S3Error }
  /** Sends the real headers (full Content-Length) but only `bytes` of the body (default: half), then drops the connection. */
  | { readonly kind: "truncate-body"; readonly bytes?: number }
  /** Drops the connection without an answer. */
  | { readonly kind: "reset" }
  /** Waits `ms`, then answers normally. */
  | { readonly kind: "delay"; readonly ms: number }

export interface S3FaultTarget {
  readonly bucket?: string
  readonly key?: string
  /** `GetObject`, `HeadObject`, … */
  readonly action?: string
}

export interface S3Faults {
  /** Arms `fault` for the next `times` requests matching `target` (all requests by default). */
  readonly inject: (fault: S3Fault, options?: S3FaultTarget & { readonly times?: number }) => void
  readonly clear: () => void
  readonly pending: () => number
}

export interface S3Counters {
  requests: number
  /** Refused for the caller's identity: AccessDenied, wrong region, bad credentials. */
  denied: number
  readonly byAction: Record<string, number>
}

const actionOf = (method: string, key: string, query: URLSearchParams, headers: http.IncomingHttpHeaders, bucket: string) => {
  if (bucket === "") return "ListBuckets"
  if (key === "") {
    if (method === "GET") return query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects"
    return ({ PUT: "CreateBucket", HEAD: "HeadBucket", DELETE: "DeleteBucket", POST: "DeleteObjects" } as Record<string, string>)[method] ?? method
  }
  if (method === "PUT") return "x-amz-copy-source" in headers ? "CopyObject" : query.has("partNumber") ? "UploadPart" : "PutObject"
  return ({ GET: "GetObject", HEAD: "HeadObject", DELETE: "DeleteObject", POST: "MultipartUpload" } as Record<string, string>)[method] ?? method
}

export const makeFaults = () => {
  const armed: Array<{ fault: S3Fault; target: S3FaultTarget; left: number }> = []
  const faults: S3Faults = {
    inject: (fault, options = {}) => {
      const { times = 1, ...target } = options
      if (times > 0) armed.push({ fault, target, left: times })
    },
    clear: () => {
      armed.length = 0
    },
    pending: () => armed.reduce((n, a) => n + a.left, 0)
  }
  const take = (bucket: string, key: string, action: string): S3Fault | undefined => {
    const index = armed.findIndex(({ target: t }) =>
      (t.bucket === undefined || t.bucket === bucket) && (t.key === undefined || t.key === key) &&
      (t.action === undefined || t.action === action)
    )
    const entry = armed[index]
    if (entry === undefined) return undefined
    entry.left -= 1
    if (entry.left <= 0) armed.splice(index, 1)
    return entry.fault
  }
  return { faults, take }
}

/**
 * Headers that must not reach s3rver: credentials (s3rver would try to check them) and
 * hop-by-hop ones (`Expect: 100-continue` was already answered by the gate's own server).
 */
const dropped = new Set(["authorization", "x-amz-security-token", "host", "connection", "expect"])

export const makeGate = (options: {
  readonly iam: Iam
  readonly registry: Registry
  readonly upstreamPort: () => number
  readonly agent: http.Agent
  readonly take: (bucket: string, key: string, action: string) => S3Fault | undefined
  readonly calls: Array<AwsCallRecord>
  readonly counters: S3Counters
  /** Accounts whose callers lack `s3:ListBucket` on their buckets. */
  readonly withoutListBucket: ReadonlySet<string>
}): http.RequestListener =>
async (req, res) => {
  const { iam, registry, counters } = options
  const rawUrl = req.url ?? "/"
  const q = rawUrl.indexOf("?")
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q)
  const query = new URLSearchParams(q === -1 ? "" : rawUrl.slice(q + 1))
  const slash = rawPath.indexOf("/", 1)
  const rawBucket = slash === -1 ? rawPath.slice(1) : rawPath.slice(1, slash)
  const rawKey = slash === -1 ? "" : rawPath.slice(slash + 1)
  const bucket = decodeURIComponent(rawBucket)
  const key = decodeURIComponent(rawKey)
  const method = req.method ?? "GET"
  const action = actionOf(method, key, query, req.headers, bucket)
  const versionId = query.get("versionId") ?? undefined

  const auth = iam.authenticate({
    method,
    rawUrl,
    headers: req.headers,
    payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
  })
  const entry: AwsCallRecord = {
    at: Date.now(),
    action,
    accessKeyId: auth.ok ? auth.caller.accessKeyId : auth.accessKeyId,
    account: auth.ok ? auth.caller.account : undefined,
    headers: { ...req.headers },
    params: { bucket, key, ...(versionId === undefined ? {} : { versionId }) },
    status: 0
  }
  options.calls.push(entry)
  counters.requests += 1
  counters.byAction[action] = (counters.byAction[action] ?? 0) + 1
  res.once("finish", () => {
    entry.status = res.statusCode
  })
  const fail = (error: S3Error, denial = false) => {
    if (denial) counters.denied += 1
    entry.code = error.code
    // The body is not read: let Node discard it.
    sendS3Error(req, res, error)
  }

  if (!auth.ok) return fail(authError(auth.failure), true)
  const caller = auth.caller
  // As S3 does: without s3:ListBucket a missing key is not told apart from a forbidden one.
  const hidesMissingKeys = key !== "" && (method === "GET" || method === "HEAD") && options.withoutListBucket.has(caller.account)
  const notFound = (error: S3Error) => (hidesMissingKeys && error.code === "NoSuchKey" ? fail(accessDenied, true) : fail(error))
  const sendXml = (xml: string) => {
    res.writeHead(200, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(xml) })
    return res.end(xml)
  }
  if (bucket === "") return sendXml(listBuckets(registry.buckets.values(), caller.account, query))
  const info = registry.buckets.get(bucket)
  if (info === undefined) {
    if (action !== "CreateBucket") return fail(noSuchBucket(bucket))
    registry.buckets.set(bucket, { name: bucket, account: caller.account, region: auth.region, versioned: false, createdAt: new Date() })
  } else {
    if (auth.region !== info.region) return fail(wrongRegion(auth.region, info.region), true)
    if (info.account !== caller.account) return fail(accessDenied, true)
  }

  const fault = options.take(bucket, key, action)
  if (fault?.kind === "slow-down") return fail(slowDown)
  if (fault?.kind === "internal-error") return fail(internalError)
  if (fault?.kind === "error") return fail(fault.error)
  if (fault?.kind === "reset") return req.socket.destroy()
  if (fault?.kind === "delay") await sleep(fault.ms)

  if (action === "ListObjectsV2") {
    // Listing a bucket is s3:ListBucket itself.
    if (options.withoutListBucket.has(caller.account)) return fail(accessDenied, true)
    const listed = listObjectsV2(registry, bucket, query)
    return "xml" in listed ? sendXml(listed.xml) : fail(listed)
  }

  let upstreamPath = rawPath
  const extraHeaders: Record<string, string> = {}
  if (key !== "" && (method === "GET" || method === "HEAD") && info !== undefined) {
    const latest = registry.latest(bucket, key)
    let version = latest
    if (versionId !== undefined && versionId !== "null") {
      if (!info.versioned) return fail({ status: 400, code: "InvalidArgument", message: "Invalid version id specified", details: { ArgumentName: "versionId", ArgumentValue: versionId } })
      version = registry.find(bucket, key, versionId)
      if (version === undefined) return fail({ status: 404, code: "NoSuchVersion", message: "The specified version does not exist.", details: { Key: key, VersionId: versionId } })
      if (version.deleteMarker) {
        return fail({ status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.", headers: { "x-amz-delete-marker": "true", "x-amz-version-id": versionId } })
      }
      if (version !== latest) upstreamPath = `/${shadowBucketOf(bucket)}/${encodeURIComponent(versionId)}/${rawKey}`
    } else if (latest?.deleteMarker === true) {
      return notFound({ status: 404, code: "NoSuchKey", message: "The specified key does not exist.", details: { Key: key }, headers: { "x-amz-delete-marker": "true", "x-amz-version-id": latest.versionId } })
    }
    if (version !== undefined) {
      if (info.versioned) extraHeaders["x-amz-version-id"] = version.versionId
      if (version.archived !== undefined) {
        if (method === "GET") return fail(invalidObjectState(version.archived))
        extraHeaders["x-amz-storage-class"] = version.archived
      }
      if (version.sseC) {
        if (req.headers["x-amz-server-side-encryption-customer-algorithm"] === undefined) return fail(sseCRequired)
        extraHeaders["x-amz-server-side-encryption-customer-algorithm"] = "AES256"
      }
    }
  }
  if (key !== "" && method === "DELETE" && info !== undefined) {
    // A versioned bucket keeps its versions behind a delete marker; the current copy goes away below.
    if (info.versioned) registry.add(bucket, key, { versionId: newVersionId(), deleteMarker: true, archived: undefined, sseC: false })
    else registry.forget(bucket, key)
    registry.setListed(bucket, key, undefined)
  }
  // A write through the gate is listed once s3rver holds it, before its caller hears it succeeded.
  const writes = action === "PutObject" || action === "CopyObject" || (action === "MultipartUpload" && query.has("uploadId"))

  // Forward, without credentials and without the version query s3rver does not understand.
  query.delete("versionId")
  const forwardQuery = query.toString()
  const headers: http.OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(req.headers)) if (!dropped.has(name) && value !== undefined) headers[name] = value
  const upstream = http.request({
    host: "127.0.0.1",
    port: options.upstreamPort(),
    method,
    path: upstreamPath + (forwardQuery === "" ? "" : `?${forwardQuery}`),
    headers,
    agent: options.agent
  }, async (answer) => {
    if (writes && answer.statusCode === 200) {
      const head = await rawRequest(options.agent, options.upstreamPort(), "HEAD", rawPath).catch(() => undefined)
      if (head?.status === 200) {
        registry.setListed(bucket, key, {
          size: Number(head.headers["content-length"] ?? 0),
          etag: String(head.headers["etag"] ?? ""),
          lastModified: new Date()
        })
      }
    }
    if (answer.statusCode === 404 && hidesMissingKeys) {
      answer.resume()
      return notFound({ status: 404, code: "NoSuchKey", message: "The specified key does not exist.", details: { Key: key } })
    }
    const limit = fault?.kind === "truncate-body"
      ? fault.bytes ?? Math.floor(Number(answer.headers["content-length"] ?? 0) / 2)
      : Infinity
    if (answer.statusCode !== undefined && answer.statusCode >= 300) entry.code = `status ${answer.statusCode}`
    res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...extraHeaders })
    if (limit === Infinity) return answer.pipe(res)
    let sent = 0
    const cut = () => {
      answer.destroy()
      res.destroy()
    }
    if (limit <= 0) {
      res.flushHeaders()
      return setImmediate(cut)
    }
    answer.on("data", (chunk: Buffer) => {
      if (sent >= limit) return
      const part = chunk.subarray(0, limit - sent)
      sent += part.length
      if (sent >= limit) res.write(part, cut)
      else res.write(part)
    })
    answer.on("end", () => res.end())
  })
  upstream.on("error", () => res.destroy())
  req.pipe(upstream)
}
