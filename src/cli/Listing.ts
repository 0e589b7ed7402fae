/**
 * What a direct backfill lists: the buckets of an account in one Region (`ListBuckets`,
 * filtered to the Region) and the current objects of a bucket (`ListObjectsV2`, page by page,
 * in S3's key order), under the same credentials the scanner reads with — the execution
 * role's in our own account, the assumed reader role in any other.
 */
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { Credentials, type CredentialsError } from "../Credentials.js"
import type { AccountId, Region } from "../Domain.js"
import { classify } from "../internal/aws.js"
import { s3ClientConfigFor } from "../internal/s3ClientConfig.js"
import * as Retry from "../Retry.js"

/** Raised when S3 will not list an account's buckets or a bucket's keys (after retrying what is transient). */
export class ListingError extends Schema.TaggedError<ListingError>()("ListingError", {
  account: Schema.String,
  region: Schema.String,
  bucket: Schema.optional(Schema.String),
  reason: Schema.Literal("access-denied", "unavailable", "failed"),
  detail: Schema.String
}) {
  override get message() {
    const what = this.bucket === undefined ? `the buckets of ${this.account} in ${this.region}` : `s3://${this.bucket}/ in ${this.account}/${this.region}`
    return `cannot list ${what}: ${this.detail}`
  }
  get transient() {
    return this.reason === "unavailable"
  }
}

/** One listed object: its current version. */
export interface ListedObject {
  readonly key: string
  readonly size: number
  readonly etag: Option.Option<string>
  readonly lastModified: Option.Option<string>
  readonly storageClass: string
}

export interface ObjectPage {
  readonly objects: ReadonlyArray<ListedObject>
  /** Where the next page starts; `None`: this was the last. */
  readonly next: Option.Option<string>
}

/** A key as `encoding-type=url` spells it: form-style percent-encoding (a space is `+`). */
export const decodeKey = (encoded: string) => decodeURIComponent(encoded.replace(/\+/g, " "))

export class Listing extends Context.Tag("highvolt/Listing")<Listing, {
  /** The account's bucket names in `region`. */
  readonly buckets: (account: AccountId, region: Region) => Effect.Effect<ReadonlyArray<string>, ListingError | CredentialsError>
  /** One page of the bucket's keys under `prefix`: after `startAfter` (first page) or from `token` (the next ones). */
  readonly page: (
    location: { readonly account: AccountId; readonly region: Region; readonly bucket: string },
    options: { readonly prefix: string; readonly startAfter?: string | undefined; readonly token?: string | undefined }
  ) => Effect.Effect<ObjectPage, ListingError | CredentialsError>
}>() {
  /** With real S3 clients, one per (account, Region), destroyed with the layer. */
  static readonly layer = Layer.scoped(
    Listing,
    Effect.gen(function*() {
      const credentials = yield* Credentials
      const configFor = yield* s3ClientConfigFor
      const clients = new Map<string, S3Client>()
      yield* Effect.addFinalizer(() => Effect.sync(() => clients.forEach((c) => c.destroy())))

      const clientFor = (account: AccountId, region: Region) => {
        const id = `${account}/${region}`
        const existing = clients.get(id)
        if (existing !== undefined) return existing
        const client = new S3Client(configFor(account, region))
        clients.set(id, client)
        return client
      }

      const call = <A>(account: AccountId, region: Region, bucket: string | undefined, send: (client: S3Client, signal: AbortSignal) => Promise<A>) =>
        credentials.forAccount(account).pipe(
          Effect.zipRight(
            Effect.tryPromise({
              try: (signal) => send(clientFor(account, region), signal),
              catch: (error) => {
                const f = classify(error)
                const reason = f.code === "AccessDenied" || f.status === 403 ? "access-denied" : f.transient ? "unavailable" : "failed"
                return new ListingError({ account, region, ...(bucket === undefined ? {} : { bucket }), reason, detail: `${f.code}: ${f.message}` })
              }
            }).pipe(Effect.retry(Retry.transientRetry<ListingError>()))
          )
        )

      return {
        buckets: (account, region) =>
          call(account, region, undefined, (client, signal) => client.send(new ListBucketsCommand({ BucketRegion: region }), { abortSignal: signal })).pipe(
            // Older endpoints ignore BucketRegion: keep only what says it is in the Region, or says nothing.
            Effect.map((answer) =>
              (answer.Buckets ?? []).flatMap((b) => b.Name !== undefined && (b.BucketRegion === undefined || b.BucketRegion === region) ? [b.Name] : [])
            ),
            Effect.withSpan("Listing.buckets", { attributes: { account, region } })
          ),
        page: (location, options) =>
          call(location.account, location.region, location.bucket, (client, signal) =>
            client.send(
              new ListObjectsV2Command({
                Bucket: location.bucket,
                // Keys come back percent-encoded: XML cannot carry every character a key may hold.
                EncodingType: "url",
                ...(options.prefix === "" ? {} : { Prefix: options.prefix }),
                ...(options.token === undefined ? options.startAfter === undefined ? {} : { StartAfter: options.startAfter } : { ContinuationToken: options.token })
              }),
              { abortSignal: signal }
            )).pipe(
              Effect.map((answer): ObjectPage => ({
                objects: (answer.Contents ?? []).flatMap((o) =>
                  o.Key === undefined ? [] : [{
                    key: decodeKey(o.Key),
                    size: o.Size ?? 0,
                    etag: Option.fromNullable(o.ETag),
                    lastModified: Option.fromNullable(o.LastModified).pipe(Option.map((d) => d.toISOString())),
                    storageClass: o.StorageClass ?? "STANDARD"
                  }]
                ),
                next: answer.IsTruncated === true ? Option.fromNullable(answer.NextContinuationToken) : Option.none()
              })),
              Effect.withSpan("Listing.page", { attributes: { account: location.account, bucket: location.bucket } })
            )
      }
    })
  )
}
