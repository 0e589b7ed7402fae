/**
 * Where an object's bytes are kept between the read and the submit: in memory when the object
 * is small, else in a spool file in the OS temp dir (`TMPDIR`, `/tmp` on Lambda). The digest
 * pass hands every chunk to a `Keeper`; the submit reads the kept `Content` back, as often as it
 * is retried, for exactly as long as the caller's `Scope` is open.
 *
 * Spool files are reused, not made per object. Each is opened once and unlinked at once, so
 * it has no name anyone could open, and nothing of it outlives the process (not even after a
 * crash). Every object it keeps overwrites it in place. Why: on Firecracker VMs (this machine's
 * and Lambda's), the page cache of a deleted file goes back to the host within seconds, and the
 * next file's pages are faulted in again. Measured: writing 768 MiB to a fresh file cost 0.9 to
 * 1.4 s of CPU, and rewriting a kept one 0.05 to 0.07 s.
 */
import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { Chunk, Config, Context, Effect, Exit, Fiber, Layer, Option, Schema, Scope, Stream } from "effect"
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
 * One reusable spool file: open, already unlinked (`path` is the name it had, for messages),
 * holding `size` bytes from earlier objects. `lock` serializes whoever moves its file position.
 */
export interface Slot {
  readonly file: FileSystem.File
  readonly path: string
  /** Holds the open file: closing it closes the file. */
  readonly scope: Scope.CloseableScope
  readonly lock: Effect.Semaphore
  size: number
}

/** A slot lent to one object's scope; `held` turns false when the scope closes. */
export interface Lease {
  readonly slot: Slot
  held: boolean
}

/** The kept raw bytes: in memory, or the first `bytes` bytes of a leased spool file. */
export type Content =
  | { readonly _tag: "InMemory"; readonly bytes: number; readonly chunks: ReadonlyArray<Uint8Array> }
  | { readonly _tag: "Spooled"; readonly bytes: number; readonly lease: Lease }

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
 * Gathers the bytes in one of two reused `SpoolBatchBytes` buffers and writes each full buffer
 * to the slot, from offset 0, with one write, forked, while the pass hashes into the other
 * buffer: one write in flight at a time, so memory stays bounded and a slow disk slows the
 * download (backpressure) instead of buffering it. (One copy per byte buys 16× fewer writes
 * than 64 KiB chunks.)
 */
