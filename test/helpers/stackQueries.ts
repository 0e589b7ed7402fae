/** What the integration and fault suites ask of the local stack after a scan, and the content they seed it with. */
import { createHash } from "node:crypto"
import type * as LocalStack from "../../emulators/LocalStack.js"

export const MiB = 1024 * 1024

export const sha256 = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex")
export const sha1 = (bytes: string | Uint8Array) => createHash("sha1").update(bytes).digest("hex")
export const md5 = (bytes: string | Uint8Array) => createHash("md5").update(bytes).digest("hex")

let serial = 0
/** A small, unique PDF-looking document (detected as `application/pdf`), padded to `size` bytes when given. */
export const pdf = (label: string, size?: number): Buffer => {
  const head = Buffer.from(
    `%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj << /Title (${label}) /Serial ${++serial} /Nonce ${Math.random()} >> endobj\n`,
    "latin1"
  )
  const tail = Buffer.from("\n%%EOF\n", "latin1")
  if (size === undefined) return Buffer.concat([head, tail])
  return Buffer.concat([head, Buffer.alloc(size - head.length - tail.length, 0x20), tail])
}

/** Submissions highvolt recorded for this SHA256. */
export const submissionsOf = (stack: LocalStack.LocalStackHandle, hash: string) =>
  stack.highvolt.submissions.filter((s) => s.fields["sha256"] === hash)

/** GetObject calls the S3 gate saw for a bucket and (decoded) key. */
export const getObjectCalls = (stack: LocalStack.LocalStackHandle, bucket: string, key: string) =>
  stack.s3.calls.filter((c) => c.action === "GetObject" && c.params["bucket"] === bucket && c.params["key"] === key)

/** Requests highvolt saw on an endpoint path suffix (`/auth/token`, `/query`, `/submit`). */
export const highvoltRequests = (stack: LocalStack.LocalStackHandle, suffix: string) =>
  stack.highvolt.requests.filter((r) => r.path.endsWith(suffix))

/** Which of the stack's secrets (PATs, keys, session tokens, JWTs, external id) occur in `texts`, named by their first characters. */
export const leakedSecrets = (stack: LocalStack.LocalStackHandle, texts: ReadonlyArray<string>): ReadonlyArray<string> => {
  const secrets = stack.secretValues().filter((s) => s.length >= 8)
  const found = new Set<string>()
  for (const text of texts) {
    for (const secret of secrets) if (text.includes(secret)) found.add(`${secret.slice(0, 12)}… (${secret.length} chars)`)
  }
  return [...found]
}
