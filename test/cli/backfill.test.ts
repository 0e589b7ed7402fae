/**
 * `highvolt-s3 backfill --direct` as users run it: the real CLI in a child process, pointed at
 * the local stack of this file, over 2 member accounts × 2 Regions. What highvolt-server
 * received is the measure: every object exactly once, also across a kill and a rerun.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { childEnv, useStack } from "../helpers/localStackHarness.js"
import { leakedSecrets, pdf, sha256 } from "../helpers/stackQueries.js"

const root = join(import.meta.dirname, "../..")
const fixture = useStack()
const dir = mkdtempSync(join(tmpdir(), "hv-backfill-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI; with `killAfter`, SIGKILLs it once that many outcome lines were printed. */
const cli = (args: ReadonlyArray<string>, options: { readonly killAfter?: number; readonly env?: Record<string, string | undefined> } = {}) =>
  new Promise<Run>((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: root,
      env: { ...childEnv(fixture.env, options.env), NODE_NO_WARNINGS: "1" },
      timeout: 120_000
    })
    let stdout = ""
    let stderr = ""
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      stdout += s
      if (options.killAfter !== undefined && stdout.split("\n").length - 1 >= options.killAfter) child.kill("SIGKILL")
    })
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
    child.stdin!.end()
  })

const outcomesOf = (run: Run) =>
  run.stdout.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as Record<string, any>)

/** Keys S3 lists in many orders of bytes: spaces, `+`, `%`, non-ASCII, emoji, deep paths. */
const trickyKey = (prefix: string, i: number) => {
  const shapes = [
    `${prefix}plain-${i}.pdf`,
    `${prefix}with space ${i}.pdf`,
    `${prefix}plus+${i}+sign.pdf`,
    `${prefix}percent%20${i}%2B.pdf`,
    `${prefix}ünïcödé/résumé ${i}.pdf`,
    `${prefix}日本語/ファイル${i}.pdf`,
    `${prefix}emoji/😀 ${i}.pdf`,
    `${prefix}deep/a/b/c/${i}.pdf`,
    `${prefix}amp&<quote"${i}'.pdf`
  ]
  return shapes[i % shapes.length]!
}

interface Seeded {
  readonly account: string
  readonly region: string
  readonly bucket: string
  readonly key: string
  readonly sha256: string
  readonly bytes: number
}

/** `perBucket` unique PDFs under `prefix` in each member bucket (2 accounts × 2 Regions). */
const seed = async (prefix: string, perBucket: number): Promise<ReadonlyArray<Seeded>> => {
  const stack = fixture.stack
  const targets = stack.accounts.members.slice(0, 2).flatMap((account) => stack.regions.slice(0, 2).map((region) => ({ account, region, bucket: stack.bucketName(account, region) })))
  const objects = targets.flatMap((t) => Array.from({ length: perBucket }, (_, i) => ({ ...t, key: trickyKey(prefix, i), body: pdf(`${t.bucket}/${prefix}${i}`) })))
  await Effect.runPromise(Effect.forEach(objects, (o) => stack.putObject({ bucket: o.bucket, key: o.key, body: o.body }), { concurrency: 16, discard: true }))
  return objects.map(({ body, ...o }) => ({ ...o, sha256: sha256(body), bytes: body.length }))
}

const scopeArgs = () => {
  const stack = fixture.stack
  return ["--account", stack.accounts.members.slice(0, 2).join(","), "--region", stack.regions[0]!, "--region", stack.regions[1]!]
}

/** What highvolt-server accepted of these objects, by SHA256. */
const acceptedOf = (objects: ReadonlyArray<Seeded>) => {
  const wanted = new Set(objects.map((o) => o.sha256))
  const counts = new Map<string, number>()
  for (const s of fixture.stack.highvolt.submissions) {
    const hash = String(s.fields["sha256"])
    if (s.accepted && wanted.has(hash)) counts.set(hash, (counts.get(hash) ?? 0) + 1)
  }
  return counts
}

const where = (o: { bucket?: string; key?: string }) => `${o.bucket}/${o.key}`