const spoolKeeper = (slot: Slot): Effect.Effect<Keeper, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Writers are forked into this scope: when it closes they are interrupted (awaiting the
    // current write) before the slot is lent again.
    const scope = yield* Effect.scope
    // Acquired before any writer is forked, so released only after every write has ended.
    const buffers = [yield* Pool.scoped(SpoolBatchBytes), yield* Pool.scoped(SpoolBatchBytes)] as const
    let current = 0
    let filled = 0
    let written = 0
    let inFlight: Fiber.RuntimeFiber<void, SpoolError> | undefined
    const awaitInFlight = Effect.suspend(() => inFlight === undefined ? Effect.void : Fiber.join(inFlight))
    // Uninterruptible: the slot must not be lent again under a pending write.
    const write = (bytes: Uint8Array) =>
      Effect.suspend(() => {
        const at = written
        written += bytes.length
        return slot.lock.withPermits(1)(Effect.zipRight(slot.file.seek(at, "start"), slot.file.writeAll(bytes)))
      }).pipe(
        Effect.mapError(spoolError(slot.path, "write")),
        Effect.tap(() => Effect.sync(() => (slot.size = Math.max(slot.size, written)))),
        Effect.uninterruptible
      )
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

/**
 * The service, over a given file system. Spool files are made as objects need them, at most one
 * per object spooled at once, and kept for the next ones. When the `Scope` closes, idle files are
 * closed (and so freed) at once, and a file still lent out when its lease ends.
 */
export const make = ({ directory, fileSystem, memoryLimit }: SpoolOptions): Effect.Effect<Spool["Type"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const idle: Array<Slot> = []
    let open = true
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        open = false
        return Effect.forEach(idle.splice(0), (slot) => Scope.close(slot.scope, Exit.void), { discard: true })
      })
    )

    // A private directory per file (mkdtemp: mode 0700), gone with the file's name once it is open.
    const create = Effect.gen(function*() {
      const dir = yield* fileSystem.makeTempDirectory({
        prefix: "highvolt-spool-",
        ...Option.match(directory, { onNone: () => ({}), onSome: (directory) => ({ directory }) })
      }).pipe(Effect.mapError(spoolError("", "create")))
      const path = `${dir}/spool`
      const scope = yield* Scope.make()
      const file = yield* fileSystem.open(path, { flag: "wx+", mode: 0o600 }).pipe(
        Effect.mapError(spoolError(path, "create")),
        Scope.extend(scope),
        Effect.ensuring(Effect.ignore(fileSystem.remove(dir, { recursive: true }))),
        Effect.tapError(() => Scope.close(scope, Exit.void))
      )
      return { file, path, scope, lock: yield* Effect.makeSemaphore(1), size: 0 } satisfies Slot
    })

    /** The idle slot that fits `bytes` most closely (fewest new pages), or a new one. */
    const lease = (bytes: number): Effect.Effect<Lease, SpoolError, Scope.Scope> =>
      Effect.acquireRelease(
        Effect.suspend(() => {
          const best = closestFit(idle, bytes)
          return best === undefined ? create : Effect.succeed(idle.splice(best, 1)[0]!)
        }).pipe(Effect.map((slot): Lease => ({ slot, held: true }))),
        (lease) =>
          Effect.suspend(() => {
            lease.held = false
            if (!open) return Scope.close(lease.slot.scope, Exit.void)
            idle.push(lease.slot)
            return Effect.void
          })
      )

    return {
      keeping: (bytes, pass) =>
        Effect.gen(function*() {
          if (bytes <= memoryLimit) {
            const chunks: Array<Uint8Array> = []
            const value = yield* pass(memoryKeeper(chunks))
            return { value, content: { _tag: "InMemory", bytes, chunks } }
          }
          const leased = yield* lease(bytes)
          const value = yield* Effect.scoped(Effect.flatMap(spoolKeeper(leased.slot), pass))
          return { value, content: { _tag: "Spooled", bytes, lease: leased } }
        })
    }
  })

/**
 * The index of the smallest slot that holds `bytes` already, else of the largest one (it grows
 * least); undefined when there is none. Keeps the disk the slots hold close to what the objects
 * spooled at once need.
 */
const closestFit = (slots: ReadonlyArray<Slot>, bytes: number): number | undefined => {
  let best: number | undefined
  for (let i = 0; i < slots.length; i++) {
    const size = slots[i]!.size
    const chosen = best === undefined ? undefined : slots[best]!.size
    const better = chosen === undefined ||
      (size >= bytes ? chosen < bytes || size < chosen : chosen < bytes && size > chosen)
    if (better) best = i
  }
  return best
}

export class Spool extends Context.Tag("highvolt/Spool")<Spool, {
  /**
   * Runs `pass` with a keeper for an object of `bytes` bytes — in memory up to the memory limit,
   * else a spool file lent until the `Scope` closes — and returns what `pass` returned with the
   * kept content. Fails with `SpoolError` when the spool file cannot be created or written.
   */
  readonly keeping: <A, E, R>(
    bytes: number,
    pass: (keeper: Keeper) => Effect.Effect<A, E, R>
  ) => Effect.Effect<Kept<A>, E | SpoolError, R | Scope.Scope>
}>() {
  /** On the node file system, in `TMPDIR` (`/tmp` on Lambda) or the OS temp dir. */
  static readonly layer: Layer.Layer<Spool> = Layer.scoped(
    Spool,
    Effect.gen(function*() {
      const directory = yield* Config.option(Config.nonEmptyString("TMPDIR")).pipe(Effect.orDie)
      return yield* make({ fileSystem: yield* FileSystem.FileSystem, memoryLimit: DefaultMemoryLimit, directory })
    })
  ).pipe(Layer.provide(NodeFileSystem.layer))

  /** With a chosen memory limit, spool directory or file system (a failing one, say). */
  static readonly test = (options: Partial<SpoolOptions> = {}): Layer.Layer<Spool> =>
    Layer.scoped(
      Spool,
      Effect.flatMap(FileSystem.FileSystem, (fileSystem) =>
        make({ fileSystem: options.fileSystem ?? fileSystem, memoryLimit: options.memoryLimit ?? DefaultMemoryLimit, directory: options.directory ?? Option.none() }))
    ).pipe(Layer.provide(NodeFileSystem.layer))
}

