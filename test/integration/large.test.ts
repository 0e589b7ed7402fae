/**
 * A 300 MiB object, generated at test time and streamed into the stack (never held in memory,
 * never committed), scanned by the production layers with flat memory: the test process — which
 * also hosts S3, highvolt and the other emulators — must not grow by anything near the
 * object's size while the scanner reads, hashes, spools, base64-encodes and submits it, and
 * highvolt's emulator must verify the digests of the bytes it decoded as they streamed in.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { tmpdir } from "node:os"
import { Readable } from "node:stream"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { defaults, demoConfig, demoMimeTypes } from "../../emulators/Fixtures.js"
import { cloudTrail, type ObjectRef } from "./events.js"
import { type Container, pdf, sha256, submissionsOf, useStack } from "./helpers.js"
import { openSpoolFiles } from "../helpers/spoolFiles.js"

const MiB = 1024 * 1024
const objectSize = 300 * MiB
/** Growth of the process's RSS while scanning that would mean the object is being held. */
const rssBudget = 100 * MiB

const local = useStack({
  stack: {
    config: (url) => ({ ...demoConfig(url, defaults.highvoltPat), core: { mime_types: demoMimeTypes, max_file_size: 512 * MiB } }),
    // The real server's 10 s read timeout assumes it has its own CPU. Here the emulator decodes and
    // hashes the 400 MiB body on the same thread (and the same 2 cores) as the scanner that sends
    // it; its timeout is tested in test/emulators/Faults.test.ts.
    highvolt: { readTimeoutMs: 60_000 }
  }
})
let app: Container

const run = <A>(effect: Effect.Effect<A>) => Effect.runPromise(effect)

/**
 * A PDF-looking body of `size` bytes, produced 1 MiB at a time from one random block (each
 * chunk stamped with its index, so no two are alike), hashed as it is produced.
 */
const generated = (size: number) => {
  const block = Buffer.alloc(MiB)
  for (let i = 0; i < MiB; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i)
  const header = Buffer.from("%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj << /Length 314572800 >> stream\n", "latin1")
  const hash = createHash("sha256")
  let produced = 0
  let digest: string | undefined
  const stream = () =>
    new Readable({
      read() {
        if (produced >= size) {
          digest ??= hash.digest("hex")
          this.push(null)
          return
        }
        const n = Math.min(MiB, size - produced)
        const chunk = Buffer.allocUnsafe(n)
        block.copy(chunk, 0, 0, n)
        if (produced === 0) header.copy(chunk)
        chunk.writeUInt32LE(produced / MiB, header.length + 8)
        hash.update(chunk)
        produced += n
        this.push(chunk)
      }
    })
  return {
    body: { size, stream },
    sha256: () => {
      if (digest === undefined) throw new Error("the generated body was not fully consumed")
      return digest
    }
  }
}

// A temp dir of this file's own: other processes on the machine (other test files, benchmarks)
// spool large files into the shared one at the same time.
const spoolDir = mkdtempSync(join(tmpdir(), "hv-large-"))

const spoolEntries = () => readdirSync(spoolDir).filter((name) => name.startsWith("highvolt-spool-"))

beforeAll(() => {
  app = local.container({ env: { TMPDIR: spoolDir } })
})

afterAll(() => {
  rmSync(spoolDir, { recursive: true, force: true })
})

describe("a 300 MiB object", () => {
  it("is scanned with flat memory, submitted in one streamed body, and verified by highvolt's streaming digest check", async () => {
    const account = local.stack.accounts.members[1]!
    const region = local.stack.regions[1]!
    const bucket = local.stack.bucketName(account, region)

    // Warm the container first: the cold start's allocations are not the scan's.
    const small = pdf("warm-up")
    await run(local.stack.putObject({ bucket, key: "large/warm-up.pdf", body: small }))
    await app.invoke(cloudTrail({ account, region, bucket, key: "large/warm-up.pdf" }))
    expect(submissionsOf(local.stack, sha256(small))).toHaveLength(1)

    const source = generated(objectSize)
    const putStarted = Date.now()
    const put = await run(local.stack.putObject({ bucket, key: "large/scan 300 MiB.pdf", body: source.body, contentType: "application/pdf" }))
    const putMs = Date.now() - putStarted
    expect(put.size).toBe(objectSize)
    const expected = source.sha256()

    const object: ObjectRef = { account, region, bucket, key: "large/scan 300 MiB.pdf", size: objectSize }
    let spooledMost = 0
    const baseline = process.memoryUsage().rss
    let peak = baseline
    let samples = 0
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
      samples++
      if (samples % 10 === 0) {
        for (const file of openSpoolFiles()) spooledMost = Math.max(spooledMost, file.size)
      }
    }, 20)
    const started = Date.now()
    let answer: unknown
    try {
      answer = await app.invoke(cloudTrail(object), 110_000)
    } finally {
      clearInterval(sampler)
    }
    const scanMs = Date.now() - started
    const growth = peak - baseline

    const [submission, ...more] = submissionsOf(local.stack, expected)
    const gets = local.stack.s3.calls.filter((c) => c.action === "GetObject" && c.params["key"] === object.key)
    const query = local.stack.highvolt.requests.filter((r) => r.path.endsWith("/query")).at(-1)
    console.info(
      `300 MiB: put ${putMs} ms; scan ${scanMs} ms: GetObject at +${gets.map((g) => g.at - started).join(",+")} ms, ` +
        `query at +${query === undefined ? "?" : query.at - started} ms, highvolt received the body in ${submission?.ms ?? "?"} ms; ` +
        `RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak growth ${(growth / MiB).toFixed(1)} MiB over ${samples} samples`
    )

    expect(answer).toMatchObject({ outcomes: [{ outcome: "submitted", key: "large/scan 300 MiB.pdf" }] })
    expect(app.outcomes().at(-1)).toMatchObject({ outcome: "submitted", bytes: objectSize, sha256: expected, mimetype: "application/pdf" })
    // Read once, submitted once.
    expect(gets.map((g) => g.status)).toEqual([200])
    expect(more).toHaveLength(0)
    expect(submission).toMatchObject({ accepted: true, status: 200, problems: [], warnings: [] })
    // The emulator decoded the base64 as it arrived and hashed the bytes itself.
    expect(submission!.fileData).toMatchObject({ bytes: objectSize, sha256: expected, base64Length: Math.ceil(objectSize / 3) * 4 })
    expect(submission!.contentLength).toBe(submission!.bodyBytes)
    expect(submission!.bodyBytes).toBeGreaterThan(Math.ceil(objectSize / 3) * 4)

    // Flat memory: the process grew by far less than the object (and its base64) while scanning.
    expect(samples).toBeGreaterThan(10)
    expect(growth).toBeLessThan(rssBudget)
    // The object went through a spool file (seen growing past 64 MiB) that no directory ever listed.
    expect(spooledMost).toBeGreaterThanOrEqual(64 * MiB)
    expect(spoolEntries()).toEqual([])
  }, 120_000)
})
