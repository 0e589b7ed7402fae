/**
 * What ships, built once (`npm run build`) and run as users run it, by plain Node processes (no
 * tsx, no vitest): the Lambda bundle `dist/lambda/index.mjs`, whose `handler` scans a real event
 * against the embedded stack (proving the bundle is self-contained and that the pieces stubbed
 * out of it, undici, are unused); and the CLI, packed with `npm pack` and installed into an
 * empty folder, offline: the package has no runtime dependencies, both artifacts are bundles.
 */
import { execFile, execFileSync } from "node:child_process"
import { promisify } from "node:util"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { unzipSync } from "fflate"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cloudTrail } from "../emulators/EventFactory.js"
import { canaryMarker, defaults } from "../emulators/Fixtures.js"
import * as LocalStack from "../emulators/LocalStack.js"

const root = join(import.meta.dirname, "..")
const run = promisify(execFile)
let scope: Scope.CloseableScope
let stack: LocalStack.LocalStackHandle
/** Where the packed CLI is installed. */
let installed = ""

beforeAll(async () => {
  execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" })
  scope = Effect.runSync(Scope.make())
  stack = await Effect.runPromise(Scope.extend(LocalStack.start(), scope))
  installed = mkdtempSync(join(tmpdir(), "hv-installed-"))
  // Already built: `--ignore-scripts` skips prepack's second build.
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", installed], { cwd: root, encoding: "utf8" }))
  writeFileSync(join(installed, "package.json"), JSON.stringify({ name: "install-check", private: true }))
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", join(installed, packed[0].filename)], { cwd: installed, stdio: "ignore" })
}, 180_000)

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  if (installed !== "") rmSync(installed, { recursive: true, force: true })
})

describe("the Lambda bundle", () => {
  it("stays within 1.5 MB, the entry and its chunks together", () => {
    const files = readdirSync(join(root, "dist/lambda"), { recursive: true, withFileTypes: true }).filter((f) => f.isFile())
    expect(files.map((f) => f.name)).toContain("index.mjs")
    expect(files.reduce((sum, f) => sum + statSync(join(f.parentPath, f.name)).size, 0)).toBeLessThan(1.5 * 1024 * 1024)
  })

  it("scans an event end to end in a plain Node process, printing one EMF outcome line", async () => {
    const member = stack.accounts.members[0]!
    const region = stack.regions[0]!
    const bucket = stack.bucketName(member, region)
    await Effect.runPromise(stack.putObject({ bucket, key: "bundle/check.pdf", body: "%PDF-1.4\nbundle check\n" }))
    const event = cloudTrail({ account: member, region, bucket, key: "bundle/check.pdf" })
    const script = `
      const { handler } = await import(${JSON.stringify(join(root, "dist/lambda/index.mjs"))})
      const result = await handler(JSON.parse(process.env.EVENT), { getRemainingTimeInMillis: () => 30000 })
      console.error("RESULT " + JSON.stringify(result))
      process.exit(0)`
    // Asynchronous: the stack serves from this very process, whose event loop must keep running.
    const run = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env["PATH"], NODE_NO_WARNINGS: "1", ...stack.env, EVENT: JSON.stringify(event) },
      encoding: "utf8",
      timeout: 60_000
    })
    expect(run.stderr).toContain(`RESULT {"outcomes":[{"outcome":"submitted"`)
    const emf = run.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>)
    const outcomes = emf.filter((l) => "_aws" in l)
    expect(outcomes).toHaveLength(1)
    expect(outcomes[0]).toMatchObject({ Outcome: "submitted", key: "bundle/check.pdf", account: member, Events: 1 })
    expect(stack.highvolt.submissions.at(-1)?.accepted).toBe(true)
    for (const secret of stack.secretValues()) expect(run.stdout + run.stderr).not.toContain(secret)
  }, 60_000)
})

