/**
 * One pass over an object's bytes: as the chunks flow by, SHA256, SHA1 and MD5 are updated and
 * the raw bytes are kept — in memory when the object is small, else in a spool file in the OS
 * temp dir (`TMPDIR`, `/tmp` on Lambda) that lives exactly as long as the caller's `Scope`.
 * The first bytes are shown to `inspectHead` before anything past them is pulled, so a
 * disallowed MIME type stops the download early. Base64 is not computed here: it is produced
 * while the submission body is sent (see `SubmissionBody`), so a duplicate costs only hashing.
 */
import { FileSystem } from "@effect/platform"
import { Chunk, Effect, Fiber, Option, Schema, type Scope, Stream } from "effect"
import type { Digests } from "./Domain.js"
import { Hasher } from "./internal/digest/hasher.js"
import * as Pool from "./internal/digest/pool.js"

/** Default number of leading bytes handed to `inspectHead` (MIME detection reads 1 MiB). */
export const DefaultHeadBytes = 1024 * 1024
/** Objects up to this size are kept in memory; larger ones are spooled to the temp dir. */
export const DefaultMemoryLimit = 8 * 1024 * 1024
/** Spool reads: large, and a multiple of 3 so base64 needs no carry between reads. */
export const SpoolReadBytes = 3 * 256 * 1024
/** Spool writes are issued in batches of this many bytes, one batch in flight while the next fills. */
export const SpoolBatchBytes = 1024 * 1024

/** Raised when the spool file cannot be created, written or read back (disk full, removed, …). */
export class SpoolError extends Schema.TaggedError<SpoolError>()("SpoolError", {
  path: Schema.String,
  operation: Schema.Literal("create", "open", "write", "read"),
  cause: Schema.Defect
}) {
  override get message() {
    const cause = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `spool file ${this.path === "" ? "(not created)" : this.path}: ${this.operation} failed: ${cause}`
  }
}

/**
 * Raised when the body ends before `expectedBytes` or runs past it: a truncated or overlong file
 * is never submitted. For a long body `received` is the count when the overrun was noticed (the
 * rest is not read).
 */
export class BodyLengthMismatch extends Schema.TaggedError<BodyLengthMismatch>()("BodyLengthMismatch", {
  expected: Schema.Number,
  received: Schema.Number
}) {
  override get message() {
    return this.received < this.expected
      ? `body ended after ${this.received} of ${this.expected} bytes`
      : `body ran past its ${this.expected} bytes (${this.received} received)`
  }
}

/**
 * The kept raw bytes. A spooled file carries the `FileSystem` that wrote it, so that reading it
 * back (`contentStream`, `SubmissionBody`) needs nothing from the environment.
 */
export type Content =
  | { readonly _tag: "InMemory"; readonly bytes: number; readonly chunks: ReadonlyArray<Uint8Array> }
  | {
    readonly _tag: "Spooled"
    readonly bytes: number
    readonly path: string
    readonly fileSystem: FileSystem.FileSystem
  }

export interface Scanned<A> {
  readonly head: A
  readonly digests: Digests
  readonly content: Content
}

export interface DigestOptions<A, E2, R2> {
  /** The object's length (S3's `ContentLength`); the body must have exactly this many bytes. */
  readonly expectedBytes: number
  /**
   * Sees the first `min(headBytes, expectedBytes)` bytes before anything past them is pulled. The
   * bytes are lent for the duration of the effect (the buffer is reused afterwards): copy what
   * must outlive it.
   */
  readonly inspectHead: (head: Uint8Array) => Effect.Effect<A, E2, R2>
  readonly headBytes?: number
  readonly memoryLimit?: number
}

const spoolError = (path: string, operation: SpoolError["operation"]) => (cause: unknown) =>
  new SpoolError({ path, operation, cause })

/** Where the bytes go: `keep` returns an effect only when the pass must wait (spool backpressure). */
interface Keeper {
  readonly keep: (bytes: Uint8Array) => Effect.Effect<void, SpoolError> | undefined
  /** Everything kept is durable (written) once this succeeds. */
  readonly finish: Effect.Effect<void, SpoolError>
}

