/**
 * The completion report of an S3 Batch Operations job, laid out as AWS writes it:
 * `<prefix>/job-<id>/results/<sha1>.csv` (one file of succeeded tasks, one of failed ones,
 * without a header) and `<prefix>/job-<id>/manifest.json` naming them. For "Invoke AWS Lambda
 * function" tasks AWS puts the invocation's HTTP status (200) under ErrorCode and the function's
 * result code under HTTPStatusCode; the rows here do the same.
 */
import { createHash } from "node:crypto"
import { formatCsvRow } from "./csvText.js"
import type { ManifestTask } from "./jobManifest.js"

export const reportFormat = "Report_CSV_20180820"
export const reportSchema = "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"

export interface TaskResult {
  readonly task: ManifestTask
  readonly resultCode: "Succeeded" | "TemporaryFailure" | "PermanentFailure"
  readonly resultString: string
}

export interface ReportFile {
  readonly key: string
  readonly body: string
}

const jobFolder = (prefix: string, jobId: string) => `${prefix === "" ? "" : `${prefix.replace(/\/+$/, "")}/`}job-${jobId}`

const row = (r: TaskResult) =>
  formatCsvRow([
    r.task.bucket,
    r.task.key,
    r.task.versionId ?? "",
    r.resultCode === "Succeeded" ? "succeeded" : "failed",
    "200",
    r.resultCode === "Succeeded" ? "" : r.resultCode,
    r.resultString
  ])

/** The report's files, manifest.json last; `failedOnly` is ReportScope `FailedTasksOnly`. */
export const completionReport = (
  options: { readonly bucket: string; readonly prefix: string; readonly jobId: string; readonly failedOnly: boolean; readonly now: Date },
  results: ReadonlyArray<TaskResult>
): ReadonlyArray<ReportFile> => {
  const folder = jobFolder(options.prefix, options.jobId)
  const groups = [
    { status: "succeeded", rows: options.failedOnly ? [] : results.filter((r) => r.resultCode === "Succeeded") },
    { status: "failed", rows: results.filter((r) => r.resultCode !== "Succeeded") }
  ].filter((g) => g.rows.length > 0)
  const files = groups.map((g) => {
    const body = g.rows.map(row).join("")
    const name = createHash("sha1").update(`${options.jobId}/${g.status}`).digest("hex")
    return { status: g.status, key: `${folder}/results/${name}.csv`, body }
  })
  const manifest = {
    Format: reportFormat,
    ReportCreationDate: options.now.toISOString(),
    Results: files.map((f) => ({
      TaskExecutionStatus: f.status,
      Bucket: options.bucket,
      MD5Checksum: createHash("md5").update(f.body).digest("hex"),
      Key: f.key
    })),
    ReportSchema: reportSchema
  }
  return [...files.map(({ key, body }) => ({ key, body })), { key: `${folder}/manifest.json`, body: JSON.stringify(manifest) }]
}
