/**
 * The S3 emulator: s3rver (real S3 HTTP, bytes on a temporary directory) behind the gate that
 * knows accounts and regions (see `internal/s3Gate.ts`). Buckets and objects are seeded here,
 * straight into s3rver, with the states the gate plays: versions, delete markers, archived
 * storage classes, SSE-C.
 *
 * Versioning is emulated by the gate (s3rver answers NotImplemented to `?versioning`): a bucket
 * is versioned when created so, and objects put by `putObject` get a version id. Objects put
 * through the gate by an SDK client are stored but get no version of their own.
 */
import { mkdtemp, rm } from "node:fs/promises"
import * as http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import type { Iam } from "./IamEmulator.js"
import type { AwsCallRecord } from "./internal/awsProtocol.js"
import { makeFaults, makeGate, type S3Counters, type S3Faults } from "./internal/s3Gate.js"
import {
  type BucketInfo,
  keyPath,
  newVersionId,
  type ObjectBody,
  rawRequest,
  Registry,
  shadowBucketOf,
  type StorageClass,
  type Version
} from "./internal/s3Store.js"
import { loadS3rver } from "./internal/loadS3rver.js"
import { listen } from "./internal/loopbackServer.js"

export type { BucketInfo, ObjectBody, StorageClass }
export type { S3Counters, S3Fault, S3FaultTarget, S3Faults } from "./internal/s3Gate.js"

export interface CreateBucketInput {
  readonly name: string
  readonly account: string
  readonly region: string
  readonly versioned?: boolean
}

export interface PutObjectInput {
  readonly bucket: string
  readonly key: string
  readonly body: ObjectBody
  readonly contentType?: string
  /** `x-amz-meta-*` user metadata. */
  readonly metadata?: Readonly<Record<string, string>>
  /** Stored in an archive class: GetObject answers 403 InvalidObjectState, HeadObject works. */
  readonly archived?: boolean | StorageClass
  /** Encrypted with a customer key: reads without the SSE-C headers answer 400 InvalidRequest. */
  readonly sseC?: boolean
  /** In a versioned bucket, the id of the new version (generated when absent). */
  readonly versionId?: string
}

export interface PutObjectResult {
  /** The new version's id in a versioned bucket. */
  readonly versionId: string | undefined
  readonly size: number
}

export interface S3Emulator {
  /** The gate's URL: the `AWS_ENDPOINT_URL_S3`. */
  readonly url: string
  readonly buckets: ReadonlyMap<string, BucketInfo>
  readonly counters: Readonly<S3Counters>
  /** Every request through the gate (no bodies). */
  readonly calls: ReadonlyArray<AwsCallRecord>
  readonly faults: S3Faults
  /**
   * Takes `s3:ListBucket` from (or, with `false`, gives it back to) the callers of `account`:
   * then GetObject/HeadObject of a missing key answer 403 AccessDenied, as S3 does.
   */
  readonly setListBucket: (account: string, allowed: boolean) => void
  readonly createBucket: (input: CreateBucketInput) => Effect.Effect<BucketInfo>
  readonly putObject: (input: PutObjectInput) => Effect.Effect<PutObjectResult>
  /**
   * The current bytes of an object, as a service reading it with its own role would get them
   * (S3 Batch Operations reading a manifest); `undefined` when there is none.
   */
  readonly readObject: (bucket: string, key: string) => Effect.Effect<{ readonly bytes: Buffer; readonly etag: string } | undefined>
  /** Deletes the object; in a versioned bucket adds a delete marker (older versions stay readable). */
  readonly deleteObject: (bucket: string, key: string) => Effect.Effect<{ readonly deleteMarker: string | undefined }>
  /** Changes the state of an object's current version (or of `versionId`). */
  readonly setObjectState: (
    bucket: string,
    key: string,
    state: { readonly archived?: StorageClass | undefined; readonly sseC?: boolean },
    versionId?: string
  ) => void
}

const ok = (what: string) => (response: { status: number; body: string }) =>
  response.status >= 200 && response.status < 300
    ? Effect.void
    : Effect.dieMessage(`local S3: ${what} failed with ${response.status}: ${response.body.slice(0, 300)}`)