describe("highvolt-s3 backfill --direct", () => {
  let full: ReadonlyArray<Seeded> = []
  beforeAll(async () => {
    full = await seed("full/", 130)
  }, 120_000)

  it("--dry-run counts the objects and bytes it would scan, with an estimated cost, and scans nothing", async () => {
    const submissions = fixture.stack.highvolt.submissions.length
    const text = await cli(["backfill", "--direct", "--dry-run", ...scopeArgs(), "--prefix", "full/", "--checkpoint", join(dir, "dry.json")])
    expect(text.code).toBe(0)
    const bytes = full.reduce((n, o) => n + o.bytes, 0)
    expect(text.stdout).toContain(`${full.length} object(s), ${bytes} bytes`)
    expect(text.stdout).toMatch(/S3 requests \$0\.\d+ \(520 GET, \d+ LIST\)/)
    expect(text.stdout).toMatch(/scanned by the Lambda: \$\d+\.\d+/)
    const json = await cli(["backfill", "--direct", "--dry-run", "--json", ...scopeArgs(), "--prefix", "full/", "--checkpoint", join(dir, "dry.json")])
    const report = JSON.parse(json.stdout) as { objects: number; bytes: number; buckets: Array<{ bucket: string; objects: number }> }
    expect([report.objects, report.bytes, report.buckets.length]).toEqual([full.length, bytes, 4])
    expect(report.buckets.every((b) => b.objects === 130)).toBe(true)
    expect(fixture.stack.highvolt.submissions.length).toBe(submissions)
    expect(existsSync(join(dir, "dry.json"))).toBe(false)
  }, 120_000)

  it("scans every object of 2 accounts × 2 Regions exactly once (520 objects, tricky keys)", async () => {
    const queries = fixture.stack.highvolt.counters.queries
    const checkpoint = join(dir, "full.json")
    const run = await cli(["backfill", "--direct", "--json", "--concurrency", "8", ...scopeArgs(), "--prefix", "full/", "--checkpoint", checkpoint])
    expect(run.stderr).not.toMatch(/Error|error/)
    expect(run.code).toBe(0)
    const outcomes = outcomesOf(run)
    expect(outcomes).toHaveLength(full.length)
    expect(new Set(outcomes.map(where)).size).toBe(full.length)
    expect(outcomes.map(where).sort()).toEqual(full.map(where).sort())
    expect(outcomes.every((o) => o["outcome"] === "submitted")).toBe(true)
    const accepted = acceptedOf(full)
    expect(accepted.size).toBe(full.length)
    expect([...accepted.values()].every((n) => n === 1)).toBe(true)
    expect(fixture.stack.highvolt.counters.queries - queries).toBe(full.length)
    // The submissions carry the object's location as listed.
    const one = fixture.stack.highvolt.submissions.find((s) => s.fields["sha256"] === full[4]!.sha256)!
    expect(one.fields["s3"]).toMatchObject({ key: full[4]!.key, bucket: full[4]!.bucket, account_id: full[4]!.account, event_name: "Backfill" })
    expect(leakedSecrets(fixture.stack, [run.stdout, run.stderr, readFileSync(checkpoint, "utf8")])).toEqual([])

    // Run again: everything is settled, nothing is scanned.
    const again = await cli(["backfill", "--direct", ...scopeArgs(), "--prefix", "full/", "--checkpoint", checkpoint])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/0 object\(s\), 0 failed/)
    expect(fixture.stack.highvolt.counters.queries - queries).toBe(full.length)
  }, 180_000)

  it("killed half-way (SIGKILL) and run again, it finishes with no object scanned twice, none missed and every outcome printed once", async () => {
    const objects = await seed("resume/", 130)
    const checkpoint = join(dir, "resume.json")
    const args = ["backfill", "--direct", "--json", "--concurrency", "4", ...scopeArgs(), "--prefix", "resume/", "--checkpoint", checkpoint]
    const first = await cli(args, { killAfter: 200 })
    expect(first.signal).toBe("SIGKILL")
    // Only whole lines: the kill may have cut the last one.
    const before = outcomesOf({ ...first, stdout: first.stdout.slice(0, first.stdout.lastIndexOf("\n") + 1) })
    expect(before.length).toBeGreaterThanOrEqual(200)
    expect(before.length).toBeLessThan(objects.length)
    expect(existsSync(checkpoint)).toBe(true)

    const second = await cli(args)
    expect(second.code).toBe(0)
    const after = outcomesOf(second)
    const firstKeys = new Set(before.map(where))
    expect(after.filter((o) => firstKeys.has(where(o)))).toEqual([])
    expect([...before, ...after].map(where).sort()).toEqual(objects.map(where).sort())
    const accepted = acceptedOf(objects)
    expect(accepted.size).toBe(objects.length)
    expect([...accepted.entries()].filter(([, n]) => n !== 1)).toEqual([])
  }, 180_000)

  it("a key that failed is listed in the summary (exit 1) and scanned again by the next run", async () => {
    const stack = fixture.stack
    const objects = await seed("retry/", 5)
    const victim = objects[7]!
    stack.s3.faults.inject({ kind: "error", error: { status: 403, code: "AccessDenied", message: "Access Denied" } }, { bucket: victim.bucket, key: victim.key, action: "GetObject", times: 1 })
    const checkpoint = join(dir, "retry.json")
    const args = ["backfill", "--direct", ...scopeArgs(), "--prefix", "retry/", "--checkpoint", checkpoint]
    const first = await cli(args)
    expect(first.code).toBe(1)
    expect(first.stdout).toMatch(/20 object\(s\), 1 failed/)
    expect(first.stdout).toContain(`s3://${victim.bucket}/${victim.key}`)
    expect(first.stdout).toMatch(/1 key\(s\) failed; run the same command again/)
    const second = await cli(args)
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/submitted\s+1\b/)
    expect(second.stdout).toMatch(/1 object\(s\), 0 failed/)
    expect(acceptedOf(objects).get(victim.sha256)).toBe(1)
  }, 120_000)

  it("versioned buckets: only each key's current version is scanned; a deleted key is not", async () => {
    const stack = fixture.stack
    const [account, region] = [stack.accounts.members[1]!, stack.regions[0]!]
    const bucket = "hv-backfill-versioned"
    await Effect.runPromise(Effect.gen(function*() {
      yield* stack.createBucket({ name: bucket, account, region, versioned: true })
      yield* stack.putObject({ bucket, key: "doc.pdf", body: pdf("v1") })
      yield* stack.putObject({ bucket, key: "doc.pdf", body: pdf("v2") })
      yield* stack.putObject({ bucket, key: "gone.pdf", body: pdf("gone") })
      yield* stack.deleteObject(bucket, "gone.pdf")
    }))
    const current = pdf("v3")
    await Effect.runPromise(stack.putObject({ bucket, key: "doc.pdf", body: current }))
    const run = await cli(["backfill", "--direct", "--json", "--account", account, "--region", region, "--bucket", bucket, "--checkpoint", join(dir, "versioned.json")])
    expect(run.code).toBe(0)
    const outcomes = outcomesOf(run)
    expect(outcomes.map((o) => [o["key"], o["outcome"], o["sha256"]])).toEqual([["doc.pdf", "submitted", sha256(current)]])
  }, 120_000)

  it.each([
    [["backfill"], /backfill needs a mode: --direct/],
    [["backfill", "--direct", "--account", "12345"], /--account "12345": an AWS account id is 12 digits/],
    [["backfill", "--direct", "--region", "mars-1"], /--region "mars-1": not an AWS region name/],
    [["backfill", "--direct", "--concurrency", "0"], /--concurrency must be at least 1/],
    [["backfill", "--direct", "--bucket", "a/b"], /--bucket "a\/b": not an S3 bucket name/]
  ])("bad options exit 2 naming what is wrong: %j", async (args, message) => {
    const run = await cli(args)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
  }, 60_000)

  it("a checkpoint of another scope is refused; a bucket named that is in none of the accounts fails, named", async () => {
    const checkpoint = join(dir, "other.json")
    writeFileSync(checkpoint, JSON.stringify({ version: 1, scope: { accounts: ["999999999999"], regions: ["eu-west-1"], buckets: [], prefix: "" }, buckets: {} }))
    const refused = await cli(["backfill", "--direct", ...scopeArgs(), "--checkpoint", checkpoint])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/was written for another backfill \(accounts 999999999999, regions eu-west-1\)/)
    const missing = await cli(["backfill", "--direct", ...scopeArgs(), "--bucket", "no-such-bucket", "--checkpoint", join(dir, "missing.json")])
    expect(missing.code).toBe(1)
    expect(missing.stdout).toMatch(/BucketNotFound: bucket no-such-bucket is not among the buckets of accounts/)
  }, 60_000)
})
