/**
 * Bad input through the production handler and the CLI: malformed JSON, empty input, batches
 * mixing valid and invalid events, 10 MB events, wrong field types, missing bucket or key,
 * non-S3 events, unsupported event names, `errorCode` events, oversized keys. Each ends in a
 * typed, clear error (an `InvalidEvent` outcome naming the field, the invocation failing or the
 * message listed in `batchItemFailures`) or a skip reason; none stops the other events of a
 * batch or breaks the container. Properties (fast-check) over arbitrary JSON check the same at
 * the handler: the decoder's own properties are in test/Events.test.ts, the digest/base64
 * chunking property in test/Digest.test.ts and test/SubmissionBody.test.ts.
 */
import fc from "fast-check"
import { beforeAll, describe, expect, it } from "vitest"
import {
  answer,
  cloudTrail,
  type Container,
  expectClean,
  expectOneOutcome,
  leakedSecrets,
  notification,
  notificationRecord,
  rejection,
  runCli,
  seed,
  type Seeded,
  sqsBatch,
  sqsMessage,
  useStack,
  warmContainer
} from "./helpers.js"

const local = useStack()
let app: Container

const TEN_MB = 10 * 1024 * 1024

beforeAll(async () => {
  app = await warmContainer(local, "bad")
})

/** A CloudTrail event for `s`, edited. */
const edited = (s: Seeded, change: (event: any) => void) => {
  const event: any = cloudTrail(s.object)
  change(event)
  return event
}

/** The container still scans a fresh object after whatever came before. */
const stillWorks = async (label: string) => {
  const s = await seed(local.stack, `bad/after-${label}.pdf`)
  const event = cloudTrail(s.object)
  answer(await app.settle(event))
  expectOneOutcome(app, event.id, "submitted")
}

describe("single events that cannot be scanned", () => {
  const invalid: ReadonlyArray<readonly [string, () => Promise<unknown> | unknown, RegExp]> = [
    ["null", () => null, /^1 item\(s\) failed: invalid event: event: /],
    ["an empty object", () => ({}), /invalid event: /],
    ["an empty string", () => "", /invalid event: event: /],
    ["a string of malformed JSON", () => "{\"detail\": ", /invalid event: event: /],
    ["a number", () => 42, /invalid event: event: /],
    ["Records that are not a list", () => ({ Records: "nope" }), /invalid event: Records: /],
    ["a bucket name of the wrong type", async () => edited(await seed(local.stack, "bad/type.pdf"), (e) => (e.detail.requestParameters.bucketName = 42)), /detail\.requestParameters\.bucketName: expected a string, got 42/],
    ["a missing bucket", async () => edited(await seed(local.stack, "bad/no-bucket.pdf"), (e) => delete e.detail.requestParameters.bucketName), /detail\.requestParameters\.bucketName: is missing/],
    ["a missing key", async () => edited(await seed(local.stack, "bad/no-key.pdf"), (e) => delete e.detail.requestParameters.key), /detail\.requestParameters\.key: is missing/],
    ["an oversized key (5000 characters)", async () => edited(await seed(local.stack, "bad/long.pdf"), (e) => (e.detail.requestParameters.key = "k".repeat(5000))), /an S3 key is at most 1024 bytes/],
    ["a 10 MB event without a key", async () => edited(await seed(local.stack, "bad/10mb.pdf"), (e) => {
      e.detail.padding = "x".repeat(TEN_MB)
      delete e.detail.requestParameters.key
    }), /detail\.requestParameters\.key: is missing/]
  ]

  it.each(invalid)("%s: rejected with a short message naming the problem, one failed InvalidEvent outcome", async (_, make, expected) => {
    const event = await make()
    const before = app.outcomes().length
    const invoked = await app.settle(event)
    const message = rejection(invoked).message
    expect(message).toMatch(expected)
    expect(message.length).toBeLessThan(400)
    expect(invoked.ms).toBeLessThan(3_000)
    const recorded = app.outcomes().slice(before)
    expect(recorded).toMatchObject([{ outcome: "failed", error: { tag: "InvalidEvent" } }])
    expectClean(local.stack, app, [message])
  })

  it("the container keeps working after all of that", () => stillWorks("single"))

  it("events that are not object creations are skipped with their reason, and the invocation succeeds", async () => {
    const s = await seed(local.stack, "bad/skipped.pdf")
    const cases: ReadonlyArray<readonly [unknown, string, string]> = [
      [cloudTrail(s.object, { errorCode: "AccessDenied" }), "skipped", "failed-call"],
      [edited(s, (e) => (e.detail.eventName = "GetObject")), "skipped", "not-object-created"],
      [edited(s, (e) => (e.detail.eventName = "DeleteObject")), "skipped", "not-object-created"],
      [edited(s, (e) => {
        e.detail.eventSource = "ec2.amazonaws.com"
        e.detail.eventName = "RunInstances"
      }), "skipped", "not-object-created"],
      [{ Records: [notificationRecord(s.object, "ObjectRemoved:Delete")] }, "skipped", "not-object-created"]
    ]
    for (const [event, outcome, reason] of cases) {
      const before = app.outcomes().length
      answer(await app.settle(event))
      expect(app.outcomes().slice(before)).toMatchObject([{ outcome, reason }])
    }
    expect(local.stack.s3.calls.filter((c) => c.action === "GetObject" && c.params["key"] === s.object.key)).toEqual([])
    expectClean(local.stack, app)
  })
})

