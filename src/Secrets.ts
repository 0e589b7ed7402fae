/**
 * The JSONAir PAT, read from Secrets Manager at cold start. The secret may be a JSON object
 * `{"JSONAIR_PAT": "…"}` or the plain PAT; the value is wrapped in `Redacted` at once.
 */
import { GetSecretValueCommand, type GetSecretValueCommandOutput, SecretsManagerClient } from "@aws-sdk/client-secrets-manager"
import { Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { Environment } from "./Environment.js"
import { classify, scopedClient, withinAttemptTimeout } from "./internal/aws.js"
import * as Retry from "./Retry.js"

/** Raised when the PAT cannot be had: the secret is missing, unreadable, binary, or lacks `JSONAIR_PAT`. */
export class SecretError extends Schema.TaggedError<SecretError>()("SecretError", {
  secretName: Schema.String,
  reason: Schema.Literal("not-found", "access-denied", "binary", "missing-key", "empty", "unavailable", "failed"),
  detail: Schema.String
}) {
  override get message() {
    return `secret ${this.secretName}: ${this.detail}`
  }
  get transient() {
    return this.reason === "unavailable"
  }
}

/** A secret as Secrets Manager returns it. */
export interface SecretValue {
  readonly SecretString?: string | undefined
  readonly SecretBinary?: Uint8Array | undefined
}

const PatObject = Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown }))

/** The PAT inside a secret value: the `JSONAIR_PAT` key of a JSON object, or the whole string. */
export const patFromSecret = (secretName: string, value: SecretValue): Effect.Effect<Redacted.Redacted<string>, SecretError> => {
  const fail = (reason: SecretError["reason"], detail: string) => Effect.fail(new SecretError({ secretName, reason, detail }))
  if (value.SecretString === undefined) {
    return value.SecretBinary === undefined
      ? fail("empty", "the secret has no value")
      : fail("binary", "the secret is binary; store the PAT as a string or as {\"JSONAIR_PAT\": \"…\"}")
  }
  const text = value.SecretString.trim()
  if (text === "") return fail("empty", "the secret string is empty")
  const asObject = Schema.decodeUnknownOption(PatObject)(text)
  if (Option.isNone(asObject)) return Effect.succeed(Redacted.make(text))
  const pat = asObject.value["JSONAIR_PAT"]
  return typeof pat === "string" && pat.trim() !== ""
    ? Effect.succeed(Redacted.make(pat.trim()))
    : fail("missing-key", "the secret is a JSON object without a non-empty string JSONAIR_PAT")
}

/** The part of a Secrets Manager client we use; tests pass a fake one. */
export interface SecretsApi {
  readonly send: (command: GetSecretValueCommand, options: { readonly abortSignal: AbortSignal }) => Promise<GetSecretValueCommandOutput>
}

/** Reads PATs through `client`; transient failures (and attempts that do not answer) are retried. */
export const make = (client: SecretsApi): Secrets["Type"] => {
  const read = (secretName: string) =>
    Effect.tryPromise({
      try: (signal) => client.send(new GetSecretValueCommand({ SecretId: secretName }), { abortSignal: signal }),
      catch: (error) => {
        const failure = classify(error)
        const reason = failure.code === "ResourceNotFoundException"
          ? "not-found"
          : failure.code === "AccessDeniedException" || failure.code === "DecryptionFailure"
          ? "access-denied"
          : failure.transient
          ? "unavailable"
          : "failed"
        return new SecretError({ secretName, reason, detail: `${failure.code}: ${failure.message}` })
      }
    }).pipe(withinAttemptTimeout((detail) => new SecretError({ secretName, reason: "unavailable", detail: `Secrets Manager: ${detail}` })))
  return {
    jsonairPat: (secretName) =>
      read(secretName).pipe(
        Effect.retry(Retry.transientRetry<SecretError>()),
        Effect.flatMap((value) => patFromSecret(secretName, value)),
        Effect.withSpan("Secrets.jsonairPat")
      )
  }
}

export class Secrets extends Context.Tag("highvolt/Secrets")<Secrets, {
  /** Reads the PAT from the named secret; transient AWS failures are retried. */
  readonly jsonairPat: (secretName: string) => Effect.Effect<Redacted.Redacted<string>, SecretError>
}>() {
  /** With the real Secrets Manager client, destroyed with the layer. */
  static readonly layer: Layer.Layer<Secrets, never, Environment> = Layer.scoped(
    Secrets,
    scopedClient("secretsManager", (settings) => new SecretsManagerClient(settings)).pipe(Effect.map(make))
  )

  /** Serves secrets from memory, parsed exactly as the live layer parses them. */
  static readonly test = (secrets: Record<string, SecretValue>): Layer.Layer<Secrets> =>
    Layer.succeed(Secrets, {
      jsonairPat: (secretName) => {
        const value = secrets[secretName]
        return value === undefined
          ? Effect.fail(new SecretError({ secretName, reason: "not-found", detail: "ResourceNotFoundException: no such secret" }))
          : patFromSecret(secretName, value)
      }
    })
}
