import { FileSystem } from "@effect/platform"
import { SystemError } from "@effect/platform/Error"
import { NodeFileSystem } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Deferred, Effect, Exit, Fiber, Option, Scope, Stream } from "effect"
import fc from "fast-check"
import { createHash, randomBytes } from "node:crypto"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BodyLengthMismatch, DefaultHeadBytes, type DigestOptions, digestStream } from "../src/Digest.js"
import { type Content, contentStream, DefaultMemoryLimit, Spool, SpoolError } from "../src/Spool.js"
import { base64Stream } from "../src/Submission.js"
import { openSpoolFiles } from "./helpers/spoolFiles.js"

const MiB = 1024 * 1024

// A private spool directory for this file: the spool must go there and leave no name behind.
let spoolRoot = ""
beforeAll(() => {
  spoolRoot = mkdtempSync(join(tmpdir(), "digest-test-"))
})
afterAll(() => {
  rmSync(spoolRoot, { recursive: true, force: true })
})

/** `digestStream` with a Spool keeping up to `memoryLimit` bytes (default 8 MiB) in memory, in this file's directory. */
const digest = <A, E, E2, R2>(body: Stream.Stream<Uint8Array, E>, options: DigestOptions<A, E2, R2> & { readonly memoryLimit?: number }) =>
  digestStream(body, options).pipe(
    Effect.provide(Spool.test({ memoryLimit: options.memoryLimit ?? DefaultMemoryLimit, directory: Option.some(spoolRoot) }))
  )
const spoolEntries = () => readdirSync(spoolRoot)
const spoolsOpen = () => openSpoolFiles().length

const reference = (data: Uint8Array) => ({
  sha256: createHash("sha256").update(data).digest("hex"),
  sha1: createHash("sha1").update(data).digest("hex"),
  md5: createHash("md5").update(data).digest("hex"),
  bytes: data.length
})

/** Cuts `data` at the given sizes (cycled); a size of 0 yields an empty chunk. */
const chunked = (data: Uint8Array, sizes: ReadonlyArray<number>): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let offset = 0
  let i = 0
  while (offset < data.length) {
    const size = sizes[i++ % sizes.length]!
    out.push(data.subarray(offset, offset + size))
    offset += size
  }
  return out
}

const collect = <E, R>(stream: Stream.Stream<Uint8Array, E, R>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks)))

/** Scans, then reads the content back raw and as base64, all inside the scan's scope. */
const scanAll = (
  chunks: ReadonlyArray<Uint8Array>,
  options: Omit<DigestOptions<Uint8Array, never, never>, "inspectHead"> & { readonly memoryLimit?: number; readonly stream?: Stream.Stream<Uint8Array> }
) =>
  Effect.scoped(Effect.gen(function*() {
    const scanned = yield* digest(options.stream ?? Stream.fromIterable(chunks), {
      ...options,
      inspectHead: (head) => Effect.succeed(Buffer.from(head))
    })
    const raw = yield* collect(contentStream(scanned.content))
    const base64 = (yield* collect(base64Stream(scanned.content))).toString("latin1")
    return { ...scanned, raw, base64, spoolDuringScope: spoolsOpen(), namesDuringScope: spoolEntries().length }
  }))

const expectScan = (data: Buffer, result: Effect.Effect.Success<ReturnType<typeof scanAll>>, headBytes = DefaultHeadBytes) => {
  expect(result.digests).toEqual(reference(data))
  expect(result.content.bytes).toBe(data.length)
  expect(result.raw.equals(data)).toBe(true)
  expect(result.base64).toBe(data.toString("base64"))
  expect(result.head.equals(data.subarray(0, Math.min(headBytes, data.length)))).toBe(true)
}