describe("an SQS batch mixing valid and invalid messages", () => {
  it("lists exactly the invalid messages, scans the valid ones, skips the rest; one outcome per message", async () => {
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((l) => seed(local.stack, `bad/batch-${l}.pdf`)))
    const valid = [sqsMessage(cloudTrail(a!.object)), sqsMessage(notification([b!.object])), sqsMessage(cloudTrail(c!.object))]
    const invalid = [
      sqsMessage("{\"version\": \"0\", \"detail\": "),
      sqsMessage(""),
      sqsMessage("null"),
      sqsMessage(`{"Records": "${"x".repeat(TEN_MB)}`),
      sqsMessage(edited(a!, (e) => (e.detail.requestParameters.bucketName = ["not", "a", "name"]))),
      sqsMessage(edited(a!, (e) => delete e.detail.requestParameters.bucketName)),
      sqsMessage(edited(a!, (e) => delete e.detail.requestParameters.key)),
      sqsMessage(edited(a!, (e) => (e.detail.requestParameters.key = "k".repeat(5000)))),
      // An SQS batch is not an event inside another one.
      sqsMessage(sqsBatch([sqsMessage(cloudTrail(a!.object))]))
    ]
    const skipped = [
      sqsMessage(cloudTrail(a!.object, { errorCode: "NoSuchBucket" })),
      sqsMessage(edited(a!, (e) => (e.detail.eventName = "PutBucketPolicy"))),
      sqsMessage({ Records: [notificationRecord(a!.object, "ObjectRemoved:Delete")] }),
      sqsMessage({ Service: "Amazon S3", Event: "s3:TestEvent", Time: "2026-05-23T14:00:00.000Z", Bucket: a!.object.bucket, RequestId: "5582815E1AEA5ADF", HostId: "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE" })
    ]
    const messages = [valid[0]!, ...invalid.slice(0, 4), valid[1]!, ...skipped, ...invalid.slice(4), valid[2]!]
    const before = app.outcomes().length
    const invoked = await app.settle(sqsBatch(messages))
    const failures = (answer(invoked).batchItemFailures as Array<{ itemIdentifier: string }>).map((f) => f.itemIdentifier)
    expect([...failures].sort()).toEqual(invalid.map((m) => m.messageId).sort())
    const recorded = app.outcomes().slice(before)
    // One outcome per message: invalid ones under their message id, the rest under their event's id.
    expect(recorded).toHaveLength(messages.length)
    for (const m of invalid) {
      const outcome = expectOneOutcome(app, m.messageId, "failed")
      expect(outcome).toMatchObject({ error: { tag: "InvalidEvent" } })
      expect((outcome as { error: { message: string } }).error.message.length).toBeLessThan(300)
    }
    expect(recorded.filter((o) => o.outcome === "submitted")).toHaveLength(3)
    expect(recorded.filter((o) => o.outcome === "skipped").map((o) => (o as { reason: string }).reason).sort()).toEqual(
      ["failed-call", "not-object-created", "not-object-created", "not-object-created"]
    )
    expectClean(local.stack, app)
  })

  it("a batch whose own structure is broken fails as a whole (SQS retries every message): nothing is scanned", async () => {
    const s = await seed(local.stack, "bad/broken-batch.pdf")
    const batch: any = sqsBatch([sqsMessage(cloudTrail(s.object)), sqsMessage(cloudTrail(s.object))])
    delete batch.Records[1].messageId
    const before = app.outcomes().length
    const error = rejection(await app.settle(batch))
    expect(error.message).toMatch(/invalid event: Records\[1\]\.messageId: is missing/)
    expect(app.outcomes().slice(before)).toMatchObject([{ outcome: "failed", error: { tag: "InvalidEvent" } }])
    expect(local.stack.s3.calls.filter((c) => c.params["key"] === s.object.key)).toEqual([])
  })

  it("the container keeps working after all of that", () => stillWorks("batch"))
})