export const start = (options: { readonly iam: Iam }): Effect.Effect<S3Emulator, never, Scope.Scope> =>
  Effect.gen(function*() {
    const directory = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "highvolt-local-s3-"))),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
    const S3rver = yield* Effect.promise(loadS3rver)
    const s3rver = yield* Effect.acquireRelease(
      Effect.promise(async () => {
        const instance = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, vhostBuckets: false })
        // `silent` only mutes the transport; a request that ends after close() would still make
        // winston complain on stderr that it has no transports left.
        instance.logger.silent = true
        // Its request logger (koa-logger) formats two colored lines per request for that muted
        // transport: ~1 ms of CPU per GetObject, for nothing. It only logs; nothing else changes.
        const first = instance.middleware[0]
        if (first?.name === "logger") instance.middleware.shift()
        const address = await instance.run()
        return { instance, port: address.port }
      }),
      ({ instance }) => Effect.promise(() => instance.close())
    )
    // s3rver (Node's http server) closes a connection idle for 5 s; a pooled socket reused at that
    // moment is reset under the request (ECONNRESET). Idle sockets are dropped well before.
    const agent = yield* Effect.acquireRelease(
      Effect.sync(() => new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 2_000 })),
      (a) => Effect.sync(() => a.destroy())
    )
    const registry = new Registry()
    const calls: Array<AwsCallRecord> = []
    const counters: S3Counters = { requests: 0, denied: 0, byAction: {} }
    const { faults, take } = makeFaults()
    const withoutListBucket = new Set<string>()
    const gate = yield* listen(makeGate({
      withoutListBucket,
      iam: options.iam,
      registry,
      upstreamPort: () => s3rver.port,
      agent,
      take,
      calls,
      counters
    }))
    const raw = (method: string, path: string, headers?: http.OutgoingHttpHeaders, body?: ObjectBody) =>
      Effect.promise(() => rawRequest(agent, s3rver.port, method, path, headers, body))

    const createBucket = (input: CreateBucketInput) =>
      Effect.gen(function*() {
        yield* raw("PUT", `/${input.name}`).pipe(Effect.flatMap(ok(`CreateBucket ${input.name}`)))
        if (input.versioned === true) {
          yield* raw("PUT", `/${shadowBucketOf(input.name)}`).pipe(Effect.flatMap(ok(`CreateBucket (versions of) ${input.name}`)))
        }
        const info: BucketInfo = {
          name: input.name,
          account: input.account,
          region: input.region,
          versioned: input.versioned === true,
          createdAt: new Date()
        }
        registry.buckets.set(input.name, info)
        return info
      })

    /** Lists the key with what s3rver now holds at it (size, ETag), as ListObjectsV2 will show it. */
    const listCurrent = (bucket: string, key: string) =>
      raw("HEAD", keyPath(bucket, key)).pipe(
        Effect.flatMap((head) =>
          head.status === 200
            ? Effect.sync(() =>
              registry.setListed(bucket, key, {
                size: Number(head.headers["content-length"] ?? 0),
                etag: String(head.headers["etag"] ?? ""),
                lastModified: new Date()
              })
            )
            : Effect.dieMessage(`local S3: HeadObject ${key} after PutObject answered ${head.status}`)
        )
      )

    const putObject = (input: PutObjectInput) =>
      Effect.gen(function*() {
        const info = registry.buckets.get(input.bucket)
        if (info === undefined) return yield* Effect.dieMessage(`local S3: putObject into unknown bucket ${input.bucket}`)
        const headers: http.OutgoingHttpHeaders = { "Content-Type": input.contentType ?? "application/octet-stream" }
        for (const [name, value] of Object.entries(input.metadata ?? {})) headers[`x-amz-meta-${name}`] = value
        const size = typeof input.body === "string"
          ? Buffer.byteLength(input.body)
          : "size" in input.body
          ? input.body.size
          : input.body.byteLength
        const versionId = info.versioned ? input.versionId ?? newVersionId() : undefined
        if (versionId === undefined) {
          yield* raw("PUT", keyPath(input.bucket, input.key), headers, input.body).pipe(Effect.flatMap(ok(`PutObject ${input.key}`)))
        } else {
          // Every version lives in the shadow bucket; the current one is also copied to its real key.
          const shadowKey = `${versionId}/${input.key}`
          yield* raw("PUT", keyPath(shadowBucketOf(input.bucket), shadowKey), headers, input.body).pipe(
            Effect.flatMap(ok(`PutObject ${input.key}`))
          )
          // s3rver decodes x-amz-copy-source with decodeURI, so it must be encoded with encodeURI.
          yield* raw("PUT", keyPath(input.bucket, input.key), {
            "x-amz-copy-source": encodeURI(`/${shadowBucketOf(input.bucket)}/${shadowKey}`)
          }).pipe(Effect.flatMap(ok(`CopyObject ${input.key}`)))
        }
        const archived = input.archived === true ? "GLACIER" : input.archived === false ? undefined : input.archived
        const version: Version = { versionId: versionId ?? "null", deleteMarker: false, archived, sseC: input.sseC === true }
        registry.add(input.bucket, input.key, version)
        yield* listCurrent(input.bucket, input.key)
        return { versionId, size }
      })

    const deleteObject = (bucket: string, key: string) =>
      Effect.gen(function*() {
        yield* raw("DELETE", keyPath(bucket, key)).pipe(Effect.flatMap(ok(`DeleteObject ${key}`)))
        registry.setListed(bucket, key, undefined)
        if (registry.buckets.get(bucket)?.versioned !== true) {
          registry.forget(bucket, key)
          return { deleteMarker: undefined }
        }
        const marker = newVersionId()
        registry.add(bucket, key, { versionId: marker, deleteMarker: true, archived: undefined, sseC: false })
        return { deleteMarker: marker }
      })

    const readObject = (bucket: string, key: string) =>
      raw("GET", keyPath(bucket, key)).pipe(
        Effect.map((answer) => answer.status === 200 ? { bytes: answer.bytes, etag: String(answer.headers["etag"] ?? "") } : undefined)
      )

    return {
      url: gate.url,
      buckets: registry.buckets,
      counters,
      calls,
      faults,
      setListBucket: (account, allowed) => {
        if (allowed) withoutListBucket.delete(account)
        else withoutListBucket.add(account)
      },
      createBucket,
      putObject,
      readObject,
      deleteObject,
      setObjectState: (bucket, key, state, versionId) => {
        const version = versionId === undefined ? registry.latest(bucket, key) : registry.find(bucket, key, versionId)
        if (version === undefined) throw new Error(`local S3: no object ${bucket}/${key}`)
        if ("archived" in state) version.archived = state.archived
        if (state.sseC !== undefined) version.sseC = state.sseC
      }
    } satisfies S3Emulator
  })
