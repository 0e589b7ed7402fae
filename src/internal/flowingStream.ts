/**
 * A Node `Readable` (an HTTP response body) as an Effect `Stream`, read in flowing mode: every
 * chunk the socket delivers is emitted as it came, and the body is paused only while more than
 * `highWaterBytes` wait for the consumer.
 *
 * Why not `NodeStream.fromReadable`: it pulls with `read()` from the body's 16 KiB buffer, so
 * the socket stops and restarts every few chunks. Measured on this machine (768 MiB over
 * loopback, hashed as read), flowing mode cost 2.8–2.9 s of CPU where `read()` cost 3.0–4.6 s,
 * most of the difference in system time.
 *
 * The same reading is also offered without the `Stream` machinery (`forEachChunk`): running any
 * `Stream` costs ~0.3–0.5 ms of CPU in Effect's channel executor, several times what a whole
 * small object costs to hash, so the digest pass consumes a flowing body directly.
 */
import { Chunk, Effect, Option, Stream } from "effect"
import type { Readable } from "node:stream"

/**
 * Bytes buffered ahead of the consumer before the body is paused: what a scan that stops early
 * (a disallowed MIME type) may have downloaded past what it read, besides the socket's buffers.
 */
export const DefaultHighWaterBytes = 1024 * 1024

const DirectRead: unique symbol = Symbol.for("highvolt/flowingStream/DirectRead")

/** One reading of the body: attach, pull the chunks queued so far (`undefined` at the end), detach. */
interface Reading<E> {
  readonly attach: () => void
  readonly detach: () => void
  readonly pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E>
}

/** A flowing body: a `Stream`, which can also be consumed directly (`forEachChunk`). */
export interface FlowingStream<E> extends Stream.Stream<Uint8Array, E> {
  readonly [DirectRead]: () => Reading<E>
}

const reading = <E>(readable: Readable, onError: (error: unknown) => E, highWaterBytes: number): Reading<E> => {
  let queue: Array<Uint8Array> = []
  let queued = 0
  let ended = false
  let failure: { readonly error: unknown } | undefined
  let wake: (() => void) | undefined
  const notify = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const onData = (chunk: Uint8Array) => {
    queue.push(chunk)
    queued += chunk.length
    if (queued >= highWaterBytes) readable.pause()
    notify()
  }
  const onEnd = () => {
    ended = true
    notify()
  }
  const onFailure = (error: unknown) => {
    failure = { error }
    notify()
  }
  const waitForMore = Effect.async<void>((resume) => {
    wake = () => resume(Effect.void)
    return Effect.sync(() => {
      wake = undefined
    })
  })
  const pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E> = Effect.suspend(() => {
    if (queue.length > 0) {
      const chunks = queue
      queue = []
      queued = 0
      if (readable.isPaused() && !ended) readable.resume()
      return Effect.succeed(chunks)
    }
    if (failure !== undefined) return Effect.fail(onError(failure.error))
    if (ended) return Effect.succeed(undefined)
    return Effect.zipRight(waitForMore, pull)
  })
  return {
    attach: () => {
      if (readable.errored !== null) failure = { error: readable.errored }
      ended = readable.readableEnded
      readable.on("error", onFailure)
      readable.once("end", onEnd)
      readable.on("data", onData)
    },
    // The error listener stays: an error after the consumer is gone must not become an
    // unhandled 'error' event (which would end the process); the owner destroys the body.
    detach: () => {
      readable.off("data", onData)
      readable.off("end", onEnd)
    },
    pull
  }
}

export const flowingStream = <E>(
  readable: Readable,
  onError: (error: unknown) => E,
  highWaterBytes: number = DefaultHighWaterBytes
): FlowingStream<E> => {
  const read = () => reading(readable, onError, highWaterBytes)
  const stream = Stream.suspend(() => {
    const r = read()
    const pull = r.pull.pipe(
      Effect.mapError(Option.some),
      Effect.flatMap((chunks) => chunks === undefined ? Effect.fail(Option.none()) : Effect.succeed(Chunk.unsafeFromArray(chunks)))
    )
    return Stream.acquireRelease(Effect.sync(r.attach), () => Effect.sync(r.detach)).pipe(
      Stream.flatMap(() => Stream.repeatEffectChunkOption(pull))
    )
  })
  return Object.assign(stream, { [DirectRead]: read })
}

const isFlowing = <E>(stream: Stream.Stream<Uint8Array, E>): stream is FlowingStream<E> => DirectRead in stream

/**
 * Runs `f` on every group of chunks of `stream`, in order, as `Stream.runForEachChunk` does
 * (the next group is pulled once `f` is done with this one); a flowing body is read directly.
 */
export const forEachChunk = <E, E2, R>(
  stream: Stream.Stream<Uint8Array, E>,
  f: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, E2, R>
): Effect.Effect<void, E | E2, R> => {
  if (!isFlowing(stream)) return Stream.runForEachChunk(stream, (chunk) => f(Chunk.toReadonlyArray(chunk)))
  return Effect.acquireUseRelease(
    Effect.sync(() => {
      const r = stream[DirectRead]()
      r.attach()
      return r
    }),
    (r) => {
      const loop: Effect.Effect<void, E | E2, R> = Effect.flatMap(
        r.pull,
        (chunks) => chunks === undefined ? Effect.void : Effect.zipRight(f(chunks), loop)
      )
      return loop
    },
    (r) => Effect.sync(r.detach)
  )
}
