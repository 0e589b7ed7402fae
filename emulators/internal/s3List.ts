/**
 * ListBuckets and ListObjectsV2, answered by the gate from the registry rather than by s3rver:
 * s3rver walks its directories in the file system's order and pages by comparing keys as
 * JavaScript strings, so past 1,000 keys (or with keys outside ASCII) its pages skip or repeat
 * keys. S3 lists keys in UTF-8 binary order, pages of at most 1,000, with an opaque continuation
 * token; this does the same.
 */
import { xmlEscape } from "./awsProtocol.js"
import type { S3Error } from "./s3Xml.js"
import type { BucketInfo, Registry } from "./s3Store.js"

const xmlns = `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`

/** UTF-8 binary order, as S3 lists keys (JavaScript's own `<` compares UTF-16 code units). */
export const compareKeys = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"))

const invalidArgument = (name: string, value: string, message: string): S3Error => ({
  status: 400,
  code: "InvalidArgument",
  message,
  details: { ArgumentName: name, ArgumentValue: value }
})

/** `ListBuckets`: the caller's buckets, by name; with `bucket-region`, only those of that Region (each names its Region). */
export const listBuckets = (buckets: Iterable<BucketInfo>, account: string, query: URLSearchParams): string => {
  const region = query.get("bucket-region")
  const prefix = query.get("prefix") ?? ""
  const mine = [...buckets]
    .filter((b) => b.account === account && (region === null || b.region === region) && b.name.startsWith(prefix))
    .sort((a, b) => compareKeys(a.name, b.name))
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult ${xmlns}>` +
    `<Owner><ID>${account}</ID><DisplayName>${account}</DisplayName></Owner><Buckets>` +
    mine.map((b) =>
      `<Bucket><Name>${xmlEscape(b.name)}</Name><CreationDate>${b.createdAt.toISOString()}</CreationDate>` +
      `<BucketRegion>${b.region}</BucketRegion></Bucket>`
    ).join("") + `</Buckets>${prefix === "" ? "" : `<Prefix>${xmlEscape(prefix)}</Prefix>`}</ListAllMyBucketsResult>`
}

const tokenOf = (bucket: string, key: string) => Buffer.from(JSON.stringify([bucket, key]), "utf8").toString("base64")

const keyOfToken = (bucket: string, token: string): string | undefined => {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as unknown
    return Array.isArray(parsed) && parsed[0] === bucket && typeof parsed[1] === "string" ? parsed[1] : undefined
  } catch {
    return undefined
  }
}

/**
 * `ListObjectsV2` of `bucket`: `prefix`, `delimiter`, `start-after`, `continuation-token`,
 * `max-keys` (at most 1,000 per page) and `encoding-type=url`, with S3's errors for bad values.
 */
export const listObjectsV2 = (registry: Registry, bucket: string, query: URLSearchParams): { readonly xml: string } | S3Error => {
  const prefix = query.get("prefix") ?? ""
  const delimiter = query.get("delimiter") ?? ""
  const encoding = query.get("encoding-type")
  if (encoding !== null && encoding !== "url") return invalidArgument("encoding-type", encoding, "Invalid Encoding Method specified in Request")
  const maxKeysText = query.get("max-keys") ?? "1000"
  if (!/^\d+$/.test(maxKeysText)) return invalidArgument("max-keys", maxKeysText, "Provided max-keys not an integer or within integer range")
  const maxKeys = Math.min(1000, Number(maxKeysText))
  const token = query.get("continuation-token")
  let after = query.get("start-after") ?? ""
  if (token !== null) {
    const key = keyOfToken(bucket, token)
    if (key === undefined) return invalidArgument("continuation-token", token, "The continuation token provided is incorrect")
    after = key
  }
  // As S3 encodes: form-style (a space is `+`), `/` left as it is.
  const encode = (s: string) => (encoding === "url" ? encodeURIComponent(s).replace(/%20/g, "+").replace(/%2F/g, "/") : s)

  const listed = registry.listed(bucket)
  const keys = [...listed.keys()]
    .filter((k) => k.startsWith(prefix) && (after === "" || compareKeys(k, after) > 0))
    .sort(compareKeys)
  const contents: Array<string> = []
  const prefixes: Array<string> = []
  let last = ""
  let truncated = false
  for (const key of keys) {
    const rest = key.slice(prefix.length)
    const cut = delimiter === "" ? -1 : rest.indexOf(delimiter)
    const common = cut === -1 ? undefined : prefix + rest.slice(0, cut + delimiter.length)
    // A common prefix counts once, where its first key is; its other keys are not listed.
    if (common !== undefined && prefixes.at(-1) === common) continue
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true
      break
    }
    if (common !== undefined) {
      prefixes.push(common)
      // The next page starts past every key of this prefix.
      last = common + "\u{10FFFF}"
      continue
    }
    const object = listed.get(key)!
    const storageClass = registry.latest(bucket, key)?.archived ?? "STANDARD"
    contents.push(
      `<Contents><Key>${xmlEscape(encode(key))}</Key><LastModified>${object.lastModified.toISOString()}</LastModified>` +
        `<ETag>${xmlEscape(object.etag)}</ETag><Size>${object.size}</Size><StorageClass>${storageClass}</StorageClass></Contents>`
    )
    last = key
  }
  const element = (name: string, value: string | null | undefined) => (value === null || value === undefined ? "" : `<${name}>${xmlEscape(value)}</${name}>`)
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult ${xmlns}>` +
    element("Name", bucket) + element("Prefix", encode(prefix)) +
    (token === null ? element("StartAfter", query.has("start-after") ? encode(after) : null) : element("ContinuationToken", token)) +
    element("KeyCount", String(contents.length + prefixes.length)) + element("MaxKeys", maxKeysText) +
    element("Delimiter", delimiter === "" ? null : encode(delimiter)) + element("EncodingType", encoding) +
    element("IsTruncated", String(truncated)) + (truncated ? element("NextContinuationToken", tokenOf(bucket, last)) : "") +
    contents.join("") + prefixes.map((p) => `<CommonPrefixes>${element("Prefix", encode(p))}</CommonPrefixes>`).join("") +
    `</ListBucketResult>`
  return { xml }
}
