import { describe, expect, it } from "vitest"
import { readFileSync } from "node:fs"
import { Effect, Layer, Ref } from "effect"
import { makeHandler } from "../src/LambdaHandler.js"
import type { Outcome } from "../src/Outcome.js"
import { OutcomeLog } from "../src/OutcomeLog.js"
import { makeScanLayer } from "./helpers/scanLayer.js"

const event = JSON.parse(readFileSync(new URL("./fixtures/events/cloudtrail-tricky-key-raw.synthetic.json", import.meta.url), "utf8"))
const objects = { "tricky-bucket/docs/a b+c%2B ü.pdf": { bytes: Buffer.from("%PDF-1.4\n") } }
const context = (ms = 60_000) => ({ getRemainingTimeInMillis: () => ms })

/** The scan's test layer plus a build step that fails while `failing` says so, counting builds. */
const counted = (failing: (build: number) => boolean, buildMs = 0) => {
  let builds = 0
  const recorded = Effect.runSync(Ref.make<ReadonlyArray<Outcome>>([]))
  const { layer } = Effect.runSync(makeScanLayer(objects))
  const build = Layer.effectDiscard(Effect.suspend(() => {
    builds++
    return Effect.sleep(buildMs).pipe(Effect.zipRight(failing(builds) ? Effect.fail(new Error("JSONAir unreachable")) : Effect.void))
  }))
  return { layer: Layer.mergeAll(layer, OutcomeLog.test(recorded), build), builds: () => builds, recorded }
}

describe("makeHandler", () => {
  it("builds nothing at load, builds once on the first invocation and reuses it", async () => {
    const app = counted(() => false)
    const lambda = makeHandler(app.layer)
    expect(app.builds()).toBe(0)
    await lambda.handler(event, context())
    await lambda.handler(event, context())
    expect(app.builds()).toBe(1)
    // The second event meets the same container state: highvolt already has the content.
    expect(Effect.runSync(Ref.get(app.recorded)).map((o) => o.outcome)).toEqual(["submitted", "duplicate"])
    await lambda.dispose()
  })

  it("a failed cold start fails the invocation, is not kept, and the next invocation builds again", async () => {
    const app = counted((n) => n === 1)
    const lambda = makeHandler(app.layer)
    await expect(lambda.handler(event, context())).rejects.toThrow("JSONAir unreachable")
    await expect(lambda.handler(event, context())).resolves.toMatchObject({ outcomes: [{ outcome: "submitted" }] })
    expect(app.builds()).toBe(2)
    await lambda.dispose()
  })

  it("a cold start that outlasts the invocation's budget fails it in time", async () => {
    const app = counted(() => false, 2_500)
    const lambda = makeHandler(app.layer)
    const started = Date.now()
    await expect(lambda.handler(event, context(3_500))).rejects.toThrow("cold start did not finish before the invocation's deadline")
    expect(Date.now() - started).toBeLessThan(2_000)
    await lambda.dispose()
  })

  it("a failed cold start answers a Batch Operations job, every task a TemporaryFailure (the job retries them), instead of failing", async () => {
    const app = counted((n) => n === 1)
    const lambda = makeHandler(app.layer)
    const job = {
      invocationSchemaVersion: "2.0",
      invocationId: "inv",
      job: { id: "j", userArguments: { accountId: "222222222222", region: "eu-west-1" } },
      tasks: [{ taskId: "t1", s3Bucket: "tricky-bucket", s3Key: "docs/a+b%2Bc%252B+%C3%BC.pdf", s3VersionId: null }, { taskId: "t2", s3Bucket: "b", s3Key: "k" }]
    }
    await expect(lambda.handler(job, context())).resolves.toEqual({
      invocationSchemaVersion: "2.0",
      treatMissingKeysAs: "PermanentFailure",
      invocationId: "inv",
      results: [
        { taskId: "t1", resultCode: "TemporaryFailure", resultString: "cold start failed: JSONAir unreachable" },
        { taskId: "t2", resultCode: "TemporaryFailure", resultString: "cold start failed: JSONAir unreachable" }
      ]
    })
    // The next invocation builds again and scans.
    await expect(lambda.handler(job, context())).resolves.toMatchObject({ results: [{ taskId: "t1", resultCode: "Succeeded" }, { taskId: "t2" }] })
    await lambda.dispose()
  })

  it("a failed event rejects with a plain Error carrying our message", async () => {
    const app = counted(() => false)
    const lambda = makeHandler(app.layer)
    const error = await lambda.handler({ Records: "nope" }, context()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(Object.getPrototypeOf(error)).toBe(Error.prototype)
    expect((error as Error).message).toMatch(/invalid event/)
    await lambda.dispose()
  })
})
