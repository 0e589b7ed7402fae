/**
 * The local stack's default identities, secrets and configuration document. Every secret is a
 * recognisable fake containing `hvtest`, so leak tests can grep logs and outputs for it.
 */

/** Every fake secret of the local stack contains this marker. */
export const canaryMarker = "hvtest"

export const defaults = {
  ownAccount: "111111111111",
  memberAccounts: ["222222222222", "333333333333"],
  /** An account outside the organization: its roles may not be assumed. */
  outsideAccount: "999999999999",
  regions: ["eu-west-1", "us-east-1"],
  ownAccessKeyId: "AKIAHVTESTOWNLOCAL01",
  ownSecretAccessKey: "hvtestOwnSecretAccessKey+DoNotLeak/00001",
  /** The Lambda's execution role, as GetCallerIdentity names it. */
  lambdaRoleName: "highvolt-s3-scanner",
  roleName: "OrganizationAccountAccessRole",
  externalId: "hvtest-external-id-5e6f7a8b",
  secretName: "highvolt/jsonair-pat",
  jsonairPat: "hvtest-jsonair-pat-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
  highvoltPat: "hvtest-highvolt-pat-a1b2c3d4e5f60718293a4b5c6d7e8f90",
  /** terraform/backfill.tf's names: the Batch Operations job role and the backfill function. */
  jobRoleName: "highvolt-s3-backfill-batch-operations",
  backfillFunctionName: "highvolt-aws-s3-lambda-backfill",
  profileType: "aws-s3-lambda",
  profileName: "scanner"
} as const

/** What the demo profile allows: the common office, image, text and archive types. */
export const demoMimeTypes: ReadonlyArray<string> = [
  "application/pdf",
  "image/jpeg",
  "image/png",
  "image/gif",
  "image/tiff",
  "application/msword",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.ms-excel",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/rtf",
  "text/csv",
  "text/plain",
  "application/json",
  "message/rfc822",
  "application/zip"
]

/** The configuration document JSONAir serves by default. */
export const demoConfig = (highvoltUrl: string, highvoltPat: string) => ({
  core: { mime_types: demoMimeTypes, max_file_size: 100 * 1024 * 1024 },
  highvolt: { url: highvoltUrl, pat: highvoltPat, query: { timeout: 30 }, submit: { timeout: 300 } },
  // Blocks the batch scanner's profile also holds; this scanner ignores them.
  syslog: { enabled: false, address: "127.0.0.1:514" }
})
