/** The pure parts of `backfill --batch-operations`: manifests, completion reports, the summary, the cost and the polling policy. */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Schedule } from "effect"
import { jobPolling, type FinishedJob } from "../../src/cli/BatchBackfill.js"
import { manifestKeyOf, parseManifestOption } from "../../src/cli/BatchManifest.js"
import { anyFailed, jsonLines, render } from "../../src/cli/BatchSummary.js"
import { decodeReportManifest, parseReport } from "../../src/cli/CompletionReport.js"
import { batchOperationsUsd } from "../../src/cli/CostModel.js"
import { decodeKey } from "../../src/cli/Listing.js"
import type { AccountId, Region } from "../../src/Domain.js"

describe("manifests", () => {
  it("keys are written as S3 Inventory writes them and read back by the listing's decoding", () => {
    for (const key of ["a b+c%2B ü.pdf", "dir/sub/x.pdf", "comma, \"quote\".pdf", "日本語/😀"]) expect(decodeKey(manifestKeyOf(key))).toBe(key)
    expect(manifestKeyOf("dir/a b+c.pdf")).toBe("dir/a+b%2Bc.pdf")
  })

  it("--manifest takes an inventory manifest.json only", () => {
    expect(parseManifestOption("inventory:s3://inv-bucket/src/config/2026-01-01T00-00Z/manifest.json")).toEqual(Either.right({ bucket: "inv-bucket", key: "src/config/2026-01-01T00-00Z/manifest.json" }))
    expect(Either.isLeft(parseManifestOption("s3://inv-bucket/manifest.json"))).toBe(true)
    expect(Either.isLeft(parseManifestOption("inventory:s3://inv-bucket/list.csv"))).toBe(true)
  })
})

describe("completion reports", () => {
  const rows = [
    "b,dir/a+b%2B.pdf,,succeeded,200,,submitted",
    "b,x.pdf,v1,failed,200,PermanentFailure,\"CredentialsError: cannot assume arn:aws:iam::999999999999:role/R, AccessDenied\"",
    // The other column order some reports use: the code under ErrorCode.
    "b,y.pdf,,failed,TemporaryFailure,200,\"ServiceError: highvolt submit failed (HTTP 503): \"\"full\"\"\"",
    ""
  ].join("\n")

  it("reads each task: the key decoded, the code from either column, quoted messages", () => {
    expect(parseReport("r.csv", rows)).toEqual(Either.right([
      { bucket: "b", key: "dir/a b+.pdf", versionId: undefined, resultCode: "Succeeded", message: "submitted" },
      { bucket: "b", key: "x.pdf", versionId: "v1", resultCode: "PermanentFailure", message: "CredentialsError: cannot assume arn:aws:iam::999999999999:role/R, AccessDenied" },
      { bucket: "b", key: "y.pdf", versionId: undefined, resultCode: "TemporaryFailure", message: "ServiceError: highvolt submit failed (HTTP 503): \"full\"" }
    ]))
  })

  it("a report that is not one is an error naming the file", () => {
    const bad = parseReport("r.csv", "Bucket,Key,VersionId,TaskStatus\n")
    expect(Either.isLeft(bad) && bad.left.message).toMatch(/^completion report r\.csv cannot be read: line 1/)
    expect(Either.isLeft(decodeReportManifest("manifest.json", "{\"Results\": 3}"))).toBe(true)
  })
})

describe("summary", () => {
  const job = (status: string, tasks: FinishedJob["tasks"]): FinishedJob => ({
    account: "222222222222" as AccountId,
    region: "eu-west-1" as Region,
    jobId: `job-${status}`,
    manifest: { bucket: "r", key: "m.csv" },
    status,
    failureReasons: status === "Complete" ? [] : ["ManifestNotFound: gone"],
    tasks
  })
  const denied = (key: string) => ({ bucket: "b", key, versionId: undefined, resultCode: "PermanentFailure" as const, message: `ObjectError: s3://b/${key}: AccessDenied` })

  it("counts per job, groups failure reasons without their keys, lists every failure", () => {
    const jobs = [job("Complete", [
      { bucket: "b", key: "ok.pdf", versionId: undefined, resultCode: "Succeeded", message: "skipped: mime application/x-dosexec" },
      denied("a.pdf"),
      denied("b.pdf")
    ])]
    const text = render(jobs)
    expect(text).toMatch(/222222222222\s+eu-west-1\s+job-Complete\s+Complete\s+3\s+1\s+0\s+2/)
    expect(text).toContain("succeeded: skipped: mime 1")
    expect(text).toMatch(/Top failure reasons:\n\s+2\s+PermanentFailure: ObjectError: s3:\/\/<bucket>\/<key>: AccessDenied/)
    expect(text).toContain("s3://b/a.pdf (222222222222/eu-west-1)")
    expect(anyFailed(jobs)).toBe(true)
    expect(jsonLines(jobs).map((l) => JSON.parse(l).resultCode)).toEqual(["Succeeded", "PermanentFailure", "PermanentFailure"])
  })

  it("a job that failed as a whole fails the run, with its reasons", () => {
    const jobs = [job("Failed", [])]
    expect(anyFailed(jobs)).toBe(true)
    expect(render(jobs)).toContain("job-Failed (222222222222/eu-west-1) Failed: ManifestNotFound: gone")
    expect(JSON.parse(jsonLines(jobs)[0]!)).toMatchObject({ status: "Failed", failureReasons: ["ManifestNotFound: gone"] })
  })
})

describe("cost", () => {
  it("a million objects: $1 of tasks and $0.25 a job on top of the Lambda and S3", () => {
    const listed = { objects: 1_000_000, bytes: 1_000_000 * 200_000, listRequests: 1000 }
    const cost = batchOperationsUsd(listed, 4)
    expect(cost.feeUsd).toBeCloseTo(2, 6)
    expect(cost.s3Usd).toBeCloseTo(0.4 + 0.005 + 4 * 0.000005, 6)
    expect(cost.totalUsd).toBeCloseTo(cost.feeUsd + cost.lambdaUsd + cost.s3Usd, 9)
  })
})

describe("jobPolling", () => {
  it.effect("polls quickly at first, then every 5 s at most", () =>
    Effect.gen(function*() {
      const delays = yield* Schedule.run(Schedule.delays(jobPolling), 0, Array.from({ length: 12 }, () => undefined))
      const ms = [...delays].map(Duration.toMillis)
      expect(ms.slice(0, 3)).toEqual([250, 375, 562.5])
      expect(Math.max(...ms)).toBe(5000)
      expect(ms.at(-1)).toBe(5000)
    }))
})