/**
 * Keeps chunks by reference (zero copy). Like every Effect stream consumer, this relies on
 * emitted chunks not being mutated afterwards (Node streams and the AWS SDK allocate per chunk).
 */
const memoryKeeper = (chunks: Array<Uint8Array>): Keeper => ({
  keep: (bytes) => {
    chunks.push(bytes)
    return undefined
  },
  finish: Effect.void
})

/**
 * Gathers the bytes in one of two reused `SpoolBatchBytes` buffers and appends each full buffer
 * to the spool with one write, forked, while the pass hashes into the other buffer: one write in
 * flight at a time, so memory stays bounded and a slow disk slows the download (backpressure)
 * instead of buffering it. (One copy per byte buys 16× fewer writes than 64 KiB chunks.)
 */
const spoolKeeper = (file: FileSystem.File, path: string): Effect.Effect<Keeper, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Writers are forked into the scope that holds the open file, after it: when the scope
    // closes they are interrupted (awaiting the current write) before the handle is closed.
    const scope = yield* Effect.scope
    // Acquired before any writer is forked, so released only after every write has ended.
    const buffers = [yield* Pool.scoped(SpoolBatchBytes), yield* Pool.scoped(SpoolBatchBytes)] as const
    let current = 0
    let filled = 0
    let inFlight: Fiber.RuntimeFiber<void, SpoolError> | undefined
    const awaitInFlight = Effect.suspend(() => inFlight === undefined ? Effect.void : Fiber.join(inFlight))
    // Uninterruptible: the fd must not be closed (and reused) under a pending write.
    const write = (bytes: Uint8Array) =>
      file.writeAll(bytes).pipe(Effect.mapError(spoolError(path, "write")), Effect.uninterruptible)
    const flush = (bytes: Uint8Array) =>
      awaitInFlight.pipe(
        Effect.zipRight(Effect.forkIn(write(bytes), scope)),
        Effect.map((fiber) => {
          inFlight = fiber
        })
      )
    const keep = (bytes: Uint8Array): Effect.Effect<void, SpoolError> | undefined => {
      const buffer = buffers[current]!
      const n = Math.min(SpoolBatchBytes - filled, bytes.length)
      buffer.set(n === bytes.length ? bytes : bytes.subarray(0, n), filled)
      filled += n
      if (filled < SpoolBatchBytes) return undefined
      current ^= 1
      filled = 0
      if (n === bytes.length) return flush(buffer)
      const rest = bytes.subarray(n)
      return Effect.zipRight(flush(buffer), Effect.suspend(() => keep(rest) ?? Effect.void))
    }
    return {
      keep,
      finish: Effect.suspend(() => filled === 0 ? awaitInFlight : flush(buffers[current]!.subarray(0, filled))).pipe(
        Effect.zipRight(awaitInFlight)
      )
    }
  })

