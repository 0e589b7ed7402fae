/**
 * Where an object's bytes are kept between the read and the submit: in memory when the object
 * is small, else in a spool file in the OS temp dir (`TMPDIR`, `/tmp` on Lambda) that lives
 * exactly as long as the caller's `Scope`. The digest pass hands every chunk to a `Keeper`;
 * the submit reads the kept `Content` back, as often as it is retried.
 */
import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { Chunk, Config, Context, Effect, Fiber, Layer, Option, Schema, type Scope, Stream } from "effect"
import * as Pool from "./internal/digest/pool.js"

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

const spoolError = (path: string, operation: SpoolError["operation"]) => (cause: unknown) =>
  new SpoolError({ path, operation, cause })
/** Where the bytes go: `keep` returns an effect only when the pass must wait (spool backpressure). */
export interface Keeper {
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

/** What `keeping` returns: the pass's own result and the bytes it kept. */
export interface Kept<A> {
  readonly value: A
  readonly content: Content
}

export interface SpoolOptions {
  readonly fileSystem: FileSystem.FileSystem
  /** Objects up to this many bytes are kept in memory, larger ones spooled. */
  readonly memoryLimit: number
  /** Where spool files go; by default the OS temp dir. */
  readonly directory: Option.Option<string>
}

/** The service, over a given file system. */
export const make = ({ directory, fileSystem, memoryLimit }: SpoolOptions): Spool["Type"] => ({
  keeping: (bytes, pass) =>
    Effect.gen(function*() {
      if (bytes <= memoryLimit) {
        const chunks: Array<Uint8Array> = []
        const value = yield* pass(memoryKeeper(chunks))
        return { value, content: { _tag: "InMemory", bytes, chunks } }
      }
      const path = yield* fileSystem.makeTempFileScoped({
        prefix: "highvolt-spool-",
        ...Option.match(directory, { onNone: () => ({}), onSome: (directory) => ({ directory }) })
      }).pipe(Effect.mapError(spoolError("", "create")))
      const value = yield* Effect.scoped(Effect.gen(function*() {
        const file = yield* fileSystem.open(path, { flag: "w" }).pipe(Effect.mapError(spoolError(path, "open")))
        return yield* pass(yield* spoolKeeper(file, path))
      }))
      return { value, content: { _tag: "Spooled", bytes, path, fileSystem } }
    })
})

export class Spool extends Context.Tag("highvolt/Spool")<Spool, {
  /**
   * Runs `pass` with a keeper for an object of `bytes` bytes — in memory up to the memory limit,
   * else a spool file removed when the `Scope` closes — and returns what `pass` returned with the
   * kept content. The spool's write handle is closed when `pass` ends; the file stays for
   * reading back. Fails with `SpoolError` when the spool file cannot be created or written.
   */
  readonly keeping: <A, E, R>(
    bytes: number,
    pass: (keeper: Keeper) => Effect.Effect<A, E, R>
  ) => Effect.Effect<Kept<A>, E | SpoolError, R | Scope.Scope>
}>() {
  /** On the node file system, in `TMPDIR` (`/tmp` on Lambda) or the OS temp dir. */
  static readonly layer: Layer.Layer<Spool> = Layer.effect(
    Spool,
    Effect.gen(function*() {
      const directory = yield* Config.option(Config.nonEmptyString("TMPDIR")).pipe(Effect.orDie)
      return make({ fileSystem: yield* FileSystem.FileSystem, memoryLimit: DefaultMemoryLimit, directory })
    })
  ).pipe(Layer.provide(NodeFileSystem.layer))

  /** With a chosen memory limit, spool directory or file system (a failing one, say). */
  static readonly test = (options: Partial<SpoolOptions> = {}): Layer.Layer<Spool> =>
    Layer.effect(
      Spool,
      Effect.map(FileSystem.FileSystem, (fileSystem) =>
        make({ fileSystem: options.fileSystem ?? fileSystem, memoryLimit: options.memoryLimit ?? DefaultMemoryLimit, directory: options.directory ?? Option.none() }))
    ).pipe(Layer.provide(NodeFileSystem.layer))
}

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

/** A spool file read back in reused buffers: `consume` must be done with each read's bytes when it returns. */
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
