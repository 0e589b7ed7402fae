/**
 * The Lambda as it ships: `npm run build`, then `dist/lambda/index.mjs` imported by a plain Node
 * process (no tsx, no vitest) whose `handler` scans a real event against the embedded stack.
 * Proves the bundle is self-contained and that the pieces stubbed out of it (undici) are unused.
 */
import { execFile, execFileSync } from "node:child_process"
import { promisify } from "node:util"
import { statSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cloudTrail } from "../emulators/EventFactory.js"
import * as LocalStack from "../emulators/LocalStack.js"

const root = join(import.meta.dirname, "..")
let scope: Scope.CloseableScope
let stack: LocalStack.LocalStackHandle

beforeAll(async () => {
  execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" })
  scope = Effect.runSync(Scope.make())
  stack = await Effect.runPromise(Scope.extend(LocalStack.start(), scope))
}, 120_000)

afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

describe("the Lambda bundle", () => {
  it("stays within 1.5 MB", () => {
    expect(statSync(join(root, "dist/lambda/index.mjs")).size).toBeLessThan(1.5 * 1024 * 1024)
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