describe("digestStream", () => {
  const sizes = [0, 1, 2, 3, MiB - 1, MiB, MiB + 1]
  const chunkings: Record<string, ReadonlyArray<number>> = {
    "one chunk": [Number.MAX_SAFE_INTEGER],
    "64 KiB": [64 * 1024],
    "7 bytes": [7],
    "ragged with empties": [1, 0, 65_537, 3, 100_000, 2]
  }
  for (const size of sizes) {
    for (const [name, cut] of Object.entries(chunkings)) {
      it.live(`${size} bytes, ${name}: digests, content, base64 and head match node:crypto/Buffer`, () =>
        Effect.gen(function*() {
          const data = randomBytes(size)
          const result = yield* scanAll(chunked(data, cut), { expectedBytes: size })
          expect(result.content._tag).toBe("InMemory")
          expectScan(data, result)
        }).pipe(Effect.provide(NodeFileSystem.layer)))
    }
  }

  it.live("a spooled object (> memoryLimit) matches too, in an unnamed file open exactly as long as the scope", () =>
    Effect.gen(function*() {
      const data = randomBytes(3 * MiB + 1)
      for (const cut of [[64 * 1024], [1000, 1, 99_999]]) {
        const result = yield* scanAll(chunked(data, cut), { expectedBytes: data.length, memoryLimit: MiB })
        expect(result.content._tag).toBe("Spooled")
        expect(result.spoolDuringScope).toBe(1)
        expect(result.namesDuringScope).toBe(0)
        expectScan(data, result)
        expect(spoolsOpen()).toBe(0)
      }
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.live("memoryLimit is inclusive: exactly memoryLimit bytes stay in memory", () =>
    Effect.gen(function*() {
      const data = randomBytes(1000)
      const atLimit = yield* scanAll([data], { expectedBytes: 1000, memoryLimit: 1000 })
      const above = yield* scanAll([data], { expectedBytes: 1000, memoryLimit: 999 })
      expect([atLimit.content._tag, above.content._tag]).toEqual(["InMemory", "Spooled"])
      expectScan(data, above)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it("property: any bytes × any chunking × memory or spool × any head size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 20 }).filter((a) => a.some((n) => n > 0)),
        fc.boolean(),
        fc.integer({ min: 0, max: 6000 }),
        async (bytes, cut, spool, headBytes) => {
          const data = Buffer.from(bytes)
          const result = await Effect.runPromise(
            scanAll(chunked(data, cut), { expectedBytes: data.length, headBytes, memoryLimit: spool ? 0 : 10_000 }).pipe(
              Effect.provide(NodeFileSystem.layer)
            )
          )
          expect(result.content._tag).toBe(spool && data.length > 0 ? "Spooled" : "InMemory")
          expectScan(data, result, headBytes)
        }
      ),
      { numRuns: 150 }
    )
    expect(spoolsOpen()).toBe(0)
  })

  it.live("a negative or fractional size is a defect, not a silent misread", () =>
    Effect.gen(function*() {
      for (const options of [{ expectedBytes: -1 }, { expectedBytes: 1.5 }, { expectedBytes: 1, headBytes: Number.NaN }]) {
        const exit = yield* Effect.exit(Effect.scoped(digest(Stream.make(new Uint8Array(1)), { ...options, inspectHead: () => Effect.void })))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      }
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  describe("the head", () => {
    /** 100 KiB chunks, each pulled on demand and counted. */
    const counted = (data: Buffer, chunkBytes: number) => {
      const state = { pulled: 0, released: false }
      const chunks = chunked(data, [chunkBytes])
      const stream = Stream.repeatEffectOption(Effect.suspend(() => {
        const chunk = chunks[state.pulled]
        if (chunk === undefined) return Effect.fail(Option.none())
        state.pulled++
        return Effect.succeed(chunk)
      })).pipe(Stream.ensuring(Effect.sync(() => {
        state.released = true
      })))
      return { state, stream }
    }

    for (const spool of [false, true]) {
      it.live(`is inspected before anything past it is pulled (${spool ? "spooled" : "in memory"})`, () =>
        Effect.gen(function*() {
          const data = randomBytes(3 * MiB)
          const { state, stream } = counted(data, 100 * 1024)
          const seen: Array<number> = []
          const scanned = yield* Effect.scoped(digest(stream, {
            expectedBytes: data.length,
            memoryLimit: spool ? MiB : 8 * MiB,
            inspectHead: (head) =>
              Effect.sync(() => {
                seen.push(state.pulled)
                expect(Buffer.from(head).equals(data.subarray(0, MiB))).toBe(true)
                return "ok"
              })
          }))
          // 1 MiB needs 11 chunks of 100 KiB (the 11th crosses the boundary); no 12th before inspection.
          expect(seen).toEqual([11])
          expect(scanned.head).toBe("ok")
          expect(scanned.digests).toEqual(reference(data))
        }).pipe(Effect.provide(NodeFileSystem.layer)))

      it.live(`a failing inspectHead stops the download at the head (${spool ? "spooled" : "in memory"})`, () =>
        Effect.gen(function*() {
          const data = randomBytes(5 * MiB)
          for (const chunkBytes of [100 * 1024, 64 * 1024, 5 * MiB]) {
            const { state, stream } = counted(data, chunkBytes)
            const exit = yield* Effect.exit(Effect.scoped(digest(stream, {
              expectedBytes: data.length,
              memoryLimit: spool ? MiB : 8 * MiB,
              inspectHead: (head) => Effect.fail({ _tag: "Disallowed" as const, length: head.length })
            })))
            expect(exit).toEqual(Exit.fail({ _tag: "Disallowed", length: MiB }))
            expect(state.pulled).toBe(Math.ceil(MiB / chunkBytes))
            expect(state.released).toBe(true)
            expect(spoolsOpen()).toBe(0)
          }
        }).pipe(Effect.provide(NodeFileSystem.layer)))
    }

    it.live("an empty object is inspected (with no bytes) before the first pull", () =>
      Effect.gen(function*() {
        const { state, stream } = counted(Buffer.alloc(0), 1)
        const exit = yield* Effect.exit(Effect.scoped(digest(stream, {
          expectedBytes: 0,
          inspectHead: (head) => Effect.fail(`pulled ${state.pulled}, head ${head.length}`)
        })))
        expect(exit).toEqual(Exit.fail("pulled 0, head 0"))
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.live("headBytes smaller than the object, and larger than it", () =>
      Effect.gen(function*() {
        const data = randomBytes(10_000)
        const small = yield* scanAll(chunked(data, [333]), { expectedBytes: data.length, headBytes: 1000 })
        expectScan(data, small, 1000)
        const large = yield* scanAll(chunked(data, [333]), { expectedBytes: data.length, headBytes: 50_000 })
        expectScan(data, large, 50_000)
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })

  describe("BodyLengthMismatch", () => {
    const cases = [
      { name: "short, in memory", size: 999, expected: 1000, memoryLimit: 8 * MiB, received: 999 },
      { name: "long, in memory", size: 1001, expected: 1000, memoryLimit: 8 * MiB, received: 1001 },
      { name: "short, spooled", size: 2 * MiB - 1, expected: 2 * MiB, memoryLimit: MiB, received: 2 * MiB - 1 },
      { name: "long, spooled", size: 2 * MiB + 1, expected: 2 * MiB, memoryLimit: MiB, received: 2 * MiB + 1 },
      { name: "short, before the head is complete", size: 10, expected: 2 * MiB, memoryLimit: MiB, received: 10 },
      { name: "bytes where none were expected", size: 1, expected: 0, memoryLimit: MiB, received: 1 }
    ]
    for (const c of cases) {
      it.live(c.name, () =>
        Effect.gen(function*() {
          const data = randomBytes(c.size)
          const exit = yield* Effect.exit(scanAll(chunked(data, [64 * 1024]), {
            expectedBytes: c.expected,
            memoryLimit: c.memoryLimit
          }))
          expect(exit).toEqual(Exit.fail(new BodyLengthMismatch({ expected: c.expected, received: c.received })))
          expect(spoolsOpen()).toBe(0)
        }).pipe(Effect.provide(NodeFileSystem.layer)))
    }

    it.live("a long body is not drained: reading stops at the first chunk past the end", () =>
      Effect.gen(function*() {
        let pulled = 0
        const stream = Stream.repeatEffect(Effect.sync(() => {
          pulled++
          return new Uint8Array(1000)
        }))
        const exit = yield* Effect.exit(Effect.scoped(digest(stream, { expectedBytes: 4500, inspectHead: () => Effect.void })))
        expect(exit).toEqual(Exit.fail(new BodyLengthMismatch({ expected: 4500, received: 5000 })))
        expect(pulled).toBe(5)
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })

  describe("the spool", () => {
    const spooled = { memoryLimit: 64 * 1024, headBytes: 1024 }

    it.live("is one file per object spooled at once, reused in place by the next objects, closed with the layer", () =>
      Effect.gen(function*() {
        const spool = yield* Spool
        const keep = (data: Buffer) =>
          Effect.map(
            spool.keeping(data.length, (keeper) =>
              Effect.zipRight(keeper.keep(data) ?? Effect.void, keeper.finish)),
            (kept) => kept.content
          )
        const big = randomBytes(3 * MiB)
        const small = randomBytes(200_000)
        // One at a time: the second, smaller object rewrites the first one's file, and reads back only its own bytes.
        const first = yield* Effect.scoped(Effect.gen(function*() {
          const content = yield* keep(big)
          expect((yield* collect(contentStream(content))).equals(big)).toBe(true)
          return content
        }))
        yield* Effect.scoped(Effect.gen(function*() {
          const content = yield* keep(small)
          expect(openSpoolFiles()).toEqual([{ target: expect.any(String), size: 3 * MiB }])
          expect((yield* collect(contentStream(content))).equals(small)).toBe(true)
          expect((yield* Effect.flip(collect(contentStream(first)))).message).toContain("released")
        }))
        // Two at once: the larger object gets the file that already holds 3 MiB, the other a new one.
        yield* Effect.scoped(Effect.gen(function*() {
          const b = yield* keep(big)
          const a = yield* keep(small)
          expect(openSpoolFiles().map((f) => f.size).sort((x, y) => x - y)).toEqual([small.length, 3 * MiB])
          expect((yield* collect(contentStream(a))).equals(small)).toBe(true)
          expect((yield* collect(contentStream(b))).equals(big)).toBe(true)
        }))
        expect(spoolsOpen()).toBe(2)
        expect(spoolEntries()).toEqual([])
      }).pipe(
        Effect.provide(Spool.test({ memoryLimit: 1000, directory: Option.some(spoolRoot) })),
        Effect.tap(() => Effect.sync(() => expect(spoolsOpen()).toBe(0)))
      ))

    it.live("a file still lent out when the layer closes is closed when its lease ends", () =>
      Effect.gen(function*() {
        const data = randomBytes(100_000)
        const outer = yield* Scope.make()
        const content = yield* Effect.flatMap(Spool, (spool) =>
          spool.keeping(data.length, (keeper) => Effect.zipRight(keeper.keep(data) ?? Effect.void, keeper.finish))).pipe(
            Scope.extend(outer),
            Effect.provide(Spool.test({ memoryLimit: 1000, directory: Option.some(spoolRoot) }))
          )
        expect(spoolsOpen()).toBe(1)
        expect((yield* collect(contentStream(content.content))).equals(data)).toBe(true)
        yield* Scope.close(outer, Exit.void)
        expect(spoolsOpen()).toBe(0)
      }))

    it.live("is removed when the body fails mid-way", () =>
      Effect.gen(function*() {
        const data = randomBytes(MiB)
        const body = Stream.fromIterable(chunked(data, [10_000])).pipe(Stream.concat(Stream.fail("connection reset" as const)))
        const exit = yield* Effect.exit(Effect.scoped(digest(body, {
          ...spooled,
          expectedBytes: 2 * MiB,
          inspectHead: () => Effect.void
        })))
        expect(exit).toEqual(Exit.fail("connection reset"))
        expect(spoolsOpen()).toBe(0)
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.live("is removed when the scan is interrupted mid-way", () =>
      Effect.gen(function*() {
        const halfway = yield* Deferred.make<void>()
        const data = randomBytes(4 * MiB)
        const body = Stream.fromIterable(chunked(data, [64 * 1024])).pipe(
          Stream.concat(Stream.fromEffect(Deferred.succeed(halfway, undefined)).pipe(Stream.drain)),
          Stream.concat(Stream.never)
        )
        const fiber = yield* Effect.fork(Effect.scoped(digest(body, {
          ...spooled,
          expectedBytes: 8 * MiB,
          inspectHead: () => Effect.void
        })))
        yield* Deferred.await(halfway)
        expect(spoolsOpen()).toBe(1)
        yield* Fiber.interrupt(fiber)
        expect(spoolsOpen()).toBe(0)
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.live("is removed when a later step of the same scope fails, and cannot be read after", () =>
      Effect.gen(function*() {
        const data = randomBytes(200_000)
        const scope = yield* Scope.make()
        const scanned = yield* digest(Stream.fromIterable(chunked(data, [4096])), {
          ...spooled,
          expectedBytes: data.length,
          inspectHead: () => Effect.void
        }).pipe(Scope.extend(scope))
        expect(scanned.content._tag).toBe("Spooled")
        // Re-readable any number of times while the scope is open (a submit retry).
        for (let i = 0; i < 3; i++) {
          expect((yield* collect(contentStream(scanned.content))).equals(data)).toBe(true)
        }
        yield* Scope.close(scope, Exit.fail("submit failed"))
        expect(spoolsOpen()).toBe(0)
        const gone = yield* Effect.flip(collect(contentStream(scanned.content)))
        expect(gone).toBeInstanceOf(SpoolError)
        expect(gone.operation).toBe("open")
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.live("a spool that lost bytes is a SpoolError, never a short body", () =>
      Effect.gen(function*() {
        const data = randomBytes(100_000)
        yield* Effect.scoped(Effect.gen(function*() {
          const scanned = yield* digest(Stream.make(data), {
            ...spooled,
            expectedBytes: data.length,
            inspectHead: () => Effect.void
          })
          const content = scanned.content as Extract<Content, { _tag: "Spooled" }>
          yield* content.lease.slot.file.truncate(50_000)
          const error = yield* Effect.flip(collect(base64Stream(content)))
          expect(error).toBeInstanceOf(SpoolError)
          expect(error.message).toContain("50000")
        }))
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.live("a spool that cannot be created is a SpoolError", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Effect.scoped(digestStream(Stream.make(new Uint8Array(10)), {
          expectedBytes: 10,
          inspectHead: () => Effect.void
        }))).pipe(
          Effect.provide(Spool.test({
            memoryLimit: 0,
            fileSystem: FileSystem.makeNoop({
              makeTempDirectory: () =>
                Effect.fail(
                  new SystemError({ reason: "WriteZero", module: "FileSystem", method: "makeTempDirectory", description: "disk full" })
                )
            })
          }))
        )
        expect(error).toBeInstanceOf(SpoolError)
        expect(error._tag === "SpoolError" && error.operation).toBe("create")
        expect(error.message).toContain("disk full")
      }))
  })
})
