/** The gate's ListBuckets and ListObjectsV2, through the real SDK, held to S3's behaviour. */
import { ListBucketsCommand, ListObjectsV2Command, type ListObjectsV2CommandInput, PutObjectCommand } from "@aws-sdk/client-s3"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as LocalStack from "../../emulators/LocalStack.js"
import { s3Client } from "./clients.js"

const trickyKeys = [
  "plain.txt",
  "dir/a b.txt",
  "dir/a+b.txt",
  "dir/a%2Bb.txt",
  "dir/sub/deep.csv",
  "naïve/résumé.pdf",
  "日本語/ファイル.txt",
  "emoji/😀.bin",
  "\uFFFD-replacement",
  "amp&lt;<quote\"'.txt",
  "trailing/",
  "ctrl\u0001char",
  "z"
]

/** Every page, following continuation tokens: the keys in order and the number of pages. */
const listAll = (s3: ReturnType<typeof s3Client>, input: ListObjectsV2CommandInput) =>
  Effect.promise(async () => {
    const keys: Array<string> = []
    let token: string | undefined
    let pages = 0
    do {
      const page = await s3.send(new ListObjectsV2Command({ ...input, ContinuationToken: token }))
      pages += 1
      keys.push(...(page.Contents ?? []).map((c) => c.Key!))
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
    return { keys, pages }
  })

const utf8Order = (keys: ReadonlyArray<string>) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))

