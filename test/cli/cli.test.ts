/**
 * The CLI as users run it: a child process (`tsx src/cli/main.ts`), its stdout, stderr and exit
 * code, against the embedded local stack (`--local`, `demo`).
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { canaryMarker } from "../../emulators/Fixtures.js"

const root = join(import.meta.dirname, "../..")

/** Runs the CLI in a child process; asynchronously, so that this worker stays responsive meanwhile. */
const cli = (args: ReadonlyArray<string>, input?: string, interruptWhen?: RegExp) => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: "1" }
  for (const name of ["JSONAIR_SECRET_NAME", "JSONAIR_URL", "JSONAIR_NAME", "JSONAIR_TYPE"]) delete env[name]
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root, env, timeout: 60_000 })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s))
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr += s
      if (interruptWhen?.test(stderr) === true) child.kill("SIGINT")
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input ?? "")
  })
}

const fixture = (name: string) => join(root, "test/fixtures/events", name)

describe("highvolt-s3", () => {
  it("demo: seeds the stack, replays its events and exits 0 with every submission verified", async () => {
    const run = await cli(["demo"])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/16 event\(s\), 0 failed/)
    // Then backfill --direct of the member accounts: the two objects no event named are submitted, the rest known.
    expect(run.stdout).toMatch(/submitted\s+2\s+5500\n(.*\n)*15 object\(s\), 0 failed/)
    // Then backfill --batch-operations: a job per member account × Region, the restored object submitted.
    expect(run.stdout).toMatch(/succeeded: duplicate 12, skipped: archived 1, skipped: mime 1, skipped: size 1, submitted 1\n16 task\(s\) in 4 job\(s\), 0 failed/)
    expect(run.stdout).toMatch(/highvolt-server received 13 submission\(s\)/)
    expect(run.stdout).not.toMatch(/\s(rejected|mismatch)/)
    expect(run.stdout).toMatch(/Logins: JSONAir 1, highvolt 1; AssumeRole calls: 2/)
    expect(run.stdout + run.stderr).not.toContain(canaryMarker)
  }, 60_000)

  it("Ctrl-C exits 130 (SIGINT, as a shell reports it)", async () => {
    const run = await cli(["local"], undefined, /Ctrl-C stops it/)
    expect(run.code).toBe(130)
    expect(run.stdout).toContain("export AWS_ENDPOINT_URL_S3_CONTROL=")
  }, 60_000)

  it("replay --json prints exactly one JSON outcome per event on stdout and exits 1 when one failed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hv-cli-"))
    const input = join(dir, "events.jsonl")
    const lines = [
      "01-cloudtrail-putobject-via-eventbridge.stepfunctions-doc.json", // an account outside the organization: fails
      "cloudtrail-putobject-access-denied.synthetic.json", // a failed upload: skipped
      "s3-test-event.s3-doc.json" // S3's test message: skipped
    ].map((name) => JSON.stringify(JSON.parse(readFileSync(fixture(name), "utf8"))))
    writeFileSync(input, lines.join("\n") + "\nnot json\n")
    const run = await cli(["replay", "--local", "--json", input])
    expect(run.code).toBe(1)
    const outcomes = run.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(outcomes.map((o) => [o["outcome"], o["reason"] ?? (o["error"] as { tag: string } | undefined)?.tag])).toEqual(
      expect.arrayContaining([["failed", "CredentialsError"], ["skipped", "failed-call"], ["skipped", "not-object-created"], ["failed", "InvalidJson"]])
    )
    expect(outcomes).toHaveLength(4)
    for (const o of outcomes) expect(o).toHaveProperty("eventId")
    expect(run.stdout + run.stderr).not.toContain(canaryMarker)
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it("replay reads standard input and prints a summary table", async () => {
    const run = await cli(["replay", "--local", "-"], `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","awsRegion":"eu-west-1","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/skipped\s+not-object-created\s+1/)
    expect(run.stdout).toMatch(/1 event\(s\), 0 failed/)
  }, 60_000)

  it.each([
    [["replay", "does-not-exist.json"], /cannot read does-not-exist.json/],
    [["replay", fixture("s3-test-event.s3-doc.json")], /cannot start: invalid Lambda environment: JSONAIR_SECRET_NAME is required/],
    [["replay", "--concurrency", "0", "x"], /--concurrency must be at least 1/],
    [["frobnicate"], /Invalid subcommand/],
    [["backfill", "--direct", "--batch-operations"], /--direct and --batch-operations exclude each other/],
    [["backfill", "--direct", "--manifest", "inventory:s3://b/m.json"], /go with --batch-operations/],
    [["backfill", "--batch-operations", "--manifest", "s3://b/m.csv"], /expected inventory:s3:\/\/<bucket>/],
    [["backfill", "--batch-operations", "--manifest", "inventory:s3://b/m.json", "--account", "222222222222,333333333333", "--region", "eu-west-1"], /exactly one --account and one --region/]
  ])("exits 2 with a message for usage and configuration errors: %j", async (args, message) => {
    const run = await cli(args)
    expect(run.code).toBe(2)
    expect(run.stdout + run.stderr).toMatch(message)
  }, 60_000)
})
