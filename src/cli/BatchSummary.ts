/**
 * The report of `backfill --batch-operations`: tasks succeeded / temporary / permanent per
 * account × Region, the most frequent failure reasons, then every failed task (and every job
 * that failed as a whole) — or, with `--json`, one line per task and per failed job.
 */
import type { FinishedJob } from "./BatchBackfill.js"
import { table } from "./Summary.js"

/** A failure's reason without what differs between objects (its location): how reasons are grouped. */
const reasonOf = (message: string, bucket: string, key: string) =>
  message.replaceAll(`s3://${bucket}/${key}`, "s3://<bucket>/<key>").replaceAll(key, "<key>").slice(0, 160)

export const failedTasks = (jobs: ReadonlyArray<FinishedJob>) => jobs.reduce((n, j) => n + j.tasks.filter((t) => t.resultCode !== "Succeeded").length, 0)

/** Whether anything failed: a task, or a job as a whole. */
export const anyFailed = (jobs: ReadonlyArray<FinishedJob>) => failedTasks(jobs) > 0 || jobs.some((j) => j.status !== "Complete")

export const jsonLines = (jobs: ReadonlyArray<FinishedJob>): ReadonlyArray<string> =>
  jobs.flatMap((job) => [
    ...(job.status === "Complete" ? [] : [JSON.stringify({ jobId: job.jobId, account: job.account, region: job.region, status: job.status, failureReasons: job.failureReasons })]),
    ...job.tasks.map((t) =>
      JSON.stringify({
        jobId: job.jobId,
        account: job.account,
        region: job.region,
        bucket: t.bucket,
        key: t.key,
        ...(t.versionId === undefined ? {} : { versionId: t.versionId }),
        resultCode: t.resultCode,
        resultString: t.message
      })
    )
  ])

export const render = (jobs: ReadonlyArray<FinishedJob>, topReasons = 5): string => {
  const rows = jobs.map((j) => {
    const count = (code: string) => String(j.tasks.filter((t) => t.resultCode === code).length)
    return [j.account, j.region, j.jobId, j.status, String(j.tasks.length), count("Succeeded"), count("TemporaryFailure"), count("PermanentFailure")]
  })
  const failed = jobs.flatMap((j) => j.tasks.filter((t) => t.resultCode !== "Succeeded").map((t) => ({ job: j, task: t })))
  const reasons = new Map<string, number>()
  for (const { task } of failed) {
    const reason = `${task.resultCode}: ${reasonOf(task.message, task.bucket, task.key)}`
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
  }
  const top = [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, topReasons)
  const brokenJobs = jobs.filter((j) => j.status !== "Complete")
  // What Succeeded means task by task: `submitted`, `duplicate` or `skipped: <reason> …`.
  const kinds = new Map<string, number>()
  for (const t of jobs.flatMap((j) => j.tasks).filter((t) => t.resultCode === "Succeeded")) {
    const kind = /^skipped: \S+/.exec(t.message)?.[0] ?? t.message.split(" ")[0] ?? ""
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
  }
  return [
    table(["account", "region", "job", "status", "tasks", "succeeded", "temporary", "permanent"], rows),
    ...(kinds.size === 0 ? [] : [`succeeded: ${[...kinds.entries()].sort().map(([kind, n]) => `${kind} ${n}`).join(", ")}`]),
    `${jobs.reduce((n, j) => n + j.tasks.length, 0)} task(s) in ${jobs.length} job(s), ${failed.length} failed`,
    ...(top.length === 0 ? [] : ["", "Top failure reasons:", ...top.map(([reason, n]) => `  ${String(n).padStart(6)}  ${reason}`)]),
    ...(brokenJobs.length === 0 ? [] : ["", "Jobs that did not complete:", ...brokenJobs.map((j) => `  ${j.jobId} (${j.account}/${j.region}) ${j.status}: ${j.failureReasons.join("; ")}`)]),
    ...(failed.length === 0 ? [] : ["", "Failed:", ...failed.map(({ job, task }) => `  s3://${task.bucket}/${task.key} (${job.account}/${job.region})\n    ${task.resultCode}: ${task.message}`)])
  ].join("\n")
}