describe("properties of the handler over arbitrary input", () => {
  it("any JSON as a single event: resolves, or rejects with an Error saying which event failed; one outcome per failure; never hangs", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (input) => {
        const before = app.outcomes().length
        const invoked = await app.settle(input, 10_000)
        expect(invoked.ms).toBeLessThan(3_000)
        const recorded = app.outcomes().slice(before)
        if (invoked.ok) {
          expect(recorded.every((o) => o.outcome !== "failed")).toBe(true)
        } else {
          expect(invoked.error.message).toMatch(/^\d+ item\(s\) failed: /)
          expect(invoked.error.message.length).toBeLessThan(2_000)
          expect(recorded.filter((o) => o.outcome === "failed").length).toBeGreaterThanOrEqual(1)
        }
      }),
      { numRuns: 300 }
    )
    await stillWorks("property-single")
  }, 60_000)

  it("any bodies in an SQS batch: the answer lists only messages of the batch, every undecodable one, each with one outcome", async () => {
    const body = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
      fc.constantFrom("", "{", "[]", "{}", "null", "{\"Records\":[]}", "{\"detail-type\":\"Object Created\"}")
    )
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 8 }), async (bodies) => {
        const messages = bodies.map((b) => sqsMessage(b))
        const before = app.outcomes().length
        const invoked = await app.settle(sqsBatch(messages), 10_000)
        const failures = (answer(invoked).batchItemFailures as Array<{ itemIdentifier: string }>).map((f) => f.itemIdentifier)
        const ids = new Set(messages.map((m) => m.messageId))
        for (const id of failures) expect(ids.has(id)).toBe(true)
        const recorded = app.outcomes().slice(before)
        for (const id of failures) expect(recorded.filter((o) => o.eventId === id).length).toBeLessThanOrEqual(1)
        // A message with no failed outcome of its own is not listed.
        const failedIds = new Set(recorded.filter((o) => o.outcome === "failed").map((o) => o.eventId))
        for (const id of failures) expect(failedIds.has(id)).toBe(true)
      }),
      { numRuns: 150 }
    )
    await stillWorks("property-batch")
  }, 60_000)
})

describe("the CLI", () => {
  it("JSON Lines with a broken line, an invalid event and a valid one: exit 1, each failure named, the valid one scanned", async () => {
    const s = await seed(local.stack, "bad/cli.pdf")
    const lines = [
      JSON.stringify(cloudTrail(s.object)),
      "{\"version\": \"0\", \"detail\": ",
      "",
      JSON.stringify(edited(s, (e) => delete e.detail.requestParameters.key))
    ].join("\n")
    const run = await runCli(local.env, ["replay", "--json", "-"], { input: lines })
    expect(run.code, run.stderr).toBe(1)
    const outcomes = run.stdout.trim().split("\n").map((l) => JSON.parse(l))
    expect(outcomes).toHaveLength(3)
    expect(outcomes).toEqual(expect.arrayContaining([
      expect.objectContaining({ outcome: "submitted", key: s.object.key }),
      expect.objectContaining({ outcome: "failed", eventId: "line 2", error: expect.objectContaining({ tag: "InvalidJson", message: expect.stringMatching(/^line 2: not valid JSON/) }) }),
      expect.objectContaining({ outcome: "failed", eventId: "line 4", error: expect.objectContaining({ tag: "InvalidEvent", message: expect.stringMatching(/detail\.requestParameters\.key: is missing/) }) })
    ]))
    const human = await runCli(local.env, ["replay", "-"], { input: lines })
    expect(human.code).toBe(1)
    expect(human.stdout).toMatch(/3 event\(s\), 2 failed/)
    expect(human.stdout).toMatch(/line 2\n\s+InvalidJson: line 2: not valid JSON/)
    expect(leakedSecrets(local.stack, [run.stdout, run.stderr, human.stdout, human.stderr])).toEqual([])
  }, 60_000)

  it("empty input: exit 2, saying so", async () => {
    const run = await runCli(local.env, ["replay", "-"], { input: "\n  \n" })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/highvolt-s3: no events in standard input/)
  }, 30_000)
})
