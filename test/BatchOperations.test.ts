/** S3 Batch Operations jobs through `Invocation.handle`: decoding (2.0 and 1.0), keys, job arguments, and each result code. */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Layer, Option, Ref } from "effect"
import * as fc from "fast-check"
import { Credentials, CredentialsError } from "../src/Credentials.js"
import type { BatchResponse } from "../src/BatchResponse.js"
import { handle } from "../src/Invocation.js"
import { manifestKey } from "../src/internal/events/keys.js"
import { emfDocument } from "../src/Metrics.js"
import type { Outcome } from "../src/Outcome.js"
import { OutcomeLog } from "../src/OutcomeLog.js"
import type { FakeObject } from "./helpers/fakeS3.js"
import { closedAccount, makeScanLayer, memberAccount, ownAccount } from "./helpers/scanLayer.js"

const fixture = JSON.parse(readFileSync(new URL("./fixtures/events/s3-batch-operations-job-v2.synthetic.json", import.meta.url), "utf8"))
const pdf = Buffer.from("%PDF-1.4\nhello\n")
const exe = Buffer.concat([Buffer.from("MZ"), Buffer.alloc(200, 0x90)])
/** An account whose STS does not answer: a transient CredentialsError. */
const unreachableAccount = "333333333333"

const credentials = Credentials.test(ownAccount, (account) => {
  if (account === closedAccount) {
    return Option.some(new CredentialsError({ account, roleArn: `arn:aws:iam::${account}:role/reader`, reason: "access-denied", detail: "AccessDenied: not authorized" }))
  }
  if (account === unreachableAccount) {
    return Option.some(new CredentialsError({ account, roleArn: `arn:aws:iam::${account}:role/reader`, reason: "unavailable", detail: "STS AssumeRole: timed out" }))
  }
  return Option.none()
})

const invoke = (input: unknown, objects: Record<string, FakeObject>, options: { readonly deadline?: number } = {}) =>
  Effect.gen(function*() {
    const { layer, s3 } = yield* makeScanLayer(objects, { credentials })
    const recorded = yield* Ref.make<ReadonlyArray<Outcome>>([])
    const response = (yield* handle(input, options).pipe(Effect.provide(Layer.merge(layer, OutcomeLog.test(recorded))))) as BatchResponse
    return { response, outcomes: yield* Ref.get(recorded), gets: s3.gets }
  })

const memberArguments = { accountId: memberAccount, region: "eu-west-1" }
/** A 2.0 job; `"absent"` leaves `userArguments` out. */
const job = (tasks: ReadonlyArray<Record<string, unknown>>, userArguments: unknown = memberArguments) => ({
  invocationSchemaVersion: "2.0",
  invocationId: "inv-1",
  job: { id: "job-1", ...(userArguments === "absent" ? {} : { userArguments }) },
  tasks
})
const task = (taskId: string, s3Key: string, extra: Record<string, unknown> = {}) => ({ taskId, s3Bucket: "b", s3Key, s3VersionId: null, ...extra })

describe("manifest keys", () => {
  it("any key, URL-encoded as S3 Inventory writes it (space as '+') or percent-encoded only, reads back as itself", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), (name) => {
        const percent = encodeURIComponent(name)
        const inventory = percent.replaceAll("%20", "+")
        expect(manifestKey(inventory).primary).toBe(name)
        expect(manifestKey(percent).primary).toBe(name)
      }),
      { numRuns: 300 }
    )
  })

  it("an unencoded '+' is the alternate reading; a malformed escape is taken as is", () => {
    expect(manifestKey("a+b.pdf")).toMatchObject({ primary: "a b.pdf", alternate: Option.some("a+b.pdf") })
    expect(manifestKey("a%2Bb.pdf")).toMatchObject({ primary: "a+b.pdf", alternate: Option.none() })
    expect(manifestKey("100%.pdf")).toMatchObject({ primary: "100%.pdf", alternate: Option.none() })
  })
})