/** The pass itself: hash every chunk, assemble and inspect the head, hand every chunk to the keeper. */
const scan = <A, E, E2, R2>(
  body: Stream.Stream<Uint8Array, E>,
  expected: number,
  headTarget: number,
  inspectHead: (head: Uint8Array) => Effect.Effect<A, E2, R2>,
  keeper: Keeper
): Effect.Effect<{ head: A; digests: Digests }, E | E2 | SpoolError | BodyLengthMismatch, R2> => {
  type Failure = E2 | SpoolError | BodyLengthMismatch
  const hasher = new Hasher()
  let received = 0
  let inspected = false
  let head: A | undefined
  let headView: Uint8Array | undefined
  let headPooled: Buffer | undefined
  const releaseHead = () => {
    if (headPooled !== undefined) Pool.release(headPooled)
    headPooled = undefined
    headView = undefined
  }

  const inspect = Effect.suspend(() => inspectHead(headView ?? new Uint8Array(0))).pipe(
    Effect.map((a) => {
      head = a
      inspected = true
    }),
    Effect.ensuring(Effect.sync(releaseHead))
  )

  /** Hashes one chunk, then keeps it; an effect only when something must be awaited. */
  const take = (bytes: Uint8Array): Effect.Effect<void, Failure, R2> | undefined => {
    if (bytes.length === 0) return undefined
    if (received + bytes.length > expected) {
      return Effect.fail(new BodyLengthMismatch({ expected, received: received + bytes.length }))
    }
    hasher.update(bytes)
    return keep(bytes)
  }

  /** Synchronous work for one chunk; an effect only when something must be awaited. */
  const keep = (bytes: Uint8Array): Effect.Effect<void, Failure, R2> | undefined => {
    const length = bytes.length
    const offset = received
    received += length
    if (inspected) return keeper.keep(bytes)
    // Head phase: a first chunk that covers the head is used as is, else the head is assembled.
    if (offset === 0 && length >= headTarget) {
      headView = bytes.subarray(0, headTarget)
    } else {
      if (headView === undefined) headView = headPooled = Pool.take(headTarget)
      headView.set(offset + length <= headTarget ? bytes : bytes.subarray(0, headTarget - offset), offset)
    }
    if (received < headTarget) return keeper.keep(bytes)
    return Effect.zipRight(inspect, Effect.suspend(() => keeper.keep(bytes) ?? Effect.void))
  }

  const from = (items: ReadonlyArray<Uint8Array>, start: number): Effect.Effect<void, Failure, R2> => {
    for (let i = start; i < items.length;) {
      const effect = take(items[i++]!)
      if (effect !== undefined) {
        return i === items.length ? effect : Effect.zipRight(effect, Effect.suspend(() => from(items, i)))
      }
    }
    return Effect.void
  }

  return Effect.gen(function*() {
    // An empty head (empty object, or headBytes 0) is inspected before the first pull.
    if (headTarget === 0) yield* inspect
    yield* Stream.runForEachChunk(body, (chunk) => Effect.suspend(() => from(Chunk.toReadonlyArray(chunk), 0)))
    if (received !== expected || !inspected) {
      return yield* new BodyLengthMismatch({ expected, received })
    }
    yield* keeper.finish
    return { head: head as A, digests: hasher.digests() }
  }).pipe(Effect.ensuring(Effect.sync(releaseHead)))
}

/**
 * Reads `body` once: digests it, keeps its raw bytes (in memory up to `memoryLimit`, default
 * 8 MiB, else in a spool file removed when the `Scope` closes) and passes the first
 * `min(headBytes, expectedBytes)` bytes (default 1 MiB) to `inspectHead` before pulling more.
 * If `inspectHead` fails, the body is dropped unread and its error is returned.
 *
 * Errors: the body's own `E`, `inspectHead`'s `E2`, `BodyLengthMismatch` when the body is not
 * exactly `expectedBytes` long, `SpoolError` when the spool file cannot be written.
 */
export const digestStream = <A, E, E2, R2>(
  body: Stream.Stream<Uint8Array, E>,
  options: DigestOptions<A, E2, R2>
): Effect.Effect<
  Scanned<A>,
  E | E2 | SpoolError | BodyLengthMismatch,
  R2 | Scope.Scope | FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    const expected = options.expectedBytes
    const headBytes = options.headBytes ?? DefaultHeadBytes
    const memoryLimit = options.memoryLimit ?? DefaultMemoryLimit
    for (const [name, value] of [["expectedBytes", expected], ["headBytes", headBytes], ["memoryLimit", memoryLimit]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        return yield* Effect.dieMessage(`digestStream: ${name} must be a byte count, got ${value}`)
      }
    }
    const headTarget = Math.min(headBytes, expected)
    const fileSystem = yield* FileSystem.FileSystem

    if (expected <= memoryLimit) {
      const chunks: Array<Uint8Array> = []
      const { digests, head } = yield* scan(body, expected, headTarget, options.inspectHead, memoryKeeper(chunks))
      const content: Content = { _tag: "InMemory", bytes: expected, chunks }
      return { head, digests, content }
    }

    const path = yield* fileSystem.makeTempFileScoped({ prefix: "highvolt-spool-" }).pipe(
      Effect.mapError(spoolError("", "create"))
    )
    const { digests, head } = yield* Effect.scoped(Effect.gen(function*() {
      const file = yield* fileSystem.open(path, { flag: "w" }).pipe(Effect.mapError(spoolError(path, "open")))
      return yield* scan(body, expected, headTarget, options.inspectHead, yield* spoolKeeper(file, path))
    }))
    const content: Content = { _tag: "Spooled", bytes: expected, path, fileSystem }
    return { head, digests, content }
  }).pipe(Effect.withSpan("Digest.digestStream", { attributes: { expectedBytes: options.expectedBytes } }))

