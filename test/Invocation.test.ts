import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Cause, Effect, FiberId, Layer, Ref } from "effect"
import { Credentials } from "../src/Credentials.js"
import { handle } from "../src/Invocation.js"
import type { Outcome } from "../src/Outcome.js"
import { OutcomeLog } from "../src/OutcomeLog.js"
import type { FakeObject } from "./helpers/fakeS3.js"
import { makeScanLayer, ownAccount } from "./helpers/scanLayer.js"

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`./fixtures/events/${name}`, import.meta.url), "utf8"))

const pdf = Buffer.from("%PDF-1.4\nhello\n")
const trickyKey = "docs/a b+c%2B ü.pdf"

const invoke = (input: unknown, objects: Record<string, FakeObject>, credentials?: Layer.Layer<Credentials>) =>
  Effect.gen(function*() {
    const { layer, highvolt } = yield* makeScanLayer(objects, credentials === undefined ? {} : { credentials })
    const recorded = yield* Ref.make<ReadonlyArray<Outcome>>([])
    const result = yield* Effect.either(handle(input).pipe(Effect.provide(Layer.merge(layer, OutcomeLog.test(recorded)))))
    return { result, outcomes: yield* Ref.get(recorded), submitted: yield* Ref.get(highvolt.submitted) }
  })

const sqsMessage = (messageId: string, body: unknown) => ({
  messageId,
  receiptHandle: "rh",
  body: typeof body === "string" ? body : JSON.stringify(body),
  attributes: {},
  messageAttributes: {},
  md5OfBody: "x",
  eventSource: "aws:sqs",
  eventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:q",
  awsRegion: "eu-west-1"
})

describe("Invocation.handle", () => {
  it.live("a CloudTrail event via EventBridge: the object is read under its true name and submitted", () =>
    Effect.gen(function*() {
      const { result, outcomes, submitted } = yield* invoke(fixture("cloudtrail-tricky-key-raw.synthetic.json"), {
        [`tricky-bucket/${trickyKey}`]: { bytes: pdf }
      })
      expect(result._tag).toBe("Right")
      expect(outcomes).toHaveLength(1)
      expect(outcomes[0]).toMatchObject({ outcome: "submitted", account: "123456789012", region: "eu-west-1", bucket: "tricky-bucket", key: trickyKey })
      expect(JSON.parse(submitted[0]!)).toMatchObject({ full_path: `s3://tricky-bucket/${trickyKey}`, filename: "a b+c%2B ü.pdf" })
    }))

  it.live("the same key, form-encoded by CloudTrail, is found through its alternate reading", () =>
    Effect.gen(function*() {
      const { outcomes } = yield* invoke(fixture("cloudtrail-tricky-key-encoded.synthetic.json"), { [`tricky-bucket/${trickyKey}`]: { bytes: pdf } })
      expect(outcomes[0]).toMatchObject({ outcome: "submitted", key: trickyKey })
    }))

  it.live("a failed single event fails the invocation (Lambda retries it) after recording its outcome", () =>
    Effect.gen(function*() {
      const { result, outcomes } = yield* invoke(fixture("cloudtrail-tricky-key-raw.synthetic.json"), {
        [`tricky-bucket/${trickyKey}`]: { bytes: pdf, error: { code: "AccessDenied", status: 403 } }
      })
      expect(result._tag === "Left" && result.left._tag).toBe("InvocationFailed")
      if (result._tag === "Left") expect(result.left.message).toContain("tricky-bucket")
      expect(outcomes.map((o) => o.outcome)).toEqual(["failed"])
    }))

  it.live("a failed call (errorCode) is skipped without reading anything; the invocation succeeds", () =>
    Effect.gen(function*() {
      const { result, outcomes } = yield* invoke(fixture("cloudtrail-putobject-access-denied.synthetic.json"), {})
      expect(result._tag).toBe("Right")
      expect(outcomes).toMatchObject([{ outcome: "skipped", reason: "failed-call" }])
    }))

  it.live("input that is no event at all fails visibly", () =>
    Effect.gen(function*() {
      const { result, outcomes } = yield* invoke({ hello: "world" }, {})
      expect(result._tag === "Left" && result.left._tag).toBe("InvocationFailed")
      expect(outcomes).toMatchObject([{ outcome: "failed", error: { tag: "InvalidEvent" } }])
    }))

  it.live("an SQS batch reports exactly the failed messages", () =>
    Effect.gen(function*() {
      const ok = fixture("cloudtrail-tricky-key-raw.synthetic.json")
      const denied = structuredClone(ok) as { detail: { requestParameters: { key: string } } }
      denied.detail.requestParameters.key = "secret/denied.pdf"
      const batch = {
        Records: [
          sqsMessage("m-ok", ok),
          sqsMessage("m-denied", denied),
          sqsMessage("m-garbage", "{not json"),
          sqsMessage("m-ignored", fixture("cloudtrail-putobject-access-denied.synthetic.json"))
        ]
      }
      const { result, outcomes } = yield* invoke(batch, {
        [`tricky-bucket/${trickyKey}`]: { bytes: pdf },
        "tricky-bucket/secret/denied.pdf": { bytes: pdf, error: { code: "AccessDenied", status: 403 } }
      })
      expect(result._tag === "Right" && result.right).toEqual({
        batchItemFailures: [{ itemIdentifier: "m-denied" }, { itemIdentifier: "m-garbage" }]
      })
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(["failed", "failed", "skipped", "submitted"])
    }))

  it.live("an event whose shared work was cancelled by another event ends failed; the rest of the batch goes on", () =>
    Effect.gen(function*() {
      // What a waiter sees when the fiber running the work it shares is interrupted: an interruption that is not its own.
      const cancelledElsewhere = Layer.succeed(Credentials, {
        ownAccount,
        invalidate: () => Effect.void,
        forAccount: (account) => account === ownAccount ? Effect.succeed({ _tag: "ExecutionRole" }) : Effect.failCause(Cause.interrupt(FiberId.none))
      })
      const member = fixture("cloudtrail-tricky-key-raw.synthetic.json")
      const batch = {
        Records: [sqsMessage("m-member", member), sqsMessage("m-ignored", fixture("cloudtrail-putobject-access-denied.synthetic.json"))]
      }
      const { result, outcomes } = yield* invoke(batch, { [`tricky-bucket/${trickyKey}`]: { bytes: pdf } }, cancelledElsewhere)
      expect(result._tag === "Right" && result.right).toEqual({ batchItemFailures: [{ itemIdentifier: "m-member" }] })
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(["failed", "skipped"])
      expect(outcomes.find((o) => o.outcome === "failed")).toMatchObject({ bucket: "tricky-bucket", error: { tag: "Interrupted" } })
    }))
})
