/**
 * `highvolt-s3 backfill --batch-operations` end to end over the local stack: the real CLI in a
 * child process creates the jobs on the S3 Control emulator, which invokes the scanner's handler
 * (a Lambda container of the production layer, registered as the backfill function) with real
 * 2.0 task batches and writes the completion reports the CLI then summarises. Jobs created with
 * the real SDK cover what the CLI cannot reach: an account outside the organization and a 503
 * storm from highvolt-server.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3"
import { CreateJobCommand, DescribeJobCommand } from "@aws-sdk/client-s3-control"
import { spawn } from "node:child_process"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { s3Client, s3ControlClient } from "../emulators/clients.js"
import { childEnv } from "../helpers/localStackHarness.js"
import { type Container, leakedSecrets, pdf, sha256, useStack } from "./helpers.js"

const root = join(import.meta.dirname, "../..")
const local = useStack({ afterEach: (stack) => stack.highvolt.faults.clear() })
let app: Container
let unregister: () => void = () => undefined

beforeAll(() => {
  app = local.container()
  unregister = local.stack.s3Control.registerFunction(local.stack.backfill.functionArn, { handler: app.lambda.handler, timeoutMs: 60_000 })
})

const cli = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: root,
      env: { ...childEnv(local.env), NODE_NO_WARNINGS: "1" },
      timeout: 120_000
    })
    let [stdout, stderr] = ["", ""]
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s))
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end()
  })

/** Keys that a manifest must encode: spaces, `+`, `%`, non-ASCII, quotes and commas. */
const tricky = (i: number) =>
  [`bo/plain ${i}.pdf`, `bo/plus+${i}.pdf`, `bo/percent%2B${i}.pdf`, `bo/ünï/résumé ${i}.pdf`, `bo/日本語/${i}.pdf`, `bo/comma,${i} "q".pdf`][i % 6]!