describe("S3 Batch Operations jobs", () => {
  it.live("schema 2.0: the URL-encoded key is read under its true name, the answer has the job's shape", () =>
    Effect.gen(function*() {
      const { response, outcomes, gets } = yield* invoke(fixture, { "tricky-bucket/docs/a b+c%20 ü.pdf": { bytes: pdf } })
      expect(response).toEqual({
        invocationSchemaVersion: "2.0",
        treatMissingKeysAs: "PermanentFailure",
        invocationId: fixture.invocationId,
        results: [{ taskId: "dGFza2lkZ29lc2hlcmUK", resultCode: "Succeeded", resultString: "submitted" }]
      })
      expect(gets.map((g) => g.key)).toEqual(["docs/a b+c%20 ü.pdf"])
      expect(outcomes).toMatchObject([{ outcome: "submitted", source: "backfill", eventId: "dGFza2lkZ29lc2hlcmUK", account: memberAccount, region: "eu-west-1", bucket: "tricky-bucket" }])
    }))

  it.live("a literal '+' a manifest left unencoded is found through the percent-only reading", () =>
    Effect.gen(function*() {
      const { response, gets } = yield* invoke(job([task("t1", "c%2B%2B/a+b.pdf")]), { "b/c++/a+b.pdf": { bytes: pdf } })
      expect(response.results).toEqual([{ taskId: "t1", resultCode: "Succeeded", resultString: "submitted" }])
      expect(gets.map((g) => g.key)).toEqual(["c++/a b.pdf", "c++/a+b.pdf"])
    }))

  it.live("schema 1.0: the bucket comes from its ARN; without userArguments every task is a PermanentFailure naming them", () =>
    Effect.gen(function*() {
      const v1 = {
        invocationSchemaVersion: "1.0",
        invocationId: "inv-v1",
        job: { id: "job-v1" },
        tasks: [{ taskId: "t1", s3BucketArn: "arn:aws:s3:::b", s3Key: "x.pdf", s3VersionId: "1" }, { taskId: "t2", s3BucketArn: "arn:aws:s3:::b", s3Key: "y.pdf" }]
      }
      const { response, outcomes, gets } = yield* invoke(v1, { "b/x.pdf": { bytes: pdf } })
      expect(response.invocationSchemaVersion).toBe("1.0")
      expect(response.results.map((r) => [r.taskId, r.resultCode])).toEqual([["t1", "PermanentFailure"], ["t2", "PermanentFailure"]])
      expect(response.results[0]!.resultString).toMatch(/^InvalidTask: job\.userArguments: missing: invocation schema 1\.0 cannot carry them/)
      expect(gets).toEqual([])
      expect(outcomes).toMatchObject([{ outcome: "failed", bucket: "b", key: "x.pdf", source: "backfill" }, { outcome: "failed" }])
    }))

  it.live("schema 1.0 with arguments (not what AWS sends, but unambiguous) scans the ARN's bucket and its version", () =>
    Effect.gen(function*() {
      const v1 = {
        invocationSchemaVersion: "1.0",
        invocationId: "inv-v1",
        job: { id: "job-v1", userArguments: { accountId: memberAccount, region: "eu-west-1" } },
        tasks: [{ taskId: "t1", s3BucketArn: "arn:aws:s3:::b", s3Key: "x.pdf", s3VersionId: "v7" }]
      }
      const { response, gets } = yield* invoke(v1, { "b/x.pdf": { bytes: pdf, versionId: "v7" } })
      expect(response.results).toEqual([{ taskId: "t1", resultCode: "Succeeded", resultString: "submitted" }])
      expect(gets).toEqual([{ bucket: "b", key: "x.pdf", versionId: "v7" }])
    }))

  it.live.each([
    ["missing", "absent", /job\.userArguments: missing: the job must pass/],
    ["not an object", "222222222222", /job\.userArguments: expected an object/],
    ["a bad account id", { accountId: "12345", region: "eu-west-1" }, /job\.userArguments\.accountId: an AWS account id is 12 digits/],
    ["no region", { accountId: "222222222222" }, /job\.userArguments\.region: is missing/],
    ["a bad region", { accountId: "222222222222", region: "Europe" }, /job\.userArguments\.region: not an AWS region name/]
  ] as const)("userArguments %s: every task is a PermanentFailure naming the problem, nothing is read", ([, userArguments, message]) =>
    Effect.gen(function*() {
      const { response, gets } = yield* invoke(job([task("t1", "x.pdf"), task("t2", "y.pdf")], userArguments), { "b/x.pdf": { bytes: pdf } })
      expect(response.results).toHaveLength(2)
      for (const result of response.results) {
        expect(result.resultCode).toBe("PermanentFailure")
        expect(result.resultString).toMatch(message)
      }
      expect(gets).toEqual([])
    }))

  it.live("a bad task fails alone; the others are scanned", () =>
    Effect.gen(function*() {
      const { response } = yield* invoke(job([task("t1", "x.pdf"), task("t2", "y.pdf", { s3Bucket: "no/slash" }), task("t3", "")]), { "b/x.pdf": { bytes: pdf } })
      expect(response.results.map((r) => r.resultCode)).toEqual(["Succeeded", "PermanentFailure", "PermanentFailure"])
      expect(response.results[1]!.resultString).toMatch(/^InvalidTask: tasks\[1\]\.s3Bucket: not an S3 bucket name/)
      expect(response.results[2]!.resultString).toMatch(/^InvalidTask: tasks\[2\]\.s3Key/)
    }))

  it.live("each result code: submitted, duplicate and skips succeed; AccessDenied and a closed account are permanent; STS unreachable is temporary", () =>
    Effect.gen(function*() {
      const tasks = [
        task("new", "new.pdf"),
        task("again", "again.pdf"),
        task("exe", "tool.exe"),
        task("empty", "folder/"),
        task("gone", "gone.pdf"),
        task("denied", "denied.pdf")
      ]
      const member = yield* invoke(job(tasks), {
        "b/new.pdf": { bytes: pdf },
        "b/again.pdf": { bytes: pdf },
        "b/tool.exe": { bytes: exe },
        "b/folder/": { bytes: new Uint8Array() },
        "b/denied.pdf": { bytes: pdf, error: { code: "AccessDenied", status: 403 } }
      })
      const codes = Object.fromEntries(member.response.results.map((r) => [r.taskId, [r.resultCode, r.resultString]]))
      expect(codes["new"]).toEqual(["Succeeded", "submitted"])
      // Two tasks of the same bytes in one invocation: one submission, the other waits for it and
      // shares its verdict, or finds the SHA256 known.
      expect(codes["again"]![0]).toBe("Succeeded")
      expect(codes["exe"]![0]).toBe("Succeeded")
      expect(codes["exe"]![1]).toMatch(/^skipped: mime application\/(x-dosexec|vnd\.microsoft\.portable-executable)/)
      expect(codes["empty"]).toEqual(["Succeeded", "skipped: size empty object: nothing to analyze"])
      expect(codes["gone"]![0]).toBe("Succeeded")
      expect(codes["gone"]![1]).toMatch(/^skipped: not-found/)
      expect(codes["denied"]![0]).toBe("PermanentFailure")
      expect(codes["denied"]![1]).toMatch(/^ObjectError: s3:\/\/b\/denied\.pdf .*AccessDenied/)

      const closed = yield* invoke(job([task("closed", "x.pdf")], { accountId: closedAccount, region: "eu-west-1" }), { "b/x.pdf": { bytes: pdf } })
      expect(closed.response.results).toMatchObject([{ resultCode: "PermanentFailure", resultString: expect.stringMatching(/^CredentialsError: cannot assume .* AccessDenied/) }])

      // Retried with backoff until the deadline is near (a short one here), then given up on as temporary.
      const unreachable = yield* invoke(job([task("sts", "x.pdf")], { accountId: unreachableAccount, region: "eu-west-1" }), { "b/x.pdf": { bytes: pdf } }, {
        deadline: Date.now() + 1_500
      })
      expect(unreachable.response.results).toMatchObject([{ resultCode: "TemporaryFailure", resultString: expect.stringMatching(/^CredentialsError: .*timed out/) }])
    }))

  it.live("tasks not finished by the invocation's deadline are TemporaryFailure, the invocation still answers", () =>
    Effect.gen(function*() {
      const { response, outcomes } = yield* invoke(job([task("t1", "x.pdf"), task("t2", "y.pdf")]), { "b/x.pdf": { bytes: pdf }, "b/y.pdf": { bytes: pdf } }, {
        deadline: Date.now() - 1
      })
      expect(response.results.map((r) => r.resultCode)).toEqual(["TemporaryFailure", "TemporaryFailure"])
      expect(response.results[0]!.resultString).toMatch(/^DeadlineExceeded: /)
      expect(outcomes.every((o) => o.outcome === "failed" && o.error.transient)).toBe(true)
    }))

  it.live("own-account jobs use the execution role; results follow the tasks' order", () =>
    Effect.gen(function*() {
      const tasks = Array.from({ length: 9 }, (_, i) => task(`t${i}`, `k${i}.pdf`))
      const objects = Object.fromEntries(tasks.map((_, i) => [`b/k${i}.pdf`, { bytes: Buffer.from(`%PDF-1.4\n${i}\n`) }]))
      const { response } = yield* invoke(job(tasks, { accountId: ownAccount, region: "us-east-1" }), objects)
      expect(response.results.map((r) => r.taskId)).toEqual(tasks.map((t) => t.taskId))
      expect(new Set(response.results.map((r) => r.resultCode))).toEqual(new Set(["Succeeded"]))
    }))

  it.live("an envelope that is no job fails the invocation (nobody to answer)", () =>
    Effect.gen(function*() {
      const { layer } = yield* makeScanLayer({}, { credentials })
      const recorded = yield* Ref.make<ReadonlyArray<Outcome>>([])
      const result = yield* Effect.either(handle({ invocationSchemaVersion: "3.0", invocationId: "i", job: { id: "j" }, tasks: [] }).pipe(
        Effect.provide(Layer.merge(layer, OutcomeLog.test(recorded)))
      ))
      expect(result._tag === "Left" && result.left.message).toMatch(/invocationSchemaVersion/)
    }))

  it("the EMF line carries Source as a dimension, next to the sets the alarms use", () => {
    const doc = emfDocument({ eventId: "t1", ms: 3, source: "backfill", outcome: "skipped", reason: "mime", detail: "x" }, 0) as {
      _aws: { CloudWatchMetrics: Array<{ Dimensions: Array<Array<string>> }> }
      Source: string
    }
    expect(doc.Source).toBe("backfill")
    expect(doc._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([[], ["Outcome"], ["Source", "Outcome"], ["Outcome", "Reason"], ["Source", "Outcome", "Reason"]])
  })
})