type Spooled = Extract<Content, { _tag: "Spooled" }>

/**
 * Reads a spool file back in `SpoolReadBytes` reads, the next read always in flight while the
 * caller `consume`s the current one, and emits what `consume` appends to its array. With
 * `reuse`, two buffers alternate (`consume` must be done with the bytes when it returns); else
 * every read gets a fresh buffer. The file must hold exactly `bytes` bytes.
 */
const readSpool = <B>(
  content: Spooled,
  reuse: boolean,
  consume: (bytes: Uint8Array, out: Array<B>) => void
): Stream.Stream<B, SpoolError> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const { bytes, path } = content
    const fail = (operation: SpoolError["operation"], message: string) =>
      new SpoolError({ path, operation, cause: new Error(message) })
    const file = yield* content.fileSystem.open(path, { flag: "r" }).pipe(Effect.mapError(spoolError(path, "open")))
    const size = Number((yield* file.stat.pipe(Effect.mapError(spoolError(path, "open")))).size)
    if (size !== bytes) return yield* fail("open", `spool holds ${size} bytes, expected ${bytes}`)
    // Readers are forked into this stream's scope, after the open: interrupted (awaiting the
    // uninterruptible read) before the handle is closed.
    const scope = yield* Effect.scope
    // Acquired before any reader is forked, so released only after every read has ended.
    const pool = reuse ? [yield* Pool.scoped(SpoolReadBytes), yield* Pool.scoped(SpoolReadBytes)] : []
    let requested = 0
    let reads = 0

    /** Fills `buffer` (a short read only at end of file). */
    const readFully = (buffer: Buffer, offset: number): Effect.Effect<number, SpoolError> =>
      offset === buffer.length ? Effect.succeed(offset) : file.read(buffer.subarray(offset)).pipe(
        Effect.uninterruptible,
        Effect.mapError(spoolError(path, "read")),
        Effect.flatMap((n) => n === BigInt(0) ? Effect.succeed(offset) : readFully(buffer, offset + Number(n)))
      )
    const start = Effect.suspend(() => {
      const length = Math.min(SpoolReadBytes, bytes - requested)
      const buffer = reuse ? pool[reads++ % 2]!.subarray(0, length) : Buffer.allocUnsafe(length)
      const at = requested
      requested += length
      return Effect.forkIn(
        Effect.flatMap(readFully(buffer, 0), (n) =>
          n === length ? Effect.succeed(buffer) : Effect.fail(fail("read", `spool ended at ${at + n} of ${bytes} bytes`))),
        scope
      )
    })
    let pending: Fiber.RuntimeFiber<Buffer, SpoolError> | undefined = bytes === 0 ? undefined : yield* start
    return Stream.repeatEffectChunkOption(Effect.suspend(() => {
      if (pending === undefined) return Effect.fail(Option.none())
      return Fiber.join(pending).pipe(
        Effect.mapError(Option.some),
        Effect.flatMap((buffer) =>
          Effect.map(requested < bytes ? start : Effect.succeed(undefined), (next) => {
            pending = next
            const out: Array<B> = []
            consume(buffer, out)
            return Chunk.unsafeFromArray(out)
          })
        )
      )
    }))
  }))

/** @internal For `SubmissionBody`: `consume` gets each read in a reused buffer and must be done with it on return. */
export const spoolThrough = <B>(
  content: Spooled,
  consume: (bytes: Uint8Array, out: Array<B>) => void
): Stream.Stream<B, SpoolError> => readSpool(content, true, consume)

/**
 * The kept raw bytes as a stream, re-readable any number of times (a submit retry re-reads them).
 * Needs nothing from the environment: a spooled file is read with the `FileSystem` that wrote it.
 * Fails with `SpoolError` if the spool file is gone or does not hold exactly `bytes` bytes.
 */
export const contentStream = (content: Content): Stream.Stream<Uint8Array, SpoolError> =>
  content._tag === "InMemory"
    ? Stream.fromIterable(content.chunks)
    : readSpool<Uint8Array>(content, false, (bytes, out) => {
      out.push(bytes)
    })
