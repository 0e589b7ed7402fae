/**
 * The embedded local stack: S3 (s3rver behind an account-aware gate), S3 Control (Batch
 * Operations jobs), STS, Secrets Manager,
 * JSONAir and highvolt-server emulators, in-process on 127.0.0.1 and ephemeral ports, speaking
 * the wire protocols the production layers use. `env` points any process at it; the emulator
 * handles expose counters, recordings, seeding and fault injection.
 *
 * Controls that only change in-process state (faults, counters, profiles) are plain functions;
 * those that do I/O (seeding S3, taking JSONAir down) are Effects.
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { defaults, demoConfig } from "./Fixtures.js"
import * as Highvolt from "./HighvoltEmulator.js"
import { type AccessKey, makeIam } from "./IamEmulator.js"
import * as JsonAir from "./JsonAirEmulator.js"
import type { RateLimit } from "./internal/rateLimit.js"
import * as S3Control from "./S3ControlEmulator.js"
import * as S3 from "./S3Emulator.js"
import * as SecretsManager from "./SecretsManagerEmulator.js"
import * as Sts from "./StsEmulator.js"

export type { RateLimit }

export interface LocalStackOptions {
  readonly ownAccount?: string
  readonly memberAccounts?: ReadonlyArray<string>
  readonly outsideAccount?: string
  /** The first is the Lambda's own region (`AWS_REGION`). */
  readonly regions?: ReadonlyArray<string>
  /** The role assumed in member accounts (`CROSS_ACCOUNT_ROLE`). */
  readonly roleName?: string
  /** Required by the member roles' trust policy; `null`: none required (and none in `env`). */
  readonly externalId?: string | null
  /** Forces the lifetime of assumed-role sessions (seconds). */
  readonly sessionTtlSeconds?: number
  readonly secretName?: string
  /** The secret's value; by default `{"JSONAIR_PAT": <jsonairPat>}`. */
  readonly secretValue?: SecretsManager.SecretValue
  readonly jsonairPat?: string
  readonly highvoltPat?: string
  readonly profile?: { readonly type: string; readonly name: string }
  /** The configuration document served for `profile`; by default `demoConfig(highvolt.url, highvoltPat)`. */
  readonly config?: (highvoltUrl: string) => unknown
  /** JWT lifetime of both JSONAir and highvolt (default 3600 s). */
  readonly tokenTtlSeconds?: number
  /** Auth rate limit of both JSONAir and highvolt (default: burst 5, one token per 12 s). */
  readonly authRateLimit?: RateLimit
  readonly highvolt?: Omit<Highvolt.HighvoltOptions, "pat">
  /** Create one bucket per account (own, members, outside) and region (default true). */
  readonly defaultBuckets?: boolean
  /** How Batch Operations jobs run their tasks (attempts per task, tasks per invocation). */
  readonly batchOperations?: Pick<S3Control.S3ControlOptions, "taskAttempts" | "tasksPerInvocation" | "concurrency">
  /** Check SigV4 signatures, not only access key ids (default true). */
  readonly verifySignatures?: boolean
}

/** The environment that points the scanner (or anything using the AWS SDK) at the stack. */
export interface LocalStackEnv {
  readonly AWS_REGION: string
  readonly AWS_ACCESS_KEY_ID: string
  readonly AWS_SECRET_ACCESS_KEY: string
  readonly AWS_ENDPOINT_URL_S3: string
  readonly AWS_ENDPOINT_URL_S3_CONTROL: string
  readonly AWS_ENDPOINT_URL_STS: string
  readonly AWS_ENDPOINT_URL_SECRETS_MANAGER: string
  /** Keeps the SDK from probing the EC2 metadata service should it look for credentials elsewhere. */
  readonly AWS_EC2_METADATA_DISABLED: "true"
  readonly JSONAIR_URL: string
  readonly JSONAIR_SECRET_NAME: string
  readonly JSONAIR_TYPE: string
  readonly JSONAIR_NAME: string
  readonly CROSS_ACCOUNT_ROLE: string
  readonly CROSS_ACCOUNT_EXTERNAL_ID?: string
}

export interface LocalStackHandle {
  readonly env: LocalStackEnv
  readonly accounts: { readonly own: string; readonly members: ReadonlyArray<string>; readonly outside: string }
  readonly regions: ReadonlyArray<string>
  /** The own account's access key (the Lambda's execution role). */
  readonly ownCredentials: AccessKey
  readonly roleName: string
  readonly externalId: string | undefined
  readonly profile: { readonly type: string; readonly name: string }
  readonly jsonairPat: string
  readonly highvoltPat: string
  /** The configuration document JSONAir serves for `profile` at start. */
  readonly config: unknown
  /** The default bucket's name for an account and region (created unless `defaultBuckets: false`). */
  readonly bucketName: (account: string, region: string) => string
  readonly createBucket: S3.S3Emulator["createBucket"]
  readonly putObject: S3.S3Emulator["putObject"]
  readonly deleteObject: S3.S3Emulator["deleteObject"]
  readonly s3: S3.S3Emulator
  readonly s3Control: S3Control.S3ControlEmulator
  /**
   * What terraform's `enable_backfill` creates, in the own account and first Region: the job
   * role, the backfill function's ARN (register its handler with `s3Control.registerFunction`)
   * and the report bucket (created here).
   */
  readonly backfill: { readonly jobRoleArn: string; readonly functionArn: string; readonly reportBucket: string }
  readonly sts: Sts.StsEmulator
  readonly secretsManager: SecretsManager.SecretsEmulator
  readonly jsonair: JsonAir.JsonAirEmulator
  readonly highvolt: Highvolt.HighvoltEmulator
  /** Every secret value the stack has issued or holds (static ones, session keys and tokens, JWTs): what must never leak. */
  readonly secretValues: () => ReadonlyArray<string>
}

