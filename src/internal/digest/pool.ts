/**
 * A few 1 MiB buffers kept warm for the whole process: the head, the spool's write batches and
 * its read buffers come from here. A fresh 1 MiB allocation is mapped anew by malloc and pays a
 * page fault per 4 KiB on first touch — a few ms per scan on Firecracker (Lambda's VM), more than
 * hashing an 8 MiB object's overhead budget. Contents never leak between scans: every user reads
 * only what it has written itself.
 */
import { Effect, type Scope } from "effect"

export const PooledBytes = 1024 * 1024
const MaxPooled = 6
const free: Array<Buffer> = []

/** A buffer of `size` bytes (≤ `PooledBytes`: from the pool), to hand back with `release`. */
export const take = (size: number): Buffer =>
  size > PooledBytes ? Buffer.allocUnsafe(size) : (free.pop() ?? Buffer.allocUnsafeSlow(PooledBytes)).subarray(0, size)

/** Returns a buffer from `take`; the caller must not touch it afterwards. */
export const release = (buffer: Buffer): void => {
  if (buffer.buffer.byteLength === PooledBytes && buffer.byteOffset === 0 && free.length < MaxPooled) {
    free.push(Buffer.from(buffer.buffer, 0, PooledBytes))
  }
}

/** A buffer for the lifetime of the current scope (released when the scope closes). */
export const scoped = (size: number): Effect.Effect<Buffer, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.sync(() => take(size)), (buffer) => Effect.sync(() => release(buffer)))
