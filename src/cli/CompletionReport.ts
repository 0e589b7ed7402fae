/**
 * A Batch Operations job's completion report, as AWS writes it: `manifest.json` names CSV files
 * of `Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage` rows (no
 * header). For Lambda tasks AWS puts the invocation's HTTP status under ErrorCode and the
 * function's result code under HTTPStatusCode; either column is read for the code.
 */
import { Either, Schema } from "effect"
import { decodeKey } from "./Listing.js"

export const ReportManifest = Schema.Struct({
  Results: Schema.Array(Schema.Struct({ Bucket: Schema.String, Key: Schema.String, TaskExecutionStatus: Schema.String }))
})

export type ResultCode = "Succeeded" | "TemporaryFailure" | "PermanentFailure"

export interface TaskReport {
  readonly bucket: string
  /** Decoded from the manifest's spelling. */
  readonly key: string
  readonly versionId: string | undefined
  readonly resultCode: ResultCode
  readonly message: string
}

/** Raised when a report file is not what AWS writes. */
export class ReportFormatError extends Schema.TaggedError<ReportFormatError>()("ReportFormatError", {
  file: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `completion report ${this.file} cannot be read: ${this.detail}`
  }
}

export const decodeReportManifest = (file: string, text: string) =>
  Either.try(() => JSON.parse(text) as unknown).pipe(
    Either.flatMap(Schema.decodeUnknownEither(ReportManifest)),
    Either.mapLeft((error) => new ReportFormatError({ file, detail: error instanceof Error ? error.message.split("\n")[0]! : String(error) }))
  )

/** RFC 4180 fields of one report; quoted fields may hold commas, doubled quotes and line breaks. */
const rowsOf = (text: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = []
  let [row, field, quoted] = [[] as Array<string>, "", false]
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === "\"" && text[i + 1] === "\"") (field += "\"", i++)
      else if (c === "\"") quoted = false
      else field += c
    } else if (c === "\"") quoted = true
    else if (c === ",") (row.push(field), field = "")
    else if (c === "\n") (row.push(field), rows.push(row), row = [], field = "")
    else if (c !== "\r") field += c
  }
  if (field !== "" || row.length > 0) rows.push([...row, field])
  return rows
}

const failureCodes = new Set(["TemporaryFailure", "PermanentFailure"])

/** Every task of one report file. */
export const parseReport = (file: string, text: string): Either.Either<ReadonlyArray<TaskReport>, ReportFormatError> =>
  Either.all(rowsOf(text).map((fields, line) => {
    const [bucket, key, versionId, status, errorCode = "", httpCode = "", message = ""] = fields
    if (bucket === undefined || key === undefined || (status !== "succeeded" && status !== "failed")) {
      return Either.left(new ReportFormatError({ file, detail: `line ${line + 1} is not Bucket,Key,VersionId,TaskStatus,…` }))
    }
    const code = failureCodes.has(httpCode) ? httpCode : failureCodes.has(errorCode) ? errorCode : "PermanentFailure"
    return Either.right({
      bucket,
      key: Either.getOrElse(Either.try(() => decodeKey(key)), () => key),
      versionId: versionId === "" ? undefined : versionId,
      resultCode: (status === "succeeded" ? "Succeeded" : code) as ResultCode,
      message
    })
  }))
