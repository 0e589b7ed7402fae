import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Stream } from "effect"
import { randomBytes } from "node:crypto"
import { PassThrough, Readable } from "node:stream"
import { flowingStream } from "../src/internal/flowingStream.js"

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks)))

const asError = (error: unknown) => ({ _tag: "BodyFailed" as const, message: error instanceof Error ? error.message : String(error) })

describe("flowingStream", () => {
  it.live("emits every byte in order, whatever the chunking", () =>
    Effect.gen(function*() {
      const data = randomBytes(3 * 1024 * 1024 + 17)
      const pieces = [1, 65_536, 7, 1_000_000, 0, 300_000]
      const chunks: Array<Buffer> = []
      for (let at = 0, i = 0; at < data.length; i++) {
        const n = pieces[i % pieces.length]!
        chunks.push(data.subarray(at, at + n))
        at += n
      }
      const got = yield* collect(flowingStream(Readable.from(chunks, { objectMode: false }), asError, 64 * 1024))
      expect(got.equals(data)).toBe(true)
    }))

  it.live("pauses the body while more than the high-water mark waits, and resumes when the consumer pulls", () =>
    Effect.scoped(Effect.gen(function*() {
      const source = new PassThrough()
      const pull = yield* Stream.toPull(flowingStream(source, asError, 100_000))
      source.write(Buffer.alloc(10))
      const bytesOf = (chunk: Chunk.Chunk<Uint8Array>) => Chunk.reduce(chunk, 0, (n, c) => n + c.length)
      expect(bytesOf(yield* pull)).toBe(10)
      source.write(Buffer.alloc(60_000))
      yield* Effect.sleep("10 millis")
      const belowMark = source.isPaused()
      source.write(Buffer.alloc(60_000))
      yield* Effect.sleep("10 millis")
      const aboveMark = source.isPaused()
      const queued = bytesOf(yield* pull)
      expect({ belowMark, aboveMark, queued, resumed: !source.isPaused() }).toEqual({ belowMark: false, aboveMark: true, queued: 120_000, resumed: true })
    })))

  it.live("a body that fails mid-way fails the stream with the mapped error, after the bytes before it", () =>
    Effect.gen(function*() {
      const source = new PassThrough()
      const received: Array<number> = []
      const fiber = yield* Effect.fork(Effect.exit(Stream.runForEach(
        flowingStream(source, asError),
        (chunk) => Effect.sync(() => received.push(chunk.length))
      )))
      yield* Effect.sleep("10 millis")
      source.write(Buffer.alloc(1000))
      yield* Effect.sleep("10 millis")
      source.destroy(new Error("read ECONNRESET"))
      const exit = yield* Fiber.join(fiber)
      expect(received).toEqual([1000])
      expect(exit).toEqual(Exit.fail({ _tag: "BodyFailed", message: "read ECONNRESET" }))
    }))

  it.live("a consumer that stops early leaves the body harmless: a later error does not escape", () =>
    Effect.gen(function*() {
      const source = new PassThrough()
      source.write(Buffer.alloc(5000))
      const first = yield* Stream.runHead(flowingStream(source, asError))
      expect(first._tag).toBe("Some")
      expect(source.listenerCount("data")).toBe(0)
      // With no error listener this would be an uncaught exception.
      source.destroy(new Error("socket hang up"))
      yield* Effect.sleep("10 millis")
    }))

  it.live("a body that already ended is an empty stream; one that already failed is its error", () =>
    Effect.gen(function*() {
      const ended = new PassThrough()
      ended.end()
      ended.resume()
      yield* Effect.sleep("10 millis")
      expect((yield* collect(flowingStream(ended, asError))).length).toBe(0)
      const failed = new PassThrough()
      failed.on("error", () => {})
      failed.destroy(new Error("gone"))
      yield* Effect.sleep("10 millis")
      expect(yield* Effect.flip(collect(flowingStream(failed, asError)))).toEqual({ _tag: "BodyFailed", message: "gone" })
    }))
})
