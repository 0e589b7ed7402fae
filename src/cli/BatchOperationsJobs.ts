/**
 * The AWS side of `backfill --batch-operations`: S3 Batch Operations jobs created and followed
 * through S3 Control (`CreateJob`, `DescribeJob`) in the scanner's own account, and the job's
 * files in its report bucket (the generated manifest written, the completion report read),
 * under the credentials this CLI runs with.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { CreateJobCommand, type CreateJobCommandInput, DescribeJobCommand, type JobDescriptor, S3ControlClient } from "@aws-sdk/client-s3-control"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { Credentials } from "../Credentials.js"
import type { AccountId, Region } from "../Domain.js"
import { Environment } from "../Environment.js"
import { classify, clientSettings } from "../internal/aws.js"
import { s3ClientConfigFor } from "../internal/s3ClientConfig.js"
import * as Retry from "../Retry.js"

/** Raised when S3 Control or the report bucket refuses a call of a job (after retrying what is transient). */
export class JobError extends Schema.TaggedError<JobError>()("JobError", {
  operation: Schema.Literal("CreateJob", "DescribeJob", "PutManifest", "ReadReport"),
  region: Schema.String,
  /** The job, the manifest or the report file concerned. */
  subject: Schema.String,
  reason: Schema.Literal("access-denied", "invalid", "not-found", "unavailable", "failed"),
  detail: Schema.String
}) {
  override get message() {
    return `${this.operation} ${this.subject} in ${this.region} failed: ${this.detail}`
  }
  get transient() {
    return this.reason === "unavailable"
  }
}

export interface S3Location {
  readonly bucket: string
  readonly key: string
}

export class BatchOperationsJobs extends Context.Tag("highvolt/BatchOperationsJobs")<BatchOperationsJobs, {
  /** Creates the job in the own account and `region`; its id. */
  readonly create: (region: Region, input: Omit<CreateJobCommandInput, "AccountId">) => Effect.Effect<string, JobError>
  readonly describe: (region: Region, jobId: string) => Effect.Effect<JobDescriptor, JobError>
  /** Writes a file of the job (its manifest) to the own account's bucket; its ETag. */
  readonly put: (region: Region, location: S3Location, body: string) => Effect.Effect<string, JobError>
  /** Reads a file of the job (a manifest, a completion report) from the own account's bucket, with its ETag. */
  readonly read: (region: Region, location: S3Location) => Effect.Effect<{ readonly body: string; readonly etag: string }, JobError>
}>() {
  /** With real clients, one of each per Region, destroyed with the layer. */
  static readonly layer = Layer.scoped(
    BatchOperationsJobs,
    Effect.gen(function*() {
      const { ownAccount } = yield* Credentials
      const { aws } = yield* Environment
      const s3ConfigFor = yield* s3ClientConfigFor
      const { region: _ownRegion, ...settings } = clientSettings(aws, "s3Control")
      const controls = new Map<string, S3ControlClient>()
      const buckets = new Map<string, S3Client>()
      yield* Effect.addFinalizer(() => Effect.sync(() => [...controls.values(), ...buckets.values()].forEach((c) => c.destroy())))
      const cached = <C>(clients: Map<string, C>, region: string, make: () => C) => {
        const existing = clients.get(region)
        if (existing !== undefined) return existing
        const client = make()
        clients.set(region, client)
        return client
      }
      const controlIn = (region: Region) =>
        cached(controls, region, () =>
          new S3ControlClient({
            ...settings,
            region,
            // S3 Control's endpoint rules put the account id in front of the host
            // (`<account>.s3-control.<region>…`), which an emulator's 127.0.0.1 cannot carry: an
            // override is used as it is.
            ...Option.match(aws.endpoints.s3Control, { onNone: () => ({}), onSome: (url) => ({ endpointProvider: () => ({ url: new URL(url) }) }) })
          }))
      const bucketIn = (region: Region) => cached(buckets, region, () => new S3Client(s3ConfigFor(ownAccount as AccountId, region)))

      const call = <A>(operation: JobError["operation"], region: Region, subject: string, send: (signal: AbortSignal) => Promise<A>) =>
        Effect.tryPromise({
          try: send,
          catch: (error) => {
            const f = classify(error)
            const reason = f.status === 403 || f.code === "AccessDenied"
              ? "access-denied"
              : f.status === 404 || f.code === "NoSuchJob" || f.code === "NoSuchKey"
              ? "not-found"
              : f.transient
              ? "unavailable"
              : f.status === 400
              ? "invalid"
              : "failed"
            return new JobError({ operation, region, subject, reason, detail: `${f.code}: ${f.message}` })
          }
        }).pipe(Effect.retry(Retry.transientRetry<JobError>()), Effect.withSpan(`BatchOperationsJobs.${operation}`, { attributes: { region, subject } }))

      return {
        create: (region, input) =>
          call("CreateJob", region, input.ClientRequestToken ?? "job", (signal) =>
            controlIn(region).send(new CreateJobCommand({ ...input, AccountId: ownAccount }), { abortSignal: signal })).pipe(
              Effect.flatMap((answer) =>
                answer.JobId === undefined
                  ? Effect.fail(new JobError({ operation: "CreateJob", region, subject: input.ClientRequestToken ?? "job", reason: "failed", detail: "no JobId in the answer" }))
                  : Effect.succeed(answer.JobId)
              )
            ),
        describe: (region, jobId) =>
          call("DescribeJob", region, jobId, (signal) => controlIn(region).send(new DescribeJobCommand({ AccountId: ownAccount, JobId: jobId }), { abortSignal: signal })).pipe(
            Effect.flatMap((answer) =>
              answer.Job === undefined
                ? Effect.fail(new JobError({ operation: "DescribeJob", region, subject: jobId, reason: "failed", detail: "no Job in the answer" }))
                : Effect.succeed(answer.Job)
            )
          ),
        put: (region, location, body) =>
          call("PutManifest", region, `s3://${location.bucket}/${location.key}`, (signal) =>
            bucketIn(region).send(new PutObjectCommand({ Bucket: location.bucket, Key: location.key, Body: body, ContentType: "text/csv" }), { abortSignal: signal })).pipe(
              Effect.map((answer) => answer.ETag ?? "")
            ),
        read: (region, location) =>
          call("ReadReport", region, `s3://${location.bucket}/${location.key}`, async (signal) => {
            const answer = await bucketIn(region).send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }), { abortSignal: signal })
            return { body: answer.Body === undefined ? "" : await answer.Body.transformToString("utf8"), etag: answer.ETag ?? "" }
          })
      }
    })
  )
}
