/**
 * AWS credentials for reading a bucket. Buckets of the Lambda's own account are read with its
 * execution role; any other account's with the reader role assumed there (`CROSS_ACCOUNT_ROLE`,
 * with `CROSS_ACCOUNT_EXTERNAL_ID` when set). Assumed credentials are cached per account until
 * five minutes before they expire, and concurrent events of one account share one AssumeRole.
 */
import {
  AssumeRoleCommand,
  type AssumeRoleCommandOutput,
  GetCallerIdentityCommand,
  type GetCallerIdentityCommandOutput,
  STSClient
} from "@aws-sdk/client-sts"
import type { AwsCredentialIdentity } from "@aws-sdk/types"
import { Cache, Cause, Clock, Context, Duration, Effect, Exit, Layer, Option, Redacted, Schema } from "effect"
import { AccountId } from "./Domain.js"
import { Environment } from "./Environment.js"
import { classify, scopedClient, withinAttemptTimeout } from "./internal/aws.js"
import * as Retry from "./Retry.js"

/** How a bucket's account is accessed. */
export type AccountAccess =
  | { readonly _tag: "ExecutionRole" }
  | { readonly _tag: "AssumedRole"; readonly roleArn: string; readonly credentials: AwsCredentialIdentity }

/** Raised when STS will not give us the account's reader role (role missing, trust or external id wrong) or is unreachable. */
export class CredentialsError extends Schema.TaggedError<CredentialsError>()("CredentialsError", {
  account: Schema.String,
  roleArn: Schema.String,
  reason: Schema.Literal("access-denied", "unavailable", "failed"),
  detail: Schema.String
}) {
  override get message() {
    return `cannot assume ${this.roleArn} for account ${this.account}: ${this.detail}`
  }
  get transient() {
    return this.reason === "unavailable"
  }
}

/** Raised at cold start when `GetCallerIdentity` fails: without our own account we cannot tell whose buckets are ours. */
export class IdentityError extends Schema.TaggedError<IdentityError>()("IdentityError", {
  detail: Schema.String,
  transient: Schema.Boolean
}) {
  override get message() {
    return `cannot determine the Lambda's own account: ${this.detail}`
  }
}

/** Renew assumed credentials this long before they expire. */
export const renewBefore = Duration.minutes(5)

/** The part of an STS client we use; tests pass a fake one. */
export interface StsApi {
  readonly send: (
    command: GetCallerIdentityCommand | AssumeRoleCommand,
    options: { readonly abortSignal: AbortSignal }
  ) => Promise<GetCallerIdentityCommandOutput & AssumeRoleCommandOutput>
}

