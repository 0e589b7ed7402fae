/**
 * Fake S3 clients for `Objects.make`: objects live in memory per (account, region, bucket),
 * GetObject answers like S3 (Body stream, ContentLength, ETag, VersionId) or throws S3-shaped
 * errors. Records which clients were created and which keys were asked for.
 */
import type { GetObjectCommand, S3ClientConfig } from "@aws-sdk/client-s3"
import { Readable } from "node:stream"
import type { S3Api } from "../../src/Objects.js"

export interface FakeObject {
  readonly bytes: Uint8Array
  readonly versionId?: string
  /** Answer with this S3 error code instead of the body. */
  readonly error?: { readonly code: string; readonly status: number; readonly message?: string }
  /** Send only this many bytes of the body (a connection lost mid-body). */
  readonly truncateAt?: number
}

export interface FakeS3 {
  readonly newClient: (config: S3ClientConfig) => S3Api
  readonly clients: Array<{ readonly region: string; readonly hasCredentials: boolean; readonly config: S3ClientConfig }>
  readonly gets: Array<{ readonly bucket: string; readonly key: string; readonly versionId: string | undefined }>
  /** Chunks of 64 KiB handed out so far, across all bodies. */
  readonly pulledChunks: () => number
}

const s3Error = (code: string, status: number, message = code) =>
  Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: status } })

export const fakeS3 = (objects: Record<string, FakeObject>, chunkSize = 64 * 1024): FakeS3 => {
  const clients: FakeS3["clients"] = []
  const gets: FakeS3["gets"] = []
  let pulled = 0
  return {
    clients,
    gets,
    pulledChunks: () => pulled,
    newClient: (config) => {
      clients.push({ region: String(config.region), hasCredentials: config.credentials !== undefined, config })
      return {
        send: async (command: GetObjectCommand) => {
          const { Bucket, Key, VersionId } = command.input
          gets.push({ bucket: Bucket!, key: Key!, versionId: VersionId })
          const object = objects[`${Bucket}/${Key}`]
          if (object === undefined) throw s3Error("NoSuchKey", 404, "The specified key does not exist.")
          if (VersionId !== undefined && object.versionId !== VersionId) throw s3Error("NoSuchVersion", 404)
          if (object.error !== undefined) throw s3Error(object.error.code, object.error.status, object.error.message)
          const end = object.truncateAt ?? object.bytes.length
          // Asynchronous, like a socket: a synchronous source would let one read() drain it all.
          async function* chunks() {
            for (let at = 0; at < end; at += chunkSize) {
              await new Promise((resolve) => setImmediate(resolve))
              pulled++
              yield Buffer.from(object!.bytes.subarray(at, Math.min(end, at + chunkSize)))
            }
          }
          return {
            $metadata: {},
            Body: Readable.from(chunks(), { objectMode: false }) as never,
            ContentLength: object.bytes.length,
            ETag: "\"etag\"",
            VersionId: object.versionId
          }
        }
      }
    }
  }
}
