/**
 * What s3rver does not know: which account and region own a bucket, object versions, and
 * per-version states (archived, SSE-C). s3rver holds the bytes: the current version at its key,
 * and, in versioned buckets, every version under a hidden "shadow" bucket the gate never exposes.
 */
import { createHash, randomBytes } from "node:crypto"
import * as http from "node:http"
import { Readable } from "node:stream"

export type StorageClass = "GLACIER" | "DEEP_ARCHIVE"

export interface BucketInfo {
  readonly name: string
  readonly account: string
  readonly region: string
  readonly versioned: boolean
  readonly createdAt: Date
}

export interface Version {
  /** `"null"` in unversioned buckets, as S3 names it. */
  readonly versionId: string
  readonly deleteMarker: boolean
  archived: StorageClass | undefined
  sseC: boolean
}

/** Bytes of an object: text, bytes, or a stream factory of known size (e.g. generated 300 MiB). */
export type ObjectBody = string | Uint8Array | { readonly size: number; readonly stream: () => NodeJS.ReadableStream }

export const shadowBucketOf = (bucket: string) => `v-${createHash("sha1").update(bucket).digest("hex").slice(0, 32)}`
export const newVersionId = () => randomBytes(24).toString("base64url").slice(0, 32)

/** Path-style URL path of a key, encoded like the SDK encodes it. */
export const keyPath = (bucket: string, key: string) =>
  `/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`

export interface RawResponse {
  readonly status: number
  readonly body: string
  /** The body as sent: gzipped inventory files are not text. */
  readonly bytes: Buffer
  readonly headers: http.IncomingHttpHeaders
}

/** One request to s3rver itself (no authentication: s3rver checks none when none is sent). */
export const rawRequest = (
  agent: http.Agent,
  port: number,
  method: string,
  path: string,
  headers: http.OutgoingHttpHeaders = {},
  body?: ObjectBody
): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const size = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : "size" in body ? body.size : body.byteLength
    const req = http.request({ host: "127.0.0.1", port, method, path, agent, headers: { ...headers, "Content-Length": size } }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const bytes = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, body: bytes.toString("utf8"), bytes, headers: res.headers })
      })
      res.on("error", reject)
    })
    req.on("error", reject)
    if (body === undefined) req.end()
    else if (typeof body === "string" || !("size" in body)) req.end(body)
    else {
      const source = body.stream()
      const readable = source instanceof Readable ? source : Readable.from(source as AsyncIterable<Uint8Array>)
      readable.on("error", (e) => req.destroy(e))
      readable.pipe(req)
    }
  })

/** What ListObjectsV2 shows of a key's current version. */
export interface Listed {
  readonly size: number
  readonly etag: string
  readonly lastModified: Date
}

export class Registry {
  readonly buckets = new Map<string, BucketInfo>()
  private readonly objects = new Map<string, Array<Version>>()
  /** Per bucket, the keys whose current version is an object (not a delete marker): what a listing shows. */
  private readonly current = new Map<string, Map<string, Listed>>()

  /** The bucket's listed keys, in no particular order. */
  listed(bucket: string): ReadonlyMap<string, Listed> {
    return this.current.get(bucket) ?? new Map()
  }

  /** Records the key's current object, or (`undefined`) that it has none any more. */
  setListed(bucket: string, key: string, listed: Listed | undefined) {
    let keys = this.current.get(bucket)
    if (keys === undefined) this.current.set(bucket, keys = new Map())
    if (listed === undefined) keys.delete(key)
    else keys.set(key, listed)
  }

  versions(bucket: string, key: string): ReadonlyArray<Version> {
    return this.objects.get(`${bucket}\u0000${key}`) ?? []
  }

  /** The current version, if any (it may be a delete marker). */
  latest(bucket: string, key: string): Version | undefined {
    const all = this.versions(bucket, key)
    return all[all.length - 1]
  }

  find(bucket: string, key: string, versionId: string): Version | undefined {
    return this.versions(bucket, key).find((v) => v.versionId === versionId)
  }

  /** Records a new current version; in an unversioned bucket it replaces the only one. */
  add(bucket: string, key: string, version: Version) {
    const id = `${bucket}\u0000${key}`
    const info = this.buckets.get(bucket)
    this.objects.set(id, info?.versioned === true ? [...(this.objects.get(id) ?? []), version] : [version])
  }

  forget(bucket: string, key: string) {
    this.objects.delete(`${bucket}\u0000${key}`)
  }
}