describe("the Lambda zip", () => {
  it("index.handler from dist/lambda.zip answers an S3 Batch Operations 2.0 job: one result per task, EMF lines with Source backfill", async () => {
    // Unpacked as Lambda unpacks it, and loaded from there: what is deployed, not the build folder.
    const unpacked = mkdtempSync(join(tmpdir(), "hv-lambda-zip-"))
    try {
      for (const [name, bytes] of Object.entries(unzipSync(readFileSync(join(root, "dist/lambda.zip"))))) {
        if (name.endsWith("/")) continue
        mkdirSync(join(unpacked, name, ".."), { recursive: true })
        writeFileSync(join(unpacked, name), bytes)
      }
      const member = stack.accounts.members[1]!
      const region = stack.regions[0]!
      const bucket = stack.bucketName(member, region)
      await Effect.runPromise(stack.putObject({ bucket, key: "bundle/batch job.pdf", body: "%PDF-1.4\nbatch job\n" }))
      const job = {
        invocationSchemaVersion: "2.0",
        invocationId: "bundle-invocation",
        job: { id: "bundle-job", userArguments: { accountId: member, region } },
        tasks: [
          { taskId: "t-found", s3Bucket: bucket, s3Key: "bundle/batch+job.pdf", s3VersionId: null },
          { taskId: "t-bad", s3Bucket: "not/a/bucket", s3Key: "x", s3VersionId: null }
        ]
      }
      const script = `
        const { handler } = await import(${JSON.stringify(join(unpacked, "index.mjs"))})
        const result = await handler(JSON.parse(process.env.EVENT), { getRemainingTimeInMillis: () => 30000 })
        console.error("RESULT " + JSON.stringify(result))
        process.exit(0)`
      const run = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
        env: { PATH: process.env["PATH"], NODE_NO_WARNINGS: "1", ...stack.env, EVENT: JSON.stringify(job) },
        encoding: "utf8",
        timeout: 60_000
      })
      const result = JSON.parse(run.stderr.split("\n").find((l) => l.startsWith("RESULT "))!.slice("RESULT ".length))
      expect(result).toEqual({
        invocationSchemaVersion: "2.0",
        treatMissingKeysAs: "PermanentFailure",
        invocationId: "bundle-invocation",
        results: [
          { taskId: "t-found", resultCode: "Succeeded", resultString: "submitted" },
          { taskId: "t-bad", resultCode: "PermanentFailure", resultString: expect.stringMatching(/^InvalidTask: tasks\[1\]\.s3Bucket: not an S3 bucket name/) }
        ]
      })
      const emf = run.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => "_aws" in l)
      // Lines are written as tasks end, in any order.
      expect(emf.map((l) => [l["eventId"], l["Outcome"], l["Source"]]).sort()).toEqual([["t-bad", "failed", "backfill"], ["t-found", "submitted", "backfill"]])
      for (const secret of stack.secretValues()) expect(run.stdout + run.stderr).not.toContain(secret)
    } finally {
      rmSync(unpacked, { recursive: true, force: true })
    }
  }, 60_000)
})

describe("the installed CLI", () => {
  /** `highvolt-s3` as npm linked it, with an environment that holds nothing of this machine's AWS setup. */
  const highvoltS3 = (args: ReadonlyArray<string>) =>
    run(join(installed, "node_modules/.bin/highvolt-s3"), args, {
      cwd: installed,
      env: { PATH: process.env["PATH"], NODE_NO_WARNINGS: "1", NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000
    }).then(
      ({ stderr, stdout }) => ({ code: 0, stdout, stderr }),
      (error: { code?: unknown; stdout?: string; stderr?: string }) => ({ code: error.code, stdout: error.stdout ?? "", stderr: error.stderr ?? "" })
    )

  it("holds the two bundles and nothing else to install", () => {
    const manifest = JSON.parse(readFileSync(join(installed, "node_modules/highvolt-aws-s3-lambda/package.json"), "utf8"))
    expect(manifest.dependencies).toBeUndefined()
    expect(statSync(join(installed, "node_modules/highvolt-aws-s3-lambda/dist/lambda.zip")).size).toBeGreaterThan(100_000)
  })

  it("--version is the package's version", async () => {
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
    const answer = await highvoltS3(["--version"])
    expect(answer.code).toBe(0)
    expect(answer.stdout.trim()).toBe(version)
  })

  it.each([
    ["highvolt-s3", []],
    ["replay", ["replay"]],
    ["local", ["local"]],
    ["demo", ["demo"]]
  ] as const)("--help of %s describes it", async (_, command) => {
    const answer = await highvoltS3([...command, "--help"])
    expect(answer.code).toBe(0)
    expect(answer.stdout).toContain("USAGE")
    for (const name of command.length === 0 ? ["replay", "local", "demo"] : command) expect(answer.stdout).toContain(name)
  })

  it("replay --local scans a sample event against its own embedded stack", async () => {
    // The --local stack starts empty but for one bucket per account and Region: the object is not
    // there, which the scanner can only tell after the whole cold start and an AssumeRole.
    const [member] = defaults.memberAccounts
    const [region] = defaults.regions
    const events = join(installed, "event.json")
    writeFileSync(events, JSON.stringify(cloudTrail({ account: member, region, bucket: `hv-${member}-${region}`, key: "reports/missing.pdf" })))
    const answer = await highvoltS3(["replay", "--local", "--json", events])
    expect(answer.stderr).toBe("")
    expect(answer.code).toBe(0)
    const outcomes = answer.stdout.trim().split("\n").map((line) => JSON.parse(line))
    expect(outcomes).toEqual([expect.objectContaining({ outcome: "skipped", reason: "not-found", account: member, key: "reports/missing.pdf" })])
  })

  it("demo submits the seeded files and exits 0", async () => {
    const answer = await highvoltS3(["demo"])
    expect(answer.code).toBe(0)
    expect(answer.stdout).toMatch(/highvolt-server received 13 submission\(s\)/)
    expect(answer.stdout + answer.stderr).not.toContain(canaryMarker)
  })
})
