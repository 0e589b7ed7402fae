/**
 * The Lambda's environment variables (the product page's table) and the standard AWS ones the
 * scanner's SDK clients are built from, read once through `Config` (the process environment in
 * production, a `ConfigProvider` of the local stack in tests). Every missing or malformed
 * variable is reported in one error, so a broken deployment is fixed in one go rather than one
 * variable per cold start.
 */
import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted, Schema } from "effect"

/** Raised at cold start when the environment is incomplete or malformed; names each variable. */
export class EnvironmentError extends Schema.TaggedError<EnvironmentError>()("EnvironmentError", {
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return `invalid Lambda environment: ${this.problems.join("; ")}`
  }
}

/** An endpoint override (an emulator, an S3-compatible store): the service's own variable, else `AWS_ENDPOINT_URL`. */
const endpoint = (name: string) =>
  Config.option(Config.url(name).pipe(Config.orElse(() => Config.url("AWS_ENDPOINT_URL")))).pipe(
    Config.map(Option.map((url) => url.href))
  )

/** JSONAir sanitizes profile names to these characters: anything else would fetch another profile. */
const profileName = (name: string) =>
  Config.nonEmptyString(name).pipe(
    Config.validate({ message: "may contain only A-Z a-z 0-9 . _ -", validation: (s) => /^[A-Za-z0-9._-]+$/.test(s) })
  )

const config = Config.all({
  secretName: Config.nonEmptyString("JSONAIR_SECRET_NAME"),
  jsonairUrl: Config.url("JSONAIR_URL"),
  jsonairName: profileName("JSONAIR_NAME"),
  jsonairType: profileName("JSONAIR_TYPE"),
  crossAccountRole: Config.nonEmptyString("CROSS_ACCOUNT_ROLE").pipe(
    Config.validate({ message: "must be an IAM role name, not an ARN", validation: (s) => /^[\w+=,.@/-]{1,512}$/.test(s) && !s.startsWith("arn:") }),
    Config.withDefault("OrganizationAccountAccessRole")
  ),
  // Checked here, with STS's own rule: STS would reject a malformed id with an error that quotes
  // it, into every outcome line. Empty counts as unset (a shell variable exported empty).
  crossAccountExternalId: Config.option(
    Config.string("CROSS_ACCOUNT_EXTERNAL_ID").pipe(
      Config.validate({
        message: "must be 2 to 1224 characters of A-Z a-z 0-9 _ + = , . @ : / - (the value is not shown)",
        validation: (id) => id === "" || /^[\w+=,.@:/-]{2,1224}$/.test(id)
      })
    )
  ).pipe(Config.map((id) => Option.filter(id, (s) => s !== "").pipe(Option.map(Redacted.make)))),
  tlsSkipVerify: Config.boolean("TLS_SKIP_VERIFY").pipe(Config.withDefault(false)),
  aws: Config.all({
    region: Config.option(Config.nonEmptyString("AWS_REGION")),
    endpoints: Config.all({
      s3: endpoint("AWS_ENDPOINT_URL_S3"),
      s3Control: endpoint("AWS_ENDPOINT_URL_S3_CONTROL"),
      sts: endpoint("AWS_ENDPOINT_URL_STS"),
      secretsManager: endpoint("AWS_ENDPOINT_URL_SECRETS_MANAGER")
    }),
    credentials: Config.all({
      accessKeyId: Config.option(Config.nonEmptyString("AWS_ACCESS_KEY_ID")),
      secretAccessKey: Config.option(Config.redacted(Config.nonEmptyString("AWS_SECRET_ACCESS_KEY"))),
      sessionToken: Config.option(Config.redacted(Config.nonEmptyString("AWS_SESSION_TOKEN")))
    }).pipe(
      Config.validate({
        message: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both or neither",
        validation: ({ accessKeyId, secretAccessKey }) => Option.isSome(accessKeyId) === Option.isSome(secretAccessKey)
      }),
      Config.map(({ accessKeyId, secretAccessKey, sessionToken }) =>
        Option.all({ accessKeyId, secretAccessKey }).pipe(Option.map((keys) => ({ ...keys, sessionToken })))
      )
    )
  })
})

export interface EnvironmentShape {
  readonly secretName: string
  readonly jsonairUrl: URL
  readonly jsonairName: string
  readonly jsonairType: string
  readonly crossAccountRole: string
  readonly crossAccountExternalId: Option.Option<Redacted.Redacted<string>>
  readonly tlsSkipVerify: boolean
  readonly aws: AwsSettings
}

/**
 * What the SDK clients are built with. Each `None` leaves the SDK to its own lookup: the region
 * of the profile, AWS's endpoints, the default credential chain (profiles, SSO, instance roles).
 */
export interface AwsSettings {
  /** `AWS_REGION`: where STS and Secrets Manager are called (set by Lambda). */
  readonly region: Option.Option<string>
  /** `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`. */
  readonly endpoints: {
    readonly s3: Option.Option<string>
    /** Only the CLI's `backfill --batch-operations` calls S3 Control. */
    readonly s3Control: Option.Option<string>
    readonly sts: Option.Option<string>
    readonly secretsManager: Option.Option<string>
  }
  /** `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`): the own account's keys (set by Lambda). */
  readonly credentials: Option.Option<{
    readonly accessKeyId: string
    readonly secretAccessKey: Redacted.Redacted<string>
    readonly sessionToken: Option.Option<Redacted.Redacted<string>>
  }>
}

/** Each leaf of a ConfigError, as `NAME: problem`. */
const describe = (error: ConfigError.ConfigError): ReadonlyArray<string> =>
  ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left, right) => [...left, ...right],
    orCase: (_, left, right) => [...left, ...right],
    invalidDataCase: (_, path, message) => [`${path.join(".")}: ${message}`],
    missingDataCase: (_, path) => [`${path.join(".")} is required but not set`],
    sourceUnavailableCase: (_, path, message) => [`${path.join(".")}: ${message}`],
    unsupportedCase: (_, path, message) => [`${path.join(".")}: ${message}`]
  })

export class Environment extends Context.Tag("highvolt/Environment")<Environment, EnvironmentShape>() {
  /** Reads the environment from the current `ConfigProvider` (process.env in production). */
  static readonly layer: Layer.Layer<Environment, EnvironmentError> = Layer.effect(
    Environment,
    Effect.either(config).pipe(
      Effect.flatMap(Either.match({
        onLeft: (error) => Effect.fail(new EnvironmentError({ problems: describe(error) })),
        onRight: Effect.succeed
      }))
    )
  )

  static readonly test = (overrides: Partial<EnvironmentShape> = {}): Layer.Layer<Environment> =>
    Layer.succeed(Environment, {
      secretName: "highvolt/jsonair-pat",
      jsonairUrl: new URL("http://127.0.0.1:1"),
      jsonairName: "scanner",
      jsonairType: "aws-s3-lambda",
      crossAccountRole: "OrganizationAccountAccessRole",
      crossAccountExternalId: Option.none(),
      tlsSkipVerify: false,
      aws: {
        region: Option.some("eu-west-1"),
        endpoints: { s3: Option.none(), s3Control: Option.none(), sts: Option.none(), secretsManager: Option.none() },
        credentials: Option.none()
      },
      ...overrides
    })
}