/** Learns our own account (cold start) and serves per-account access from a cache. */
export const make = (sts: StsApi) =>
  Effect.gen(function*() {
    const env = yield* Environment
    const identity = yield* Effect.tryPromise({
      try: (signal) => sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal }),
      catch: (error) => {
        const failure = classify(error)
        return new IdentityError({ detail: `${failure.code}: ${failure.message}`, transient: failure.transient })
      }
    }).pipe(
      withinAttemptTimeout((detail) => new IdentityError({ detail: `STS GetCallerIdentity: ${detail}`, transient: true })),
      Effect.retry(Retry.transientRetry<IdentityError>())
    )
    const ownAccount = yield* Schema.decodeUnknown(AccountId)(identity.Account).pipe(
      Effect.mapError(() => new IdentityError({ detail: "GetCallerIdentity returned no valid account id", transient: false }))
    )
    // The partition (aws, aws-cn, aws-us-gov) of role ARNs is ours: roles are assumed within it.
    const partition = identity.Arn?.split(":")[1] ?? "aws"
    const roleArnOf = (account: AccountId) => `arn:${partition}:iam::${account}:role/${env.crossAccountRole}`
    // STS quotes a value it rejects; the external id must not reach an error, and so an outcome line.
    const withoutExternalId = (text: string) =>
      Option.match(env.crossAccountExternalId, {
        onNone: () => text,
        onSome: (id) => text.replaceAll(Redacted.value(id), "<redacted>")
      })

    const assume = (account: AccountId) => {
      const roleArn = roleArnOf(account)
      return Effect.tryPromise({
        try: (signal) =>
          sts.send(
            new AssumeRoleCommand({
              RoleArn: roleArn,
              RoleSessionName: "highvolt-aws-s3-lambda",
              ...Option.match(env.crossAccountExternalId, {
                onNone: () => ({}),
                onSome: (id) => ({ ExternalId: Redacted.value(id) })
              })
            }),
            { abortSignal: signal }
          ),
        catch: (error) => {
          const failure = classify(error)
          const reason = failure.code === "AccessDenied" || failure.status === 403
            ? "access-denied"
            : failure.transient
            ? "unavailable"
            : "failed"
          return new CredentialsError({ account, roleArn, reason, detail: withoutExternalId(`${failure.code}: ${failure.message}`) })
        }
      }).pipe(
        withinAttemptTimeout((detail) => new CredentialsError({ account, roleArn, reason: "unavailable", detail: `STS AssumeRole: ${detail}` })),
        Effect.retry(Retry.transientRetry<CredentialsError>()),
        Effect.flatMap((answer) => {
          const c = answer.Credentials
          return c?.AccessKeyId && c.SecretAccessKey && c.SessionToken && c.Expiration
            ? Effect.map(Clock.currentTimeMillis, (now) => ({
              access: {
                _tag: "AssumedRole",
                roleArn,
                credentials: {
                  accessKeyId: c.AccessKeyId!,
                  secretAccessKey: c.SecretAccessKey!,
                  sessionToken: c.SessionToken!,
                  expiration: c.Expiration!
                }
              } satisfies AccountAccess as AccountAccess,
              keepFor: Duration.millis(Math.max(0, c.Expiration!.getTime() - now - Duration.toMillis(renewBefore)))
            }))
            : Effect.fail(new CredentialsError({ account, roleArn, reason: "failed", detail: "STS returned incomplete credentials" }))
        }),
        Effect.withSpan("Credentials.assumeRole", { attributes: { account } })
      )
    }

    const cache = yield* Cache.makeWith({
      capacity: 10_000,
      lookup: assume,
      timeToLive: Exit.match({ onFailure: () => Duration.zero, onSuccess: (entry) => entry.keepFor })
    })

    const forAccount = (account: AccountId): Effect.Effect<AccountAccess, CredentialsError> =>
      account === ownAccount
        ? Effect.succeed<AccountAccess>({ _tag: "ExecutionRole" })
        : cache.get(account).pipe(
          Effect.map((entry) => entry.access),
          // Failures must not be served from the cache: a TTL of zero still holds within the same millisecond.
          Effect.tapError(() => cache.invalidate(account)),
          // The first event to ask runs the AssumeRole; if its deadline interrupts it, the events
          // waiting for it receive that interruption only, which is no answer: they ask again.
          // The cache has already dropped the interrupted lookup, so the first to ask starts a new
          // one and the others share it. (An event that is itself interrupted stops here: this
          // handler does not run for it.)
          Effect.catchAllCause((cause) => Cause.isInterruptedOnly(cause) ? forAccount(account) : Effect.failCause(cause))
        )

    return { ownAccount, forAccount, invalidate: (account: AccountId) => cache.invalidate(account) }
  })

export class Credentials extends Context.Tag("highvolt/Credentials")<Credentials, {
  readonly ownAccount: AccountId
  /** How to read buckets of `account`; STS failures are typed, transient ones retried first. */
  readonly forAccount: (account: AccountId) => Effect.Effect<AccountAccess, CredentialsError>
  /** Forgets the account's cached session (S3 said it expired): the next `forAccount` assumes the role again. */
  readonly invalidate: (account: AccountId) => Effect.Effect<void>
}>() {
  /** With the real STS client, destroyed with the layer. */
  static readonly layer = Layer.scoped(
    Credentials,
    scopedClient("sts", (settings) => new STSClient(settings)).pipe(Effect.flatMap(make))
  )

  /** Own account uses the execution role; others get fixed fake credentials, or the error `deny` returns. */
  static readonly test = (
    ownAccount: AccountId,
    deny: (account: AccountId) => Option.Option<CredentialsError> = () => Option.none()
  ): Layer.Layer<Credentials> =>
    Layer.succeed(Credentials, {
      ownAccount,
      invalidate: () => Effect.void,
      forAccount: (account) =>
        account === ownAccount
          ? Effect.succeed({ _tag: "ExecutionRole" })
          : Option.match(deny(account), {
            onSome: Effect.fail,
            onNone: () =>
              Effect.succeed({
                _tag: "AssumedRole",
                roleArn: `arn:aws:iam::${account}:role/test`,
                credentials: { accessKeyId: "ASIATEST", secretAccessKey: "test", sessionToken: "test" }
              })
          })
    })
}