type Spooled = Extract<Content, { _tag: "Spooled" }>

/**
 * Reads a spooled object back in `SpoolReadBytes` reads, the next read always in flight while
 * the caller `consume`s the current one, and emits what `consume` appends to its array. With
 * `reuse`, two buffers alternate (`consume` must be done with the bytes when it returns); else
 * every read gets a fresh buffer. Fails once the lease has ended (the object's scope closed:
 * the file may hold another object by now) or when the file holds fewer than `bytes` bytes.
 */
const readSpool = <B>(
  content: Spooled,
  reuse: boolean,
  consume: (bytes: Uint8Array, out: Array<B>) => void
): Stream.Stream<B, SpoolError> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const { bytes, lease } = content
    const { file, path } = lease.slot
    const fail = (operation: SpoolError["operation"], message: string) =>
      new SpoolError({ path, operation, cause: new Error(message) })
    const released = fail("open", "the spool was released: the scope that kept the object has closed")
    if (!lease.held) return yield* released
    const size = Number((yield* file.stat.pipe(Effect.mapError(spoolError(path, "open")))).size)
    if (size < bytes) return yield* fail("open", `spool holds ${size} bytes, expected ${bytes}`)
    // Readers are forked into this stream's scope: interrupted (awaiting the uninterruptible
    // read) before the stream ends.
    const scope = yield* Effect.scope
    // Acquired before any reader is forked, so released only after every read has ended.
    const pool = reuse ? [yield* Pool.scoped(SpoolReadBytes), yield* Pool.scoped(SpoolReadBytes)] : []
    let requested = 0
    let reads = 0

    /** Fills `buffer` from offset `at` of the file (a short read only at end of file). */
    const readFully = (buffer: Buffer, at: number, offset: number): Effect.Effect<number, SpoolError> =>
      offset === buffer.length ? Effect.succeed(offset) : Effect.suspend(() =>
        lease.held
          ? lease.slot.lock.withPermits(1)(Effect.zipRight(file.seek(at + offset, "start"), file.read(buffer.subarray(offset)))).pipe(
            Effect.uninterruptible,
            Effect.mapError(spoolError(path, "read")),
            Effect.flatMap((n) => n === BigInt(0) ? Effect.succeed(offset) : readFully(buffer, at, offset + Number(n)))
          )
          : Effect.fail(released)
      )
    const start = Effect.suspend(() => {
      const length = Math.min(SpoolReadBytes, bytes - requested)
      const buffer = reuse ? pool[reads++ % 2]!.subarray(0, length) : Buffer.allocUnsafe(length)
      const at = requested
      requested += length
      return Effect.forkIn(
        Effect.flatMap(readFully(buffer, at, 0), (n) =>
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

/** A spooled object read back in reused buffers: `consume` must be done with each read's bytes when it returns. */
export const spoolThrough = <B>(
  content: Spooled,
  consume: (bytes: Uint8Array, out: Array<B>) => void
): Stream.Stream<B, SpoolError> => readSpool(content, true, consume)

/**
 * The kept raw bytes as a stream, re-readable any number of times while the object's scope is
 * open (a submit retry re-reads them). Needs nothing from the environment. Fails with
 * `SpoolError` once the scope has closed, or if the spool file lost bytes.
 */
export const contentStream = (content: Content): Stream.Stream<Uint8Array, SpoolError> =>
  content._tag === "InMemory"
    ? Stream.fromIterable(content.chunks)
    : readSpool<Uint8Array>(content, false, (bytes, out) => {
      out.push(bytes)
    })
