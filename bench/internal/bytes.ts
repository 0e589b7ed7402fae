/**
 * Generated object bytes, the same in every process: a 64 MiB AES-CTR keystream (fixed key, so
 * incompressible and deterministic, and larger than any cache), repeated to the object's size
 * and cut in 64 KiB chunks. The first 8 bytes carry a nonce, so objects of the same size differ
 * (each gets its own SHA256, hence is "new" to highvolt). Nothing is ever written to the repo.
 */
import { createCipheriv } from "node:crypto"
import { Readable } from "node:stream"

export const KiB = 1024
export const MiB = 1024 * KiB
export const GiB = 1024 * MiB
export const ChunkBytes = 64 * KiB
const PatternBytes = 64 * MiB

let cached: Buffer | undefined

/** The 64 MiB pattern, built once per process. */
export const pattern = (): Buffer => {
  if (cached !== undefined) return cached
  const cipher = createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), Buffer.alloc(16, 0))
  cached = Buffer.concat([cipher.update(Buffer.alloc(PatternBytes)), cipher.final()])
  return cached
}

/** The object's bytes as 64 KiB chunks: views into the pattern, except the first (nonce). */
export function* objectChunks(size: number, nonce: number): Generator<Buffer> {
  const p = pattern()
  for (let at = 0; at < size; at += ChunkBytes) {
    const from = at % PatternBytes
    const chunk = p.subarray(from, from + Math.min(ChunkBytes, size - at))
    if (at === 0) {
      const first = Buffer.from(chunk)
      first.writeDoubleBE(nonce, 0)
      yield first.subarray(0, Math.min(first.length, size))
    } else {
      yield chunk
    }
  }
}

/** A Readable over `objectChunks` (for `LocalStack.putObject`'s `{ size, stream }` body). */
export const objectStream = (size: number, nonce: number): Readable => Readable.from(objectChunks(size, nonce), { objectMode: false })

/** Human size: 1 KiB, 16 MiB, 1 GiB. */
export const sizeName = (bytes: number): string =>
  bytes >= GiB && bytes % GiB === 0 ? `${bytes / GiB} GiB` : bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`
