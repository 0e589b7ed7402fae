/**
 * One pass over an object's bytes: as the chunks flow by, SHA256, SHA1 and MD5 are updated and
 * every chunk is handed to the `Spool` that keeps the raw bytes. The first bytes are shown to
 * `inspectHead` before anything past them is pulled, so a disallowed MIME type stops the
 * download early. Base64 is not computed here: it is produced while the submission body is
 * sent (see `Submission`), so a duplicate costs only hashing.
 */
import { Effect, type Scope, type Stream, Schema } from "effect"
import type { Digests } from "./Domain.js"
import { Hasher } from "./internal/digest/hasher.js"
import * as Pool from "./internal/digest/pool.js"
import { forEachChunk } from "./internal/flowingStream.js"
import { type Content, type Keeper, Spool, type SpoolError } from "./Spool.js"

/** Default number of leading bytes handed to `inspectHead` (MIME detection reads 1 MiB). */
export const DefaultHeadBytes = 1024 * 1024

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
}

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
    yield* forEachChunk(body, (chunks) => Effect.suspend(() => from(chunks, 0)))
    if (received !== expected || !inspected) {
      return yield* new BodyLengthMismatch({ expected, received })
    }
    yield* keeper.finish
    return { head: head as A, digests: hasher.digests() }
  }).pipe(Effect.ensuring(Effect.sync(releaseHead)))
}

/**
 * Reads `body` once: digests it, keeps its raw bytes with the `Spool` (in memory or in a spool
 * file removed when the `Scope` closes) and passes the first
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
  R2 | Scope.Scope | Spool
> =>
  Effect.gen(function*() {
    const expected = options.expectedBytes
    const headBytes = options.headBytes ?? DefaultHeadBytes
    for (const [name, value] of [["expectedBytes", expected], ["headBytes", headBytes]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        return yield* Effect.dieMessage(`digestStream: ${name} must be a byte count, got ${value}`)
      }
    }
    const headTarget = Math.min(headBytes, expected)
    const spool = yield* Spool
    const { value, content } = yield* spool.keeping(expected, (keeper) =>
      scan(body, expected, headTarget, options.inspectHead, keeper))
    return { head: value.head, digests: value.digests, content }
  })
