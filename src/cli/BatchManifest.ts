/**
 * What a Batch Operations job of the backfill scans: an S3 Inventory report named with
 * `--manifest inventory:s3://bucket/…/manifest.json`, or a CSV manifest generated here from the
 * listing of one account × Region (`Listing`, as `backfill --direct` lists), `Bucket,Key` with
 * keys URL-encoded as S3 Inventory writes them — the scanner decodes them that way.
 */
import { Chunk, Effect, Either, Option, Stream } from "effect"
import type { BucketLocation } from "./Backfill.js"
import type { S3Location } from "./BatchOperationsJobs.js"
import { Listing } from "./Listing.js"

/** `--manifest inventory:s3://bucket/key`, or the problem with it. */
export const parseManifestOption = (text: string): Either.Either<S3Location, string> => {
  const m = /^inventory:s3:\/\/([^/]+)\/(.+\.json)$/.exec(text)
  return m === null
    ? Either.left(`--manifest ${JSON.stringify(text)}: expected inventory:s3://<bucket>/<path>/manifest.json (an S3 Inventory report's manifest)`)
    : Either.right({ bucket: m[1]!, key: m[2]! })
}

/** A key as a manifest carries it: percent-encoded, a space as `+`, `/` kept (S3 Inventory's spelling). */
export const manifestKeyOf = (key: string) => encodeURIComponent(key).replaceAll("%20", "+").replaceAll("%2F", "/")

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll("\"", "\"\"")}"` : s)

export interface GeneratedManifest {
  readonly csv: string
  readonly objects: number
  readonly bytes: number
  readonly listRequests: number
}

/** Lists every current object of `buckets` under `prefix` into one CSV manifest (kept in memory: about 100 bytes an object). */
export const generateManifest = (buckets: ReadonlyArray<BucketLocation>, prefix: string) =>
  Effect.gen(function*() {
    const listing = yield* Listing
    const lines: Array<string> = []
    let [bytes, listRequests] = [0, 0]
    yield* Stream.fromIterable(buckets).pipe(
      Stream.flatMap((where) =>
        Stream.paginateChunkEffect(Option.none<string>(), (token) =>
          listing.page(where, { prefix, token: Option.getOrUndefined(token) }).pipe(
            Effect.map((page) => {
              listRequests += 1
              return [Chunk.fromIterable(page.objects.map((object) => ({ where, object }))), Option.map(page.next, Option.some)] as const
            })
          ))
      ),
      Stream.runForEach(({ object, where }) =>
        Effect.sync(() => {
          lines.push(`${csvField(where.bucket)},${csvField(manifestKeyOf(object.key))}\n`)
          bytes += object.size
        })
      )
    )
    return { csv: lines.join(""), objects: lines.length, bytes, listRequests } satisfies GeneratedManifest
  }).pipe(Effect.withSpan("BatchManifest.generate"))
