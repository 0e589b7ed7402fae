import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { ServiceError } from "../src/ServiceError.js"
import { ObjectError, type ObjectErrorReason } from "../src/Objects.js"
import { type Ending, type Location, settle, Skipped } from "../src/Outcome.js"

const where: Location = { eventId: "e1", account: "222222222222", region: "eu-west-1", bucket: "b", key: "event key" }

const objectError = (reason: ObjectErrorReason) =>
  new ObjectError({ account: "222222222222", region: "eu-west-1", bucket: "b", key: "served key", reason, detail: `S3 said ${reason}` })

const settled = (scan: Effect.Effect<never, unknown>) => Effect.runPromise(settle(where)(scan as Effect.Effect<never, ServiceError>))

describe("settle", () => {
  it("a completed scan is its verdict at the location, with the key S3 served", async () => {
    const ending = await Effect.runPromise(settle(where)(Effect.succeed({ outcome: "submitted" as const, key: "served key", bytes: 3 })))
    expect(ending).toEqual({ ...where, key: "served key", bytes: 3, outcome: "submitted" })
  })

  it("a skip keeps its reason, detail and findings", async () => {
    const ending = await settled(Effect.fail(new Skipped({ reason: "mime", detail: "x/y is not in the allow-list", mimetype: "x/y", bytes: 9 })))
    expect(ending).toEqual({ ...where, outcome: "skipped", reason: "mime", detail: "x/y is not in the allow-list", mimetype: "x/y", bytes: 9 })
  })

  it.each(["not-found", "archived", "sse-c"] as const)("an object S3 will not serve (%s) is skipped under the key it tried", async (reason) => {
    const ending = await settled(Effect.fail(objectError(reason)))
    expect(ending).toEqual({ ...where, key: "served key", outcome: "skipped", reason, detail: `S3 said ${reason}` })
  })

  it.each(["access-denied", "credentials-expired", "unavailable", "failed"] as const)("an object error %s is a failure", async (reason) => {
    const ending = await settled(Effect.fail(objectError(reason)))
    expect(ending).toMatchObject({ ...where, outcome: "failed", error: { tag: "ObjectError", message: objectError(reason).message } })
  })

  it("any other error is a failure with its tag and message", async () => {
    const error = new ServiceError({ service: "highvolt", operation: "submit", reason: "status", status: 500, detail: "HTTP 500" })
    const ending: Ending = await settled(Effect.fail(error))
    expect(ending).toEqual({ ...where, outcome: "failed", error: { tag: "ServiceError", message: error.message, transient: true } })
  })

  it("a defect is a failure, not a crash", async () => {
    const ending = await settled(Effect.die(new Error("bug")))
    expect(ending).toMatchObject({ ...where, outcome: "failed", error: { tag: "Defect" } })
    expect(ending.outcome === "failed" && ending.error.message).toContain("bug")
  })

  it("an interruption of shared work it waited on is a failure, and does not escape", async () => {
    const ending = await Effect.runPromise(Effect.gen(function*() {
      const shared = yield* Effect.fork(Effect.never)
      const waiter = yield* Effect.fork(settle(where)(Fiber.join(shared)))
      yield* Fiber.interrupt(shared)
      return yield* Fiber.join(waiter)
    }))
    expect(ending).toMatchObject({ ...where, outcome: "failed", error: { tag: "Interrupted" } })
  })
})
