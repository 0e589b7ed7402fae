import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3"
import { AssumeRoleCommand } from "@aws-sdk/client-sts"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { Readable } from "node:stream"
import * as LocalStack from "../../emulators/LocalStack.js"
import { s3Client, stsClient } from "./clients.js"

const attempt = <A>(f: () => Promise<A>) =>
  Effect.promise(() => f().then((value) => ({ ok: true as const, value, error: undefined }), (error: any) => ({ ok: false as const, value: undefined, error })))

const errorOf = (result: { ok: boolean; error?: any }) =>
  result.ok ? "no error" : `${result.error.name} ${result.error.$metadata?.httpStatusCode}`

const setup = Effect.gen(function*() {
  const stack = yield* LocalStack.start()
  const region = stack.regions[0]!
  const bucket = stack.bucketName(stack.accounts.own, region)
  return { stack, region, bucket, s3: s3Client(stack, region) }
})

const read = (s3: ReturnType<typeof s3Client>, input: { Bucket: string; Key: string; VersionId?: string }) =>
  attempt(async () => {
    const out = await s3.send(new GetObjectCommand(input))
    return { text: await out.Body!.transformToString(), versionId: out.VersionId }
  })

describe("local stack: S3 gate states and faults", () => {
  it.scopedLive("versioned buckets: every version readable by id, delete markers as S3 answers them", () =>
    Effect.gen(function*() {
      const { stack, region, s3 } = yield* setup
      const bucket = "versioned-own"
      yield* stack.createBucket({ name: bucket, account: stack.accounts.own, region, versioned: true })
      const key = "dir/naïve file+1.txt"
      const v1 = yield* stack.putObject({ bucket, key, body: "first" })
      const v2 = yield* stack.putObject({ bucket, key, body: "second", versionId: "v2-chosen-by-test" })
      expect(v1.versionId).toMatch(/^[\w-]{32}$/)
      expect(v2.versionId).toBe("v2-chosen-by-test")
      expect((yield* read(s3, { Bucket: bucket, Key: key })).value).toEqual({ text: "second", versionId: "v2-chosen-by-test" })
      expect((yield* read(s3, { Bucket: bucket, Key: key, VersionId: v1.versionId! })).value).toEqual({ text: "first", versionId: v1.versionId })
      const head = yield* Effect.promise(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: v1.versionId! })))
      expect([head.ContentLength, head.VersionId]).toEqual([5, v1.versionId])
      expect(errorOf(yield* read(s3, { Bucket: bucket, Key: key, VersionId: "nope" }))).toBe("NoSuchVersion 404")

      const { deleteMarker } = yield* stack.deleteObject(bucket, key)
      const gone = yield* read(s3, { Bucket: bucket, Key: key })
      expect(errorOf(gone)).toBe("NoSuchKey 404")
      expect(gone.error.$response?.headers["x-amz-delete-marker"]).toBe("true")
      expect((yield* read(s3, { Bucket: bucket, Key: key, VersionId: v2.versionId! })).value?.text).toBe("second")
      expect(errorOf(yield* read(s3, { Bucket: bucket, Key: key, VersionId: deleteMarker! }))).toBe("MethodNotAllowed 405")

      // Unversioned buckets know only the "null" version.
      const plain = stack.bucketName(stack.accounts.own, region)
      yield* stack.putObject({ bucket: plain, key: "a", body: "x" })
      expect((yield* read(s3, { Bucket: plain, Key: "a", VersionId: "null" })).value?.text).toBe("x")
      expect(errorOf(yield* read(s3, { Bucket: plain, Key: "a", VersionId: v1.versionId! }))).toBe("InvalidArgument 400")
    }))

  it.scopedLive("archived objects: GetObject 403 InvalidObjectState, HeadObject shows the storage class", () =>
    Effect.gen(function*() {
      const { stack, bucket, s3 } = yield* setup
      yield* stack.putObject({ bucket, key: "cold.pdf", body: "%PDF", archived: true })
      yield* stack.putObject({ bucket, key: "deep.pdf", body: "%PDF", archived: "DEEP_ARCHIVE" })
      const cold = yield* read(s3, { Bucket: bucket, Key: "cold.pdf" })
      expect(errorOf(cold)).toBe("InvalidObjectState 403")
      expect(cold.error.StorageClass).toBe("GLACIER")
      const head = yield* Effect.promise(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "deep.pdf" })))
      expect(head.StorageClass).toBe("DEEP_ARCHIVE")
      // Restored: readable again.
      stack.s3.setObjectState(bucket, "cold.pdf", { archived: undefined })
      expect((yield* read(s3, { Bucket: bucket, Key: "cold.pdf" })).value?.text).toBe("%PDF")
    }))

  it.scopedLive("SSE-C objects cannot be read without the customer key headers", () =>
    Effect.gen(function*() {
      const { stack, bucket, s3 } = yield* setup
      yield* stack.putObject({ bucket, key: "secret.bin", body: "enc", sseC: true })
      const denied = yield* read(s3, { Bucket: bucket, Key: "secret.bin" })
      expect(errorOf(denied)).toBe("InvalidRequest 400")
      expect(denied.error.message).toBe(
        "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."
      )
      // HEAD answers have no body: the SDK knows only the status (as with real S3).
      expect(errorOf(yield* attempt(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "secret.bin" }))))).toBe("Unknown 400")
      const key = Buffer.alloc(32, 7)
      const withKey = yield* Effect.promise(() =>
        s3.send(new GetObjectCommand({ Bucket: bucket, Key: "secret.bin", SSECustomerAlgorithm: "AES256", SSECustomerKey: key.toString("base64") }))
      )
      expect(yield* Effect.promise(() => withKey.Body!.transformToString())).toBe("enc")
    }))

  it.scopedLive("SlowDown, InternalError, resets and delays for the next N matching requests", () =>
    Effect.gen(function*() {
      const { stack, bucket, s3 } = yield* setup
      yield* stack.putObject({ bucket, key: "k", body: "value" })
      stack.s3.faults.inject({ kind: "slow-down" }, { times: 2, key: "k" })
      expect(errorOf(yield* read(s3, { Bucket: bucket, Key: "k" }))).toBe("SlowDown 503")
      expect(errorOf(yield* read(s3, { Bucket: bucket, Key: "k" }))).toBe("SlowDown 503")
      expect((yield* read(s3, { Bucket: bucket, Key: "k" })).value?.text).toBe("value")
      stack.s3.faults.inject({ kind: "internal-error" }, { action: "HeadObject" })
      expect((yield* read(s3, { Bucket: bucket, Key: "k" })).ok).toBe(true)
      expect(errorOf(yield* attempt(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k" }))))).toBe("Unknown 500")
      stack.s3.faults.inject({ kind: "reset" })
      expect((yield* read(s3, { Bucket: bucket, Key: "k" })).error?.code).toBe("ECONNRESET")
      stack.s3.faults.inject({ kind: "delay", ms: 300 })
      const started = Date.now()
      expect((yield* read(s3, { Bucket: bucket, Key: "k" })).value?.text).toBe("value")
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)
      expect(stack.s3.faults.pending()).toBe(0)
    }))

  it.scopedLive("a body shorter than its Content-Length fails the read", () =>
    Effect.gen(function*() {
      const { stack, bucket, s3 } = yield* setup
      const body = Buffer.alloc(1024 * 1024, 1)
      yield* stack.putObject({ bucket, key: "short", body })
      stack.s3.faults.inject({ kind: "truncate-body" })
      const got = yield* attempt(async () => {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "short" }))
        expect(out.ContentLength).toBe(body.length)
        return out.Body!.transformToByteArray()
      })
      expect(got.ok).toBe(false)
      expect((yield* read(s3, { Bucket: bucket, Key: "short" })).value?.text.length).toBe(body.length)
    }))

  it.scopedLive("a large generated object is seeded from a stream and read back intact", () =>
    Effect.gen(function*() {
      const { stack, bucket, s3 } = yield* setup
      const size = 24 * 1024 * 1024
      const block = Buffer.alloc(1024 * 1024)
      for (let i = 0; i < block.length; i++) block[i] = i % 251
      const blocks = () => Readable.from((function*() {
        for (let i = 0; i < size / block.length; i++) yield block
      })())
      const expected = createHash("sha256")
      for (let i = 0; i < size / block.length; i++) expected.update(block)
      yield* stack.putObject({ bucket, key: "big.bin", body: { size, stream: blocks } })
      const out = yield* Effect.promise(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin" })))
      const actual = yield* Effect.promise(async () => {
        const hash = createHash("sha256")
        for await (const chunk of out.Body as Readable) hash.update(chunk as Buffer)
        return hash.digest("hex")
      })
      expect(actual).toBe(expected.digest("hex"))
    }))

  it.scopedLive("expired sessions and bad tokens are refused as S3 refuses them", () =>
    Effect.gen(function*() {
      const { stack, region } = yield* setup
      const member = stack.accounts.members[0]!
      const bucket = stack.bucketName(member, region)
      yield* stack.putObject({ bucket, key: "k", body: "v" })
      const sts = stsClient(stack)
      const assume = () =>
        Effect.promise(async () => {
          const r = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${member}:role/${stack.roleName}`, RoleSessionName: "scan", ExternalId: stack.externalId }))
          const c = r.Credentials!
          return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }
        })
      const first = yield* assume()
      const second = yield* assume()
      const mixed = s3Client(stack, region, { ...first, sessionToken: second.sessionToken })
      expect(errorOf(yield* read(mixed, { Bucket: bucket, Key: "k" }))).toBe("InvalidToken 400")
      const { sessionToken: _, ...tokenless } = first
      expect(errorOf(yield* read(s3Client(stack, region, tokenless), { Bucket: bucket, Key: "k" }))).toBe("InvalidAccessKeyId 403")
      expect((yield* read(s3Client(stack, region, first), { Bucket: bucket, Key: "k" })).value?.text).toBe("v")
      stack.sts.expireSessions()
      expect(errorOf(yield* read(s3Client(stack, region, first), { Bucket: bucket, Key: "k" }))).toBe("ExpiredToken 400")
      const anonymous = s3Client(stack, region, { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "x" })
      expect(errorOf(yield* read(anonymous, { Bucket: bucket, Key: "k" }))).toBe("InvalidAccessKeyId 403")
      const wrongSecret = s3Client(stack, region, { accessKeyId: stack.ownCredentials.accessKeyId, secretAccessKey: "wrong" })
      expect(errorOf(yield* read(wrongSecret, { Bucket: stack.bucketName(stack.accounts.own, region), Key: "k" })))
        .toBe("SignatureDoesNotMatch 403")
    }))
})
