/**
 * The Lambda's environment variables (the product page's table), read once through `Config`.
 * Every missing or malformed variable is reported in one error, so a broken deployment is
 * fixed in one go rather than one variable per cold start.
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
  tlsSkipVerify: Config.boolean("TLS_SKIP_VERIFY").pipe(Config.withDefault(false))
})

export interface EnvironmentShape {
  readonly secretName: string
  readonly jsonairUrl: URL
  readonly jsonairName: string
  readonly jsonairType: string
  readonly crossAccountRole: string
  readonly crossAccountExternalId: Option.Option<Redacted.Redacted<string>>
  readonly tlsSkipVerify: boolean
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
      ...overrides
    })
}
