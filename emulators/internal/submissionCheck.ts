/**
 * highvolt-server's sanity checks on a submission, plus the emulator's own: `file_data` must be
 * standard base64 whose decoded bytes have exactly the submitted digests.
 */
import type { ParsedSubmission } from "./submissionParser.js"

export const hashFormats = { sha256: /^[0-9a-fA-F]{64}$/, sha1: /^[0-9a-fA-F]{40}$/, md5: /^[0-9a-fA-F]{32}$/ } as const
export type HashKind = keyof typeof hashFormats
export const hashKinds: ReadonlyArray<HashKind> = ["sha256", "sha1", "md5"]

const stringFields = ["mimetype", "timestamp", "sha256", "sha1", "md5", "app", "full_path", "filename"] as const
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

export interface Verdict {
  /** Reasons for a 400, the first one is the answer's `reason`. Empty when accepted. */
  readonly problems: ReadonlyArray<string>
  /** Accepted but worth a look (missing descriptive fields, upper-case hex, no Content-Length). */
  readonly warnings: ReadonlyArray<string>
}

export const checkSubmission = (parsed: ParsedSubmission): Verdict => {
  const { fields, fileData } = parsed
  const problems: Array<string> = []
  const warnings: Array<string> = []
  for (const name of stringFields) {
    if (name in fields && typeof fields[name] !== "string") problems.push(`${name} must be a string`)
  }
  const timestamp = fields.timestamp
  if (timestamp === undefined || timestamp === "") problems.push("timestamp is required")
  else if (typeof timestamp === "string" && (!rfc3339.test(timestamp) || Number.isNaN(Date.parse(timestamp)))) {
    problems.push("timestamp is not RFC 3339")
  }
  if (fileData === undefined) problems.push("file_data is required")
  const present = hashKinds.filter((kind) => typeof fields[kind] === "string" && fields[kind] !== "")
  if (present.length === 0) problems.push("at least one of sha256, sha1, md5 is required")
  for (const kind of present) {
    const value = fields[kind] as string
    if (!hashFormats[kind].test(value)) problems.push(`invalid ${kind} hash`)
    else if (fileData !== undefined && fileData.problem === undefined && value.toLowerCase() !== fileData[kind]) {
      problems.push(`${kind} does not match file_data`)
    } else if (value !== value.toLowerCase()) warnings.push(`${kind} is not lower-case`)
  }
  if (fileData?.problem !== undefined) problems.push(`file_data is not standard base64: ${fileData.problem}`)
  for (const name of ["mimetype", "filename", "full_path", "app"] as const) {
    if (fields[name] === undefined) warnings.push(`${name} is missing`)
  }
  return { problems, warnings }
}