/** `hv-<account>-<region>`: a valid, recognisable bucket name. */
const bucketName = (account: string, region: string) => `hv-${account}-${region}`

/** Starts the stack; everything is stopped (and its temporary files removed) when the scope closes. */
export const start = (options: LocalStackOptions = {}): Effect.Effect<LocalStackHandle, never, Scope.Scope> =>
  Effect.gen(function*() {
    const own = options.ownAccount ?? defaults.ownAccount
    const members = options.memberAccounts ?? defaults.memberAccounts
    const outside = options.outsideAccount ?? defaults.outsideAccount
    const regions = options.regions ?? defaults.regions
    const region = regions[0] ?? "us-east-1"
    const roleName = options.roleName ?? defaults.roleName
    const externalId = options.externalId === null ? undefined : options.externalId ?? defaults.externalId
    const secretName = options.secretName ?? defaults.secretName
    const jsonairPat = options.jsonairPat ?? defaults.jsonairPat
    const highvoltPat = options.highvoltPat ?? defaults.highvoltPat
    const profile = options.profile ?? { type: defaults.profileType, name: defaults.profileName }
    const ownCredentials: AccessKey = { accessKeyId: defaults.ownAccessKeyId, secretAccessKey: defaults.ownSecretAccessKey }
    const iam = makeIam({
      ownAccount: own,
      ownKey: ownCredentials,
      lambdaRoleName: defaults.lambdaRoleName,
      verifySignatures: options.verifySignatures ?? true
    })
    const auth = {
      ...(options.tokenTtlSeconds === undefined ? {} : { tokenTtlSeconds: options.tokenTtlSeconds }),
      ...(options.authRateLimit === undefined ? {} : { authRateLimit: options.authRateLimit })
    }

    const [s3, sts, secretsManager, highvolt] = yield* Effect.all([
      S3.start({ iam }),
      Sts.start({
        iam,
        memberAccounts: members,
        roleName,
        externalId,
        ...(options.sessionTtlSeconds === undefined ? {} : { sessionTtlSeconds: options.sessionTtlSeconds })
      }),
      SecretsManager.start({
        iam,
        region,
        secrets: { [secretName]: options.secretValue ?? JSON.stringify({ JSONAIR_PAT: jsonairPat }) }
      }),
      Highvolt.start({ ...auth, ...options.highvolt, pat: highvoltPat })
    ], { concurrency: "unbounded" })
    const s3Control = yield* S3Control.start({ iam, s3, jobRoleName: defaults.jobRoleName, ...options.batchOperations })
    const backfill = {
      jobRoleArn: `arn:aws:iam::${own}:role/${defaults.jobRoleName}`,
      functionArn: `arn:aws:lambda:${region}:${own}:function:${defaults.backfillFunctionName}`,
      reportBucket: `highvolt-s3-backfill-${own}-${region}`
    }
    yield* s3.createBucket({ name: backfill.reportBucket, account: own, region })
    const config = options.config?.(highvolt.url) ?? demoConfig(highvolt.url, highvoltPat)
    const jsonair = yield* JsonAir.start({ ...auth, pat: jsonairPat, profiles: [{ ...profile, document: config }] })

    if (options.defaultBuckets ?? true) {
      yield* Effect.forEach(
        [own, ...members, outside].flatMap((account) => regions.map((r) => ({ account, region: r }))),
        ({ account, region: r }) => s3.createBucket({ name: bucketName(account, r), account, region: r }),
        { concurrency: 8, discard: true }
      )
    }

    const env: LocalStackEnv = {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: ownCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ownCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_S3_CONTROL: s3Control.url,
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      AWS_EC2_METADATA_DISABLED: "true",
      JSONAIR_URL: jsonair.url,
      JSONAIR_SECRET_NAME: secretName,
      JSONAIR_TYPE: profile.type,
      JSONAIR_NAME: profile.name,
      CROSS_ACCOUNT_ROLE: roleName,
      ...(externalId === undefined ? {} : { CROSS_ACCOUNT_EXTERNAL_ID: externalId })
    }

    return {
      env,
      accounts: { own, members, outside },
      regions,
      ownCredentials,
      roleName,
      externalId,
      profile,
      jsonairPat,
      highvoltPat,
      config,
      bucketName,
      createBucket: s3.createBucket,
      putObject: s3.putObject,
      deleteObject: s3.deleteObject,
      s3,
      s3Control,
      backfill,
      sts,
      secretsManager,
      jsonair,
      highvolt,
      secretValues: () => [
        ownCredentials.secretAccessKey,
        jsonairPat,
        highvoltPat,
        ...(externalId === undefined ? [] : [externalId]),
        ...iam.sessions.flatMap((s) => [s.secretAccessKey, s.sessionToken]),
        ...jsonair.issuedTokens,
        ...highvolt.issuedTokens
      ]
    } satisfies LocalStackHandle
  })

/** The running stack as a service, for `layer(LocalStack.layer())` in tests. */
export class LocalStack extends Context.Tag("highvolt/LocalStack")<LocalStack, LocalStackHandle>() {
  static readonly layer = (options?: LocalStackOptions): Layer.Layer<LocalStack> => Layer.scoped(LocalStack, start(options))
}