describe("local stack: S3 listings", () => {
  it.scopedLive("ListObjectsV2 pages every key once, in UTF-8 order, with prefix, start-after and encoding-type", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start()
      const region = stack.regions[0]!
      const bucket = stack.bucketName(stack.accounts.own, region)
      const s3 = s3Client(stack, region)
      const many = Array.from({ length: 1203 }, (_, i) => `bulk/${String(i).padStart(5, "0")}-${i % 7 === 0 ? "ü" : "u"}`)
      yield* Effect.forEach([...trickyKeys, ...many], (key) => stack.putObject({ bucket, key, body: `body of ${key}` }), { concurrency: 16, discard: true })
      // An object written through the gate by an SDK client is listed too.
      yield* Effect.promise(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: "via sdk+.txt", Body: "sdk" })))
      const all = [...trickyKeys, ...many, "via sdk+.txt"]

      // What the backfill asks for: keys percent-encoded (XML cannot carry every character a key may hold).
      const encodedAll = yield* listAll(s3, { Bucket: bucket, EncodingType: "url" })
      expect(encodedAll.keys.map((k) => decodeURIComponent(k.replace(/\+/g, " ")))).toEqual(utf8Order(all))
      const everything = yield* listAll(s3, { Bucket: bucket })
      expect(everything.keys).toEqual(utf8Order(all))
      expect(everything.pages).toBe(2)
      const small = yield* listAll(s3, { Bucket: bucket, MaxKeys: 5 })
      expect(small.keys).toEqual(utf8Order(all))
      expect(small.pages).toBe(Math.ceil(all.length / 5))

      expect((yield* listAll(s3, { Bucket: bucket, Prefix: "dir/" })).keys).toEqual(["dir/a b.txt", "dir/a%2Bb.txt", "dir/a+b.txt", "dir/sub/deep.csv"])
      expect((yield* listAll(s3, { Bucket: bucket, Prefix: "naïve/" })).keys).toEqual(["naïve/résumé.pdf"])
      expect((yield* listAll(s3, { Bucket: bucket, StartAfter: "z" })).keys).toEqual(utf8Order(all).filter((k) => Buffer.compare(Buffer.from(k), Buffer.from("z")) > 0))
      const encoded = yield* Effect.promise(() => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "dir/a", EncodingType: "url" })))
      expect(encoded.Contents?.map((c) => c.Key)).toEqual(["dir/a+b.txt", "dir/a%252Bb.txt", "dir/a%2Bb.txt"])
      const first = (yield* listAll(s3, { Bucket: bucket, Prefix: "plain" }))
      expect(first.keys).toEqual(["plain.txt"])
      const sizes = yield* Effect.promise(() => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "plain" })))
      expect(sizes.Contents?.[0]).toMatchObject({ Size: Buffer.byteLength("body of plain.txt"), StorageClass: "STANDARD" })
      expect(sizes.Contents?.[0]?.ETag).toMatch(/^"[0-9a-f]{32}"$/)
      const folders = yield* Effect.promise(() => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "dir/", Delimiter: "/" })))
      expect([folders.Contents?.map((c) => c.Key), folders.CommonPrefixes?.map((p) => p.Prefix)]).toEqual([
        ["dir/a b.txt", "dir/a%2Bb.txt", "dir/a+b.txt"],
        ["dir/sub/"]
      ])

      // Deleted keys are not listed; a bad token is refused as S3 refuses it.
      yield* stack.deleteObject(bucket, "z")
      expect((yield* listAll(s3, { Bucket: bucket, Prefix: "z" })).keys).toEqual([])
      const bad = yield* Effect.promise(() => s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: "bm9wZQ==" })).then(() => "ok", (e: any) => `${e.name} ${e.$metadata?.httpStatusCode}`))
      expect(bad).toBe("InvalidArgument 400")
    }))

  it.scopedLive("versioned buckets list each key's current version once; delete markers hide a key", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start()
      const region = stack.regions[0]!
      const bucket = "versioned-listing"
      yield* stack.createBucket({ name: bucket, account: stack.accounts.own, region, versioned: true })
      yield* stack.putObject({ bucket, key: "k", body: "one" })
      yield* stack.putObject({ bucket, key: "k", body: "second" })
      yield* stack.putObject({ bucket, key: "gone", body: "x" })
      yield* stack.deleteObject(bucket, "gone")
      const page = yield* Effect.promise(() => s3Client(stack, region).send(new ListObjectsV2Command({ Bucket: bucket })))
      expect(page.Contents?.map((c) => [c.Key, c.Size])).toEqual([["k", 6]])
    }))

  it.scopedLive("listings are refused as S3 refuses them: another account, another Region, no s3:ListBucket", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start()
      const [r1, r2] = [stack.regions[0]!, stack.regions[1]!]
      const own = stack.accounts.own
      const s3 = s3Client(stack, r1)
      const code = (input: ListObjectsV2CommandInput, client = s3) =>
        Effect.promise(() => client.send(new ListObjectsV2Command(input)).then(() => "ok", (e: any) => `${e.name} ${e.$metadata?.httpStatusCode}`))
      expect(yield* code({ Bucket: stack.bucketName(stack.accounts.members[0]!, r1) })).toBe("AccessDenied 403")
      expect(yield* code({ Bucket: stack.bucketName(own, r2) })).toBe("AuthorizationHeaderMalformed 400")
      expect(yield* code({ Bucket: "no-such-bucket-here" })).toBe("NoSuchBucket 404")
      stack.s3.setListBucket(own, false)
      expect(yield* code({ Bucket: stack.bucketName(own, r1) })).toBe("AccessDenied 403")
      stack.s3.setListBucket(own, true)
      expect(yield* code({ Bucket: stack.bucketName(own, r1) })).toBe("ok")

      // ListBuckets: the caller's own buckets, each with its Region, filtered by BucketRegion.
      const all = yield* Effect.promise(() => s3.send(new ListBucketsCommand({})))
      // With the backfill report bucket in the first Region, as terraform's enable_backfill creates it.
      expect(all.Buckets?.map((b) => [b.Name, b.BucketRegion])).toEqual(
        [...stack.regions.map((r) => [stack.bucketName(own, r), r]), [stack.backfill.reportBucket, stack.regions[0]!]].sort()
      )
      const inR2 = yield* Effect.promise(() => s3.send(new ListBucketsCommand({ BucketRegion: r2 })))
      expect(inR2.Buckets?.map((b) => b.Name)).toEqual([stack.bucketName(own, r2)])
    }))
})
