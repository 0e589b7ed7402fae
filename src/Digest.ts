/**
 * One pass over an object's bytes: as the chunks flow by, SHA256, SHA1 and MD5 are updated and
 * the raw bytes are kept — in memory when the object is small, else in a spool file in the OS
 * temp dir (`TMPDIR`, `/tmp` on Lambda) that lives exactly as long as the caller's `Scope`.
 * The first bytes are shown to `inspectHead` before anything past them is pulled, so a
 * disallowed MIME type stops the download early. Base64 is not computed here: it is produced
 * while the submission body is sent (see `SubmissionBody`), so a duplicate costs only hashing.
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Chunk, Effect, Option, Schema, type Scope, Stream } from "effect"
import type { Digests } from "./Domain.js"
import { Hasher } from "./internal/digest/hasher.js"

/** Default number of leading bytes handed to `inspectHead` (MIME detection reads 1 MiB). */
export const DefaultHeadBytes = 1024 * 1024
/** Objects up to this size are kept in memory; larger ones are spooled to the temp dir. */
export const DefaultMemoryLimit = 8 * 1024 * 1024
/** Spool reads: large, and a multiple of 3 so base64 needs no carry between reads. */
export const SpoolReadBytes = 3 * 256 * 1024

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
  /** Sees the first `min(headBytes, expectedBytes)` bytes before anything past them is pulled. */
  readonly inspectHead: (head: Uint8Array) => Effect.Effect<A, E2, R2>
  readonly headBytes?: number
  readonly memoryLimit?: number
}

const spoolError = (path: string, operation: SpoolError["operation"]) => (cause: PlatformError) =>
  new SpoolError({ path, operation, cause })

/** Where the bytes after the head go: `keep` may return an effect to run before the next pull. */
interface Keeper {
  /** Receives the head bytes, in order, at their offsets. */
  readonly headBuffer: Uint8Array
  readonly afterHead: () => Effect.Effect<void, SpoolError> | undefined
  readonly keep: (bytes: Uint8Array, offset: number) => Effect.Effect<void, SpoolError> | undefined
}

/** The pass itself: hash every chunk, fill the head, inspect it, hand the rest to the keeper. */
const scan = <A, E, E2, R2>(
  body: Stream.Stream<Uint8Array, E>,
  expected: number,
  headTarget: number,
  inspectHead: (head: Uint8Array) => Effect.Effect<A, E2, R2>,
  keeper: Keeper
): Effect.Effect<{ head: A; digests: Digests }, E | E2 | SpoolError | BodyLengthMismatch, R2> => {
  const hasher = new Hasher()
  let received = 0
  let head: Option.Option<A> = Option.none()

  const inspect: Effect.Effect<void, E2 | SpoolError, R2> = Effect.suspend(() =>
    inspectHead(keeper.headBuffer.subarray(0, headTarget))
  ).pipe(
    Effect.flatMap((a) => {
      head = Option.some(a)
      return keeper.afterHead() ?? Effect.void
    })
  )

  /** Synchronous work for one element; an effect only when something must be awaited. */
  const take = (bytes: Uint8Array): Effect.Effect<void, E2 | SpoolError | BodyLengthMismatch, R2> | undefined => {
    const length = bytes.length
    if (received + length > expected) {
      return Effect.fail(new BodyLengthMismatch({ expected, received: received + length }))
    }
    hasher.update(bytes)
    const offset = received
    received += length
    if (Option.isSome(head)) return keeper.keep(bytes, offset)
    const inHead = Math.min(length, headTarget - offset)
    keeper.headBuffer.set(inHead === length ? bytes : bytes.subarray(0, inHead), offset)
    if (received < headTarget) return undefined
    if (inHead === length) return inspect
    const rest = bytes.subarray(inHead)
    return Effect.zipRight(inspect, Effect.suspend(() => keeper.keep(rest, offset + inHead) ?? Effect.void))
  }

  const from = (items: ReadonlyArray<Uint8Array>, start: number): Effect.Effect<void, E2 | SpoolError | BodyLengthMismatch, R2> => {
    for (let i = start; i < items.length;) {
      const effect = take(items[i++]!)
      if (effect !== undefined) {
        return i === items.length ? effect : Effect.zipRight(effect, Effect.suspend(() => from(items, i)))
      }
    }
    return Effect.void
  }

  return Effect.gen(function*() {
    // An empty head (empty object) is inspected before the first pull.
    if (headTarget === 0) yield* inspect
    yield* Stream.runForEachChunk(body, (chunk) => Effect.suspend(() => from(Chunk.toReadonlyArray(chunk), 0)))
    if (received !== expected || Option.isNone(head)) {
      return yield* new BodyLengthMismatch({ expected, received })
    }
    return { head: head.value, digests: hasher.digests() }
  })
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
    if (!Number.isSafeInteger(expected) || expected < 0) {
      return yield* Effect.dieMessage(`digestStream: expectedBytes must be a byte count, got ${expected}`)
    }
    const headTarget = Math.min(options.headBytes ?? DefaultHeadBytes, expected)
    const fileSystem = yield* FileSystem.FileSystem

    if (expected <= (options.memoryLimit ?? DefaultMemoryLimit)) {
      const buffer = Buffer.allocUnsafe(expected)
      const { digests, head } = yield* scan(body, expected, headTarget, options.inspectHead, {
        headBuffer: buffer,
        afterHead: () => undefined,
        keep: (bytes, offset) => {
          buffer.set(bytes, offset)
          return undefined
        }
      })
      const content: Content = { _tag: "InMemory", bytes: expected, chunks: expected === 0 ? [] : [buffer] }
      return { head, digests, content }
    }

    const path = yield* fileSystem.makeTempFileScoped({ prefix: "highvolt-spool-" }).pipe(
      Effect.mapError(spoolError("", "create"))
    )
    const { digests, head } = yield* Effect.scoped(Effect.gen(function*() {
      const file = yield* fileSystem.open(path, { flag: "w" }).pipe(Effect.mapError(spoolError(path, "open")))
      // Uninterruptible: the fd must not be closed (and reused) while a write is in flight.
      const write = (bytes: Uint8Array) =>
        file.writeAll(bytes).pipe(Effect.mapError(spoolError(path, "write")), Effect.uninterruptible)
      const headBuffer = Buffer.allocUnsafe(headTarget)
      return yield* scan(body, expected, headTarget, options.inspectHead, {
        headBuffer,
        afterHead: () => headTarget === 0 ? undefined : write(headBuffer),
        keep: (bytes) => write(bytes)
      })
    }))
    const content: Content = { _tag: "Spooled", bytes: expected, path, fileSystem }
    return { head, digests, content }
  }).pipe(Effect.withSpan("Digest.digestStream", { attributes: { expectedBytes: options.expectedBytes } }))

