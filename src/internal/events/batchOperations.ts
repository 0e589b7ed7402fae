/**
 * The event of an S3 Batch Operations "Invoke AWS Lambda function" job:
 *
 *   2.0: {invocationSchemaVersion, invocationId, job: {id, userArguments}, tasks: [{taskId, s3Bucket, s3Key, s3VersionId}]}
 *   1.0: the same with `s3BucketArn` instead of `s3Bucket`, and no `userArguments`.
 *
 * Decoded in two steps: the envelope (without it there is nobody to answer: the invocation
 * fails), then each task on its own, so that a bad task or the job's missing arguments fail only
 * the tasks concerned, each with a message naming the problem. The bucket's owner and Region come
 * from `userArguments` `{"accountId", "region"}`: neither the task nor a 1.0 bucket ARN carries them.
 */
import { Either, Option, ParseResult, Predicate, Schema } from "effect"
import { type BatchJob, type BatchTask, InvalidTask, SchemaVersion } from "../../BatchJob.js"
import { AccountId, BucketName, ObjectCreated, Region } from "../../Domain.js"
import { formatIssue } from "./issue.js"
import { manifestKey, WireKey } from "./keys.js"

/** Whether `input` claims to be a Batch Operations job (then it is decoded as one, and only as one). */
export const isBatchJob = (input: unknown): boolean =>
  Predicate.hasProperty(input, "invocationSchemaVersion") && Predicate.hasProperty(input, "tasks")

const Envelope = Schema.Struct({
  invocationSchemaVersion: SchemaVersion,
  invocationId: Schema.NonEmptyString,
  job: Schema.Struct({ id: Schema.NonEmptyString, userArguments: Schema.optional(Schema.Unknown) }),
  tasks: Schema.Array(Schema.Struct({ taskId: Schema.NonEmptyString }, Schema.Record({ key: Schema.String, value: Schema.Unknown })))
})

/** Where the job's objects are: one job per account and Region. Other arguments are ignored. */
export const JobArguments = Schema.Struct({ accountId: AccountId, region: Region })
export type JobArguments = typeof JobArguments.Type

/** `null` (an unversioned bucket), absent or empty: no version. */
const VersionId = Schema.optional(Schema.NullOr(Schema.String))

const TaskV2 = Schema.Struct({ s3Bucket: BucketName, s3Key: WireKey, s3VersionId: VersionId })

const BucketArn = Schema.String.pipe(
  Schema.pattern(/^arn:aws[a-z-]*:s3:::[^:/]+$/, { message: () => "not an S3 bucket ARN (arn:aws:s3:::bucket)" })
)
const TaskV1 = Schema.Struct({ s3BucketArn: BucketArn, s3Key: WireKey, s3VersionId: VersionId })

const missingArguments = (version: SchemaVersion) =>
  version === "1.0"
    ? "job.userArguments: missing: invocation schema 1.0 cannot carry them; create the job with invocation schema 2.0 and userArguments {\"accountId\": \"<12 digits>\", \"region\": \"<region>\"}"
    : "job.userArguments: missing: the job must pass {\"accountId\": \"<12 digits>\", \"region\": \"<region>\"}, the owner and Region of its buckets"

/** `issue` as `root.path: problem` (or `root: problem` when it is about `root` itself). */
const under = (root: string, issue: ParseResult.ParseIssue): string => {
  const line = formatIssue(issue, root)
  return line.startsWith(`${root}:`) ? line : line.startsWith("[") ? `${root}${line}` : `${root}.${line}`
}

/** The job's arguments, or the message every task will carry. */
const argumentsOf = (version: SchemaVersion, userArguments: unknown): Either.Either<JobArguments, string> =>
  userArguments === undefined
    ? Either.left(missingArguments(version))
    : Either.mapLeft(
      ParseResult.decodeUnknownEither(JobArguments)(userArguments),
      (issue) => `${under("job.userArguments", issue)} (expected {"accountId": "<12 digits>", "region": "<region>"})`
    )

const stringAt = (task: Readonly<Record<string, unknown>>, field: string): string | undefined =>
  typeof task[field] === "string" ? task[field] : undefined

const bucketOfArn = (arn: string): string => arn.slice(arn.indexOf(":::") + 3)

const decodeTask = (
  version: SchemaVersion,
  jobArguments: Either.Either<JobArguments, string>,
  task: { readonly taskId: string } & Readonly<Record<string, unknown>>,
  index: number
): BatchTask => {
  const { taskId } = task
  const bucketSeen = stringAt(task, "s3Bucket") ?? Option.getOrUndefined(Option.map(Option.fromNullable(stringAt(task, "s3BucketArn")), bucketOfArn))
  const keySeen = stringAt(task, "s3Key")
  const invalid = (message: string) =>
    Either.left(
      new InvalidTask({ taskId, message, ...(bucketSeen === undefined ? {} : { bucket: bucketSeen }), ...(keySeen === undefined ? {} : { key: keySeen }) })
    )
  if (Either.isLeft(jobArguments)) return { taskId, scan: invalid(jobArguments.left) }
  const { accountId, region } = jobArguments.right
  const fields = version === "2.0"
    ? Either.map(ParseResult.decodeUnknownEither(TaskV2)(task), (t) => ({ bucket: t.s3Bucket, key: t.s3Key, versionId: t.s3VersionId }))
    : Either.flatMap(ParseResult.decodeUnknownEither(TaskV1)(task), (t) =>
      Either.map(
        ParseResult.decodeUnknownEither(BucketName)(bucketOfArn(t.s3BucketArn)),
        (bucket) => ({ bucket, key: t.s3Key, versionId: t.s3VersionId })
      ))
  if (Either.isLeft(fields)) return { taskId, scan: invalid(under(`tasks[${index}]`, fields.left)) }
  const { bucket, key, versionId } = fields.right
  return {
    taskId,
    scan: Either.right(
      new ObjectCreated({
        eventId: taskId,
        shape: "s3-batch-operations",
        eventName: "S3BatchOperations",
        eventTime: Option.none(),
        account: accountId,
        region,
        bucket,
        key: manifestKey(key),
        versionId: Option.filter(Option.fromNullable(versionId), (v) => v.length > 0),
        size: Option.none(),
        etag: Option.none(),
        uploader: Option.none(),
        sourceIp: Option.none()
      })
    )
  }
}

/** The job and its tasks; fails (with the issue) only when the envelope itself is not a job. */
export const decodeBatchJob = (input: unknown): Either.Either<BatchJob, ParseResult.ParseIssue> =>
  Either.map(ParseResult.decodeUnknownEither(Envelope)(input), (envelope) => {
    const jobArguments = argumentsOf(envelope.invocationSchemaVersion, envelope.job.userArguments)
    return {
      schemaVersion: envelope.invocationSchemaVersion,
      invocationId: envelope.invocationId,
      jobId: envelope.job.id,
      tasks: envelope.tasks.map((task, index) => decodeTask(envelope.invocationSchemaVersion, jobArguments, task, index))
    }
  })