describe("backfill --batch-operations", () => {
  it("2 accounts × 2 Regions: one job each, every object exactly one Succeeded task, the same bytes once on highvolt; a rerun finds duplicates", async () => {
    const stack = local.stack
    const pairs = stack.accounts.members.slice(0, 2).flatMap((account) => stack.regions.slice(0, 2).map((region) => ({ account, region })))
    const objects = pairs.flatMap((p) => Array.from({ length: 15 }, (_, i) => ({ ...p, bucket: stack.bucketName(p.account, p.region), key: tricky(i), body: pdf(`${p.account}/${p.region}/${i}`) })))
    await Effect.runPromise(Effect.forEach(objects, (o) => stack.putObject({ bucket: o.bucket, key: o.key, body: o.body }), { concurrency: 8, discard: true }))
    // A versioned bucket: the current version is scanned, the one it replaced is not.
    const versioned = `hv-bo-versioned-${pairs[0]!.account}`
    await Effect.runPromise(stack.createBucket({ name: versioned, account: pairs[0]!.account, region: pairs[0]!.region, versioned: true }))
    const [oldDraft, newDraft] = [pdf("old draft"), pdf("new draft")]
    await Effect.runPromise(stack.putObject({ bucket: versioned, key: "bo/draft.pdf", body: oldDraft }))
    await Effect.runPromise(stack.putObject({ bucket: versioned, key: "bo/draft.pdf", body: newDraft }))

    const scope = ["--account", stack.accounts.members.slice(0, 2).join(","), "--region", stack.regions.slice(0, 2).join(","), "--prefix", "bo/"]
    const dry = await cli(["backfill", "--batch-operations", "--dry-run", ...scope])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain(`${objects.length + 1} object(s)`)
    expect(dry.stdout).toMatch(/S3 Batch Operations: \$1\.00 \(4 job\(s\) at \$0\.25, 61 task\(s\)/)
    const jobsBefore = stack.s3Control.jobs.size

    const run = await cli(["backfill", "--batch-operations", "--json", ...scope])
    expect(run.stderr).not.toMatch(/error/i)
    expect(run.code).toBe(0)
    expect(stack.s3Control.jobs.size - jobsBefore).toBe(4)
    const lines = run.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, string>)
    expect(lines).toHaveLength(objects.length + 1)
    const byObject = new Map(lines.map((l) => [`${l.bucket}/${l.key}`, l]))
    for (const o of objects) {
      expect(byObject.get(`${o.bucket}/${o.key}`), `${o.bucket}/${o.key}`).toMatchObject({ account: o.account, region: o.region, resultCode: "Succeeded", resultString: "submitted" })
      expect(stack.highvolt.submissions.filter((s) => s.accepted && s.fields["sha256"] === sha256(o.body))).toHaveLength(1)
    }
    expect(byObject.get(`${versioned}/bo/draft.pdf`)).toMatchObject({ resultCode: "Succeeded", resultString: "submitted" })
    expect(stack.highvolt.submissions.filter((s) => s.fields["sha256"] === sha256(newDraft))).toHaveLength(1)
    expect(stack.highvolt.submissions.filter((s) => s.fields["sha256"] === sha256(oldDraft))).toHaveLength(0)
    // Each job told the function whose buckets it names.
    for (const job of [...stack.s3Control.jobs.values()].slice(jobsBefore)) {
      expect(pairs).toContainEqual({ account: job.operation.userArguments!["accountId"], region: job.operation.userArguments!["region"] })
    }

    const again = await cli(["backfill", "--batch-operations", ...scope])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/61 task\(s\) in 4 job\(s\), 0 failed/)
    expect(leakedSecrets(stack, [run.stdout, run.stderr, again.stdout, again.stderr])).toEqual([])
  }, 120_000)

  it("--manifest inventory:…: the job scans what the S3 Inventory report lists, versions included", async () => {
    const stack = local.stack
    const [account, region] = [stack.accounts.members[1]!, stack.regions[0]!]
    const bucket = `hv-inv-${account}`
    await Effect.runPromise(stack.createBucket({ name: bucket, account, region, versioned: true }))
    const [first, second, other] = [pdf("inventory v1"), pdf("inventory v2"), pdf("inventory other")]
    const v1 = await Effect.runPromise(stack.putObject({ bucket, key: "inv/report q1.pdf", body: first }))
    await Effect.runPromise(stack.putObject({ bucket, key: "inv/report q1.pdf", body: second }))
    const v3 = await Effect.runPromise(stack.putObject({ bucket, key: "inv/other+1.pdf", body: other }))
    // As S3 Inventory writes it: gzipped CSV, every field quoted, keys URL-encoded; here the older version is listed.
    const csv = [["inv/report q1.pdf", v1.versionId!], ["inv/other+1.pdf", v3.versionId!]]
      .map(([key, version]) => `"${bucket}","${encodeURIComponent(key!).replaceAll("%20", "+").replaceAll("%2F", "/")}","${version}","true"\n`).join("")
    const s3 = s3Client(stack, stack.regions[0]!)
    await s3.send(new PutObjectCommand({ Bucket: stack.backfill.reportBucket, Key: "manifests/inventory/data/part-0.csv.gz", Body: gzipSync(csv) }))
    await s3.send(new PutObjectCommand({
      Bucket: stack.backfill.reportBucket,
      Key: "manifests/inventory/manifest.json",
      Body: JSON.stringify({
        sourceBucket: bucket,
        destinationBucket: `arn:aws:s3:::${stack.backfill.reportBucket}`,
        version: "2016-11-30",
        fileFormat: "CSV",
        fileSchema: "Bucket, Key, VersionId, IsLatest",
        files: [{ key: "manifests/inventory/data/part-0.csv.gz", size: 1, MD5checksum: "0" }]
      })
    }))
    const run = await cli(["backfill", "--batch-operations", "--json", "--manifest", `inventory:s3://${stack.backfill.reportBucket}/manifests/inventory/manifest.json`, "--account", account, "--region", region])
    expect(run.code).toBe(0)
    const lines = run.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, string>)
    expect(lines.map((l) => [l.key, l.versionId, l.resultCode, l.resultString])).toEqual([
      ["inv/report q1.pdf", v1.versionId, "Succeeded", "submitted"],
      ["inv/other+1.pdf", v3.versionId, "Succeeded", "submitted"]
    ])
    expect(stack.highvolt.submissions.filter((s) => s.fields["sha256"] === sha256(first))).toHaveLength(1)
    expect(stack.highvolt.submissions.filter((s) => s.fields["sha256"] === sha256(second))).toHaveLength(0)
  }, 60_000)

  const createJob = async (name: string, rows: ReadonlyArray<readonly [string, string]>, userArguments: Record<string, string>, functionArn = local.stack.backfill.functionArn) => {
    const stack = local.stack
    const put = await s3Client(stack, stack.regions[0]!).send(new PutObjectCommand({
      Bucket: stack.backfill.reportBucket,
      Key: `manifests/${name}.csv`,
      Body: rows.map(([b, k]) => `${b},${encodeURIComponent(k).replaceAll("%2F", "/")}\n`).join("")
    }))
    const { JobId } = await s3ControlClient(stack).send(new CreateJobCommand({
      AccountId: stack.accounts.own,
      ClientRequestToken: name,
      ConfirmationRequired: false,
      Priority: 10,
      RoleArn: stack.backfill.jobRoleArn,
      Operation: { LambdaInvoke: { FunctionArn: functionArn, InvocationSchemaVersion: "2.0", UserArguments: userArguments } },
      Manifest: { Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key"] }, Location: { ObjectArn: `arn:aws:s3:::${stack.backfill.reportBucket}/manifests/${name}.csv`, ETag: put.ETag! } },
      Report: { Bucket: `arn:aws:s3:::${stack.backfill.reportBucket}`, Prefix: "reports", Format: "Report_CSV_20180820", Enabled: true, ReportScope: "AllTasks" }
    }))
    for (;;) {
      const { Job } = await s3ControlClient(stack).send(new DescribeJobCommand({ AccountId: stack.accounts.own, JobId: JobId! }))
      if (Job!.Status === "Complete" || Job!.Status === "Failed") break
      await new Promise((r) => setTimeout(r, 50))
    }
    const manifest = JSON.parse((await Effect.runPromise(stack.s3.readObject(stack.backfill.reportBucket, `reports/job-${JobId}/manifest.json`)))!.bytes.toString("utf8"))
    const rows2 = await Promise.all((manifest.Results as Array<{ Key: string }>).map(async (r) => (await Effect.runPromise(stack.s3.readObject(stack.backfill.reportBucket, r.Key)))!.bytes.toString("utf8")))
    return { job: stack.s3Control.jobs.get(JobId!)!, rows: rows2.join("").split("\n").filter((l) => l !== "") }
  }

  it("an account outside the organization: PermanentFailure naming the role it cannot assume", async () => {
    const stack = local.stack
    const outside = stack.accounts.outside
    const bucket = stack.bucketName(outside, stack.regions[0]!)
    await Effect.runPromise(stack.putObject({ bucket, key: "bo/outside.pdf", body: pdf("outside") }))
    const { job, rows } = await createJob("outside", [[bucket, "bo/outside.pdf"]], { accountId: outside, region: stack.regions[0]! })
    expect(job.status).toBe("Complete")
    expect([job.total, job.succeeded, job.failed]).toEqual([1, 0, 1])
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatch(new RegExp(`^${bucket},bo/outside\\.pdf,,failed,200,PermanentFailure,.*CredentialsError: cannot assume arn:aws:iam::${outside}:role/${stack.roleName}`))
    // Permanent: not retried.
    expect(job.invocations).toHaveLength(1)
  })

  it("a 503 storm from highvolt-server: TemporaryFailure after the emulator's 3 attempts", async () => {
    const stack = local.stack
    const member = stack.accounts.members[0]!
    const region = stack.regions[1]!
    const bucket = stack.bucketName(member, region)
    await Effect.runPromise(stack.putObject({ bucket, key: "bo/storm.pdf", body: pdf("storm") }))
    stack.highvolt.faults.inject("submit", { kind: "status", status: 503 }, 10_000)
    // A short function timeout: each invocation gives up 3 s before it, so the storm outlasts all three.
    const stormArn = stack.backfill.functionArn.replace(/backfill$/, "backfill-storm")
    const off = stack.s3Control.registerFunction(stormArn, { handler: app.lambda.handler, timeoutMs: 4_500 })
    const { job, rows } = await createJob("storm", [[bucket, "bo/storm.pdf"]], { accountId: member, region }, stormArn)
    expect(job.invocations).toHaveLength(3)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatch(new RegExp(`^${bucket},bo/storm\\.pdf,,failed,200,TemporaryFailure,"?(ServiceError: highvolt submit failed \\(HTTP 503\\)|DeadlineExceeded: )`))

    // The CLI's view of the same: exit 1, the task counted temporary, its reason on top, the task listed.
    const run = await cli(["backfill", "--batch-operations", "--function", stormArn, "--account", member, "--region", region, "--prefix", "bo/storm"])
    off()
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(new RegExp(`${member}\\s+${region}\\s+\\S+\\s+Complete\\s+1\\s+0\\s+1\\s+0`))
    expect(run.stdout).toMatch(/Top failure reasons:\n\s+1\s+TemporaryFailure: (ServiceError|DeadlineExceeded)/)
    expect(run.stdout).toContain(`s3://${bucket}/bo/storm.pdf (${member}/${region})`)
    unregister()
  }, 60_000)
})
