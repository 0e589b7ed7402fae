/**
 * What scanning a set of existing objects would cost, for `backfill --dry-run`: the cost model
 * of terraform/README.md ("Cost model", US East on-demand prices, every object assumed new —
 * an upper bound, as skips and duplicates cost less), applied to the listed objects.
 */

/** The Lambda cost model's constants (terraform/README.md#cost-model). */
export const LambdaModel = {
  /** Fixed milliseconds per object (round trips to STS, S3, highvolt-server), warm. */
  fixedMs: 150,
  /** CPU milliseconds per MiB of a new object (read, three hashes, spool, base64, upload). */
  cpuMsPerMiB: 9.0,
  memoryMb: 1024,
  /** Memory at which Lambda gives one full vCPU. */
  fullVcpuMb: 1769,
  /** arm64, per GB-second. */
  usdPerGbSecond: 0.0000133334,
  usdPerRequest: 0.2 / 1_000_000,
  /** The EMF outcome line and Lambda's START/END/REPORT lines. */
  logBytesPerObject: 1200,
  usdPerLogGb: 0.5
} as const

/** S3's prices for what a direct backfill itself does (US East, S3 Standard). */
export const S3Prices = {
  usdPerGet: 0.0004 / 1000,
  /** ListObjectsV2 (and ListBuckets): one request per page of up to 1,000 keys. */
  usdPerList: 0.005 / 1000,
  /** Data transfer out of AWS to the internet (first 10 TB a month); free to EC2 in the same Region. */
  usdPerGbOut: 0.09
} as const

/** S3 Batch Operations' own prices (US East): a fee per job and per object operation (task). */
export const BatchOperationsPrices = {
  usdPerJob: 0.25,
  usdPerTask: 1.0 / 1_000_000,
  /** The generated CSV manifest's upload, one PUT per job. */
  usdPerPut: 0.005 / 1000
} as const

export interface Listed {
  readonly objects: number
  readonly bytes: number
  /** ListObjectsV2 pages (and ListBuckets calls) the listing took. */
  readonly listRequests: number
}

export interface Estimate {
  /** S3 GET and LIST requests of a direct backfill. */
  readonly directRequestsUsd: number
  /** S3 data transfer out, when this machine is outside AWS. */
  readonly directTransferOutUsd: number
  /** The same objects scanned by the Lambda (compute, requests, logs), e.g. through S3 Batch Operations. */
  readonly lambdaUsd: number
}

const MiB = 1024 * 1024
const GB = 1e9

/** The Lambda's duration for one object of `bytes`, in ms (the model's `T0 + S × c × 1769 / M`). */
export const lambdaMs = (bytes: number) =>
  LambdaModel.fixedMs + (bytes / MiB) * LambdaModel.cpuMsPerMiB * (LambdaModel.fullVcpuMb / LambdaModel.memoryMb)

/**
 * The estimate for the listed objects. Object sizes are summed, not kept, so the CPU part is
 * computed from the total bytes: the model is linear in size, which makes that exact.
 */
export const estimate = (listed: Listed): Estimate => {
  const gbSeconds = (LambdaModel.memoryMb / 1024) *
    (listed.objects * LambdaModel.fixedMs + (listed.bytes / MiB) * LambdaModel.cpuMsPerMiB * (LambdaModel.fullVcpuMb / LambdaModel.memoryMb)) / 1000
  return {
    directRequestsUsd: listed.objects * S3Prices.usdPerGet + listed.listRequests * S3Prices.usdPerList,
    directTransferOutUsd: (listed.bytes / GB) * S3Prices.usdPerGbOut,
    lambdaUsd: gbSeconds * LambdaModel.usdPerGbSecond + listed.objects * LambdaModel.usdPerRequest +
      (listed.objects * LambdaModel.logBytesPerObject / GB) * LambdaModel.usdPerLogGb
  }
}

/**
 * `--batch-operations`: the Lambda's cost for the objects, its S3 GETs, the listing that
 * generated the manifests, and Batch Operations' fee for `jobs` jobs and one task per object.
 */
export const batchOperationsUsd = (listed: Listed, jobs: number) => {
  const { lambdaUsd } = estimate(listed)
  const feeUsd = jobs * BatchOperationsPrices.usdPerJob + listed.objects * BatchOperationsPrices.usdPerTask
  const s3Usd = listed.objects * S3Prices.usdPerGet + listed.listRequests * S3Prices.usdPerList + jobs * BatchOperationsPrices.usdPerPut
  return { feeUsd, lambdaUsd, s3Usd, totalUsd: feeUsd + lambdaUsd + s3Usd }
}

export const usd = (amount: number) => (amount > 0 && amount < 0.01 ? `$${amount.toFixed(4)}` : `$${amount.toFixed(2)}`)
