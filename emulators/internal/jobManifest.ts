/**
 * The manifest of an S3 Batch Operations job, read as AWS reads it while the job is Preparing: a
 * CSV of `Bucket,Key[,VersionId]` (keys URL-encoded), or an S3 Inventory report's manifest.json
 * whose gzipped CSV files list the objects. Each line becomes one task, its key left encoded as
 * the manifest wrote it (that is how the task reaches the function).
 */
import { gunzipSync } from "node:zlib"
import { parseCsv } from "./csvText.js"

export const csvFormat = "S3BatchOperations_CSV_20180820"
export const inventoryFormat = "S3InventoryReport_CSV_20161130"

export interface ManifestTask {
  readonly bucket: string
  /** As the manifest spells it: URL-encoded. */
  readonly key: string
  readonly versionId: string | undefined
}

/** What CreateJob said of the manifest. */
export interface ManifestSpec {
  readonly format: typeof csvFormat | typeof inventoryFormat
  /** CSV only: `Bucket, Key` or `Bucket, Key, VersionId`. */
  readonly fields: ReadonlyArray<string>
  readonly bucket: string
  readonly key: string
  readonly etag: string
}

/** Why a manifest could not be read: the job fails with this as its failure reason. */
export interface ManifestProblem {
  readonly code: string
  readonly reason: string
}

/** Reads objects of the job's account; `undefined` when there is none (or it is another account's). */
export type ReadObject = (bucket: string, key: string) => Promise<{ readonly bytes: Buffer; readonly etag: string } | undefined>

const unquote = (etag: string) => etag.replace(/^"|"$/g, "")

/** The fields CreateJob accepts for a CSV manifest, `undefined` when they are not such a list. */
export const validCsvFields = (fields: ReadonlyArray<string>) =>
  fields.length >= 2 && fields.length <= 3 && fields[0] === "Bucket" && fields[1] === "Key" && (fields.length === 2 || fields[2] === "VersionId")

const fromRows = (rows: ReadonlyArray<ReadonlyArray<string>>, columns: { bucket: number; key: number; versionId: number | undefined }, where: string) => {
  const tasks: Array<ManifestTask> = []
  for (const [line, row] of rows.entries()) {
    if (row.length === 1 && row[0] === "") continue
    const bucket = row[columns.bucket]
    const key = row[columns.key]
    if (bucket === undefined || bucket === "" || key === undefined || key === "") {
      return { code: "InvalidManifestContent", reason: `${where}: line ${line + 1} has no bucket or key` } satisfies ManifestProblem
    }
    const versionId = columns.versionId === undefined ? undefined : row[columns.versionId]
    tasks.push({ bucket, key, versionId: versionId === "" ? undefined : versionId })
  }
  return tasks
}

const inventoryTasks = async (read: ReadObject, manifest: Buffer): Promise<Array<ManifestTask> | ManifestProblem> => {
  let parsed: { destinationBucket?: unknown; fileFormat?: unknown; fileSchema?: unknown; files?: unknown }
  try {
    parsed = JSON.parse(manifest.toString("utf8"))
  } catch {
    return { code: "InvalidManifestContent", reason: "the inventory manifest.json is not JSON" }
  }
  const { destinationBucket, fileFormat, fileSchema, files } = parsed
  if (typeof destinationBucket !== "string" || fileFormat !== "CSV" || typeof fileSchema !== "string" || !Array.isArray(files)) {
    return { code: "InvalidManifestContent", reason: "the inventory manifest.json needs destinationBucket, fileFormat CSV, fileSchema and files" }
  }
  const schema = fileSchema.split(",").map((f) => f.trim())
  const bucketColumn = schema.indexOf("Bucket")
  const keyColumn = schema.indexOf("Key")
  const versionColumn = schema.indexOf("VersionId")
  if (bucketColumn === -1 || keyColumn === -1) return { code: "InvalidManifestContent", reason: "the inventory's fileSchema has no Bucket and Key" }
  const bucket = destinationBucket.replace(/^arn:aws[a-z-]*:s3:::/, "")
  const tasks: Array<ManifestTask> = []
  for (const file of files as ReadonlyArray<{ key?: unknown }>) {
    if (typeof file.key !== "string") return { code: "InvalidManifestContent", reason: "an inventory file has no key" }
    const object = await read(bucket, file.key)
    if (object === undefined) return { code: "ManifestNotFound", reason: `inventory file s3://${bucket}/${file.key} cannot be read: Access Denied or missing` }
    let text: string
    try {
      text = gunzipSync(object.bytes).toString("utf8")
    } catch {
      return { code: "InvalidManifestContent", reason: `inventory file s3://${bucket}/${file.key} is not gzip` }
    }
    const rows = fromRows(parseCsv(text), { bucket: bucketColumn, key: keyColumn, versionId: versionColumn === -1 ? undefined : versionColumn }, file.key)
    if (!Array.isArray(rows)) return rows
    tasks.push(...rows)
  }
  return tasks
}

/** The job's tasks, in manifest order, or why there are none. */
export const readManifest = async (spec: ManifestSpec, read: ReadObject): Promise<Array<ManifestTask> | ManifestProblem> => {
  const object = await read(spec.bucket, spec.key)
  if (object === undefined) return { code: "ManifestNotFound", reason: `Reading the manifest s3://${spec.bucket}/${spec.key} failed: Access Denied or missing` }
  if (unquote(object.etag) !== unquote(spec.etag)) {
    return { code: "ManifestETagMismatch", reason: `the manifest's ETag is ${unquote(object.etag)}, the job was created with ${unquote(spec.etag)}` }
  }
  if (spec.format === inventoryFormat) return inventoryTasks(read, object.bytes)
  return fromRows(parseCsv(object.bytes.toString("utf8")), { bucket: 0, key: 1, versionId: spec.fields.length === 3 ? 2 : undefined }, spec.key)
}