/** Reads a spooled file back, checking it still holds exactly `bytes` bytes. */
const spooled = <B>(
  content: Extract<Content, { _tag: "Spooled" }>,
  read: (file: FileSystem.File, size: number) => Effect.Effect<Option.Option<B>, PlatformError>,
  length: (b: B) => number
): Stream.Stream<B, SpoolError> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const { path, bytes } = content
    const file = yield* content.fileSystem.open(path, { flag: "r" }).pipe(Effect.mapError(spoolError(path, "open")))
    let position = 0
    return Stream.repeatEffectOption(Effect.suspend(() => {
      const remaining = bytes - position
      if (remaining === 0) return Effect.fail(Option.none())
      // Uninterruptible for the same reason as writes: no read may outlive the fd.
      return read(file, Math.min(SpoolReadBytes, remaining)).pipe(
        Effect.uninterruptible,
        Effect.mapError((e) => Option.some(spoolError(path, "read")(e))),
        Effect.flatMap(Option.match({
          onNone: () =>
            Effect.fail(Option.some(
              new SpoolError({ path, operation: "read", cause: new Error(`spool ended at ${position} of ${bytes} bytes`) })
            )),
          onSome: (b) => {
            position += length(b)
            return Effect.succeed(b)
          }
        }))
      )
    }))
  }))

/** @internal Spool reader for `SubmissionBody`: `read` gets a reused buffer it must consume at once. */
export const spooledThrough = <B>(
  content: Extract<Content, { _tag: "Spooled" }>,
  consume: (bytes: Uint8Array) => B
): Stream.Stream<B, SpoolError> =>
  Stream.suspend(() => {
    const buffer = Buffer.allocUnsafe(Math.min(SpoolReadBytes, content.bytes))
    return spooled(
      content,
      (file, size) =>
        Effect.map(file.read(buffer.subarray(0, size)), (n) =>
          n === BigInt(0) ? Option.none() : Option.some([Number(n), consume(buffer.subarray(0, Number(n)))] as const)),
      ([n]) => n
    ).pipe(Stream.map(([, b]) => b))
  })

/**
 * The kept raw bytes as a stream, re-readable any number of times (a submit retry re-reads them).
 * Needs nothing from the environment: a spooled file is read with the `FileSystem` that wrote it.
 * Fails with `SpoolError` if the spool file is gone or shorter than it should be.
 */
export const contentStream = (content: Content): Stream.Stream<Uint8Array, SpoolError> =>
  content._tag === "InMemory"
    ? Stream.fromIterable(content.chunks)
    : spooled(content, (file, size) => file.readAlloc(size), (b) => b.length)
