/**
 * Reading S3 objects in any account and region: one S3 client per (account, region), with the
 * account's credentials, created on first use. The clients share one connection pool, so a client
 * is only configuration: at most `MaxClients` are kept, the least recently used dropped first.
 * The body is handed over as a Stream; what is not read is never downloaded (the connection is
 * dropped).
 */
import { GetObjectCommand, type GetObjectCommandOutput, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3"
import { Context, Effect, Layer, Option, Schema, type Scope, type Stream } from "effect"
import * as http from "node:http"
import * as https from "node:https"
import type { Readable } from "node:stream"
import { Credentials, type CredentialsError } from "./Credentials.js"
import type { AccountId, BucketName, ObjectKey, Region } from "./Domain.js"
import { classify } from "./internal/aws.js"
import { flowingStream } from "./internal/flowingStream.js"
import { s3ClientConfigFor } from "./internal/s3ClientConfig.js"
import * as Retry from "./Retry.js"

export interface ObjectLocation {
  readonly account: AccountId
  readonly region: Region
  readonly bucket: BucketName
  readonly key: ObjectKey
  readonly versionId: Option.Option<string>
}

/** The reasons a read fails; `not-found`, `archived` and `sse-c` end the event as skipped, the rest as failed. */
export const ObjectErrorReason = Schema.Literal(
  "not-found",
  "archived",
  "sse-c",
  "access-denied",
  "credentials-expired",
  "unavailable",
  "failed"
)
export type ObjectErrorReason = typeof ObjectErrorReason.Type

/** Raised when an object cannot be read, with where it is and what S3 said. */
export class ObjectError extends Schema.TaggedError<ObjectError>()("ObjectError", {
  account: Schema.String,
  region: Schema.String,
  bucket: Schema.String,
  key: Schema.String,
  versionId: Schema.optional(Schema.String),
  reason: ObjectErrorReason,
  detail: Schema.String
}) {
  override get message() {
    const version = this.versionId === undefined ? "" : ` (version ${this.versionId})`
    return `s3://${this.bucket}/${this.key}${version} in ${this.account}/${this.region}: ${this.detail}`
  }
  get transient() {
    return this.reason === "unavailable"
  }
}

export interface OpenedObject {
  /** The key under which the object was found (the primary or the alternate reading). */
  readonly key: string
  readonly versionId: Option.Option<string>
  readonly contentLength: number
  readonly etag: Option.Option<string>
  /** The object's bytes; pulling it downloads, dropping it (scope close) closes the connection. */
  readonly body: Stream.Stream<Uint8Array, ObjectError>
}

/** S3's error codes, as outcomes. SSE-C objects answer 400 InvalidRequest and name the encryption. */
const reasonOf = (code: string, status: number | undefined, message: string, transient: boolean): ObjectErrorReason => {
  if (code === "NoSuchKey" || code === "NoSuchVersion" || (code === "NotFound" && status === 404)) return "not-found"
  if (code === "InvalidObjectState") return "archived"
  if (code === "InvalidRequest" && /server side encryption|customer/i.test(message)) return "sse-c"
  if (code === "ExpiredToken" || code === "InvalidToken" || code === "TokenRefreshRequired") return "credentials-expired"
  if (code === "AccessDenied" || status === 403) return "access-denied"
  return transient ? "unavailable" : "failed"
}

/** What an operator should know of a 403 on GetObject. */
const deniedHint = " (S3 also answers so for a key that does not exist when the role lacks s3:ListBucket on the bucket)"

/** Answers that may mean "no such key": without s3:ListBucket, S3 answers a missing key with 403. */
const mayBeMissing = (error: ObjectError) => error.reason === "not-found" || error.reason === "access-denied"

/**
 * Opens the key's primary reading and, when S3 has no such key (or, lacking s3:ListBucket, says
 * AccessDenied for it), its alternate reading once; when that fails the same way, the primary's
 * answer is the outcome.
 */
export const withAlternateKey = <R>(
  location: ObjectLocation,
  openKey: (key: string) => Effect.Effect<OpenedObject, ObjectError, R>
): Effect.Effect<OpenedObject, ObjectError, R> =>
  openKey(location.key.primary).pipe(
    Effect.catchIf(
      (error) => mayBeMissing(error) && Option.isSome(location.key.alternate),
      (primary) =>
        openKey(Option.getOrThrow(location.key.alternate)).pipe(
          Effect.catchIf(mayBeMissing, () => Effect.fail(primary))
        )
    )
  )

/** The part of an S3 client we use; tests pass fakes. */
export interface S3Api {
  readonly send: (command: GetObjectCommand, options: { readonly abortSignal: AbortSignal }) => Promise<GetObjectCommandOutput>
}

/**
 * Clients kept at once. An organization of 200 accounts in 6 regions has 1,200 (account, region)
 * pairs; a container that met them all would otherwise keep as many clients (~23 KB of heap
 * each) for its whole life. Dropping one costs ~2 ms of CPU when its pair comes back: building a
 * client and setting up its first request.
 */
export const MaxClients = 256

/**
 * The service, creating its per-(account, region) clients with `newClient`. The clients must not
 * own sockets (the layer gives them one shared pool): a dropped client is simply forgotten.
 */
export const make = (newClient: (config: S3ClientConfig) => S3Api, maxClients = MaxClients) =>
  Effect.gen(function*() {
    const credentials = yield* Credentials
    const configFor = yield* s3ClientConfigFor
    // In order of use, the least recently used first (a Map iterates in insertion order).
    const clients = new Map<string, S3Api>()

    const forgetClients = (account: AccountId) => {
      for (const id of clients.keys()) {
        if (id.startsWith(`${account}/`)) clients.delete(id)
      }
    }

    const clientFor = (account: AccountId, region: Region) => {
      const id = `${account}/${region}`
      const existing = clients.get(id)
      if (existing !== undefined) {
        clients.delete(id)
        clients.set(id, existing)
        return existing
      }
      const client = newClient(configFor(account, region))
      clients.set(id, client)
      if (clients.size > maxClients) clients.delete(clients.keys().next().value!)
      return client
    }

    const get = (location: ObjectLocation, key: string) => {
      const versionId = Option.getOrUndefined(location.versionId)
      const fail = (reason: ObjectErrorReason, detail: string) =>
        new ObjectError({
          account: location.account,
          region: location.region,
          bucket: location.bucket,
          key,
          ...(versionId === undefined ? {} : { versionId }),
          reason,
          detail
        })
      return Effect.acquireRelease(
        // Interruptible, so that the deadline can abort a GetObject S3 is slow to answer.
        Effect.interruptible(Effect.tryPromise({
          try: (signal) =>
            clientFor(location.account, location.region).send(
              new GetObjectCommand({ Bucket: location.bucket, Key: key, VersionId: versionId }),
              { abortSignal: signal }
            ),
          catch: (error) => {
            const f = classify(error)
            const reason = reasonOf(f.code, f.status, f.message, f.transient)
            return fail(reason, `${f.code}: ${f.message}${reason === "access-denied" ? deniedHint : ""}`)
          }
        })),
        (answer) => Effect.sync(() => (answer.Body as Readable | undefined)?.destroy())
      ).pipe(
        Effect.flatMap((answer): Effect.Effect<OpenedObject, ObjectError> => {
          const body = answer.Body as Readable | undefined
          if (body === undefined || answer.ContentLength === undefined) {
            return Effect.fail(fail("failed", "S3 answered without a body or Content-Length"))
          }
          return Effect.succeed({
            key,
            versionId: Option.fromNullable(answer.VersionId).pipe(Option.orElse(() => location.versionId)),
            contentLength: answer.ContentLength,
            etag: Option.fromNullable(answer.ETag),
            body: flowingStream(body, (error) => {
              const f = classify(error)
              // A connection lost mid-body is worth another read; the digests would be of a truncated file.
              return fail("unavailable", `reading the body failed: ${f.code}: ${f.message}`)
            })
          })
        })
      )
    }

    const openKey = (location: ObjectLocation, key: string) =>
      get(location, key).pipe(Effect.retry(Retry.transientRetry<ObjectError>()))

    const read = (location: ObjectLocation) =>
      credentials.forAccount(location.account).pipe(
        Effect.zipRight(withAlternateKey(location, (key) => openKey(location, key)))
      )

    return {
      open: (location: ObjectLocation) =>
        read(location).pipe(
          // A session revoked or expired early: forget it — and the clients that memoized it until
          // its stated expiry — and read once more with a fresh one.
          Effect.catchIf(
            (error) => error._tag === "ObjectError" && error.reason === "credentials-expired",
            () =>
              credentials.invalidate(location.account).pipe(
                Effect.zipRight(Effect.sync(() => forgetClients(location.account))),
                Effect.zipRight(read(location))
              )
          )
        )
    }
  })

export class Objects extends Context.Tag("highvolt/Objects")<Objects, {
  /**
   * Opens the object: tries the key's primary reading and, if S3 has no such key, the
   * alternate one. Transient failures are retried; the body stream must be read within the scope.
   */
  readonly open: (location: ObjectLocation) => Effect.Effect<OpenedObject, ObjectError | CredentialsError, Scope.Scope>
}>() {
  /**
   * With real S3 clients over one pair of keep-alive agents (the SDK's defaults: 50 sockets per
   * host), destroyed with the layer. Shared, so that dropping a client needs no teardown: agents
   * of its own would have to be destroyed with it, cutting any read still in flight.
   */
  static readonly layer = Layer.scoped(
    Objects,
    Effect.acquireRelease(
      Effect.sync(() => ({
        httpAgent: new http.Agent({ keepAlive: true, maxSockets: 50 }),
        httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 50 })
      })),
      (agents) =>
        Effect.sync(() => {
          agents.httpAgent.destroy()
          agents.httpsAgent.destroy()
        })
    ).pipe(Effect.flatMap((agents) => make((config) => new S3Client({ ...config, requestHandler: agents }))))
  )
}
