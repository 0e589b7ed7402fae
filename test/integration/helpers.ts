/**
 * Integration harness: the embedded local stack, and the PRODUCTION application layer
 * (`AppLayer`, unchanged) behind the Lambda handler (`makeHandler`), pointed at the stack only
 * through the environment — exactly how `src/lambda.ts` runs, except that outcomes are collected
 * in memory (`OutcomeLog.test`) instead of printed as EMF lines.
 *
 * Every socket this process opens is checked: anything but loopback is refused and reported.
 */
import { createHash } from "node:crypto"
import { Effect, Layer, Ref } from "effect"
import { AppLayer } from "../../src/AppLayer.js"
import { type LambdaHandler, makeHandler } from "../../src/LambdaHandler.js"
import * as LocalStack from "../../emulators/LocalStack.js"
import type { Outcome } from "../../src/Outcome.js"
import { OutcomeLog } from "../../src/OutcomeLog.js"

export { nonLoopbackConnections, type Stack, startStack } from "../helpers/localStackHarness.js"

// ---------------------------------------------------------------------------------------------
// The application under test
// ---------------------------------------------------------------------------------------------

export interface Container {
  /** The Lambda handler, as `src/lambda.ts` exports it (minus EMF printing). */
  readonly lambda: LambdaHandler
  /** Invokes the handler with a context that leaves `remainingMs` (default 60 s). */
  readonly invoke: (event: unknown, remainingMs?: number) => Promise<any>
  /** Invokes and returns the rejection (or fails the test if it resolved). */
  readonly invokeFailing: (event: unknown, remainingMs?: number) => Promise<Error>
  /** Every outcome recorded so far, in order. */
  readonly outcomes: () => ReadonlyArray<Outcome>
  /** Outcomes of one event id. */
  readonly outcomesOf: (eventId: string) => ReadonlyArray<Outcome>
  readonly dispose: () => Promise<void>
}

/** A fresh Lambda container: the production `AppLayer`, built lazily on the first invocation. */
export const newContainer = (): Container => {
  const recorded = Effect.runSync(Ref.make<ReadonlyArray<Outcome>>([]))
  const lambda = makeHandler(Layer.mergeAll(AppLayer, OutcomeLog.test(recorded)))
  const context = (ms: number) => ({ getRemainingTimeInMillis: () => ms })
  const outcomes = () => Effect.runSync(Ref.get(recorded))
  return {
    lambda,
    invoke: (event, ms = 60_000) => lambda.handler(event, context(ms)),
    invokeFailing: (event, ms = 60_000) =>
      lambda.handler(event, context(ms)).then(
        (answer) => {
          throw new Error(`expected the invocation to fail, it answered ${JSON.stringify(answer)}`)
        },
        (error: unknown) => error as Error
      ),
    outcomes,
    outcomesOf: (eventId) => outcomes().filter((o) => o.eventId === eventId),
    dispose: () => lambda.dispose()
  }
}

// ---------------------------------------------------------------------------------------------
// Content and assertions helpers
// ---------------------------------------------------------------------------------------------

export const sha256 = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex")
export const sha1 = (bytes: string | Uint8Array) => createHash("sha1").update(bytes).digest("hex")
export const md5 = (bytes: string | Uint8Array) => createHash("md5").update(bytes).digest("hex")

let serial = 0
/** A small, unique PDF-looking document (detected as `application/pdf`). */
export const pdf = (label: string): Buffer =>
  Buffer.from(`%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj << /Title (${label}) /Serial ${++serial} /Nonce ${Math.random()} >> endobj\n%%EOF\n`, "latin1")

/** Submissions highvolt recorded for this SHA256. */
export const submissionsOf = (stack: LocalStack.LocalStackHandle, hash: string) =>
  stack.highvolt.submissions.filter((s) => s.fields["sha256"] === hash)

/** GetObject calls the S3 gate saw for a bucket and (decoded) key. */
export const getObjectCalls = (stack: LocalStack.LocalStackHandle, bucket: string, key: string) =>
  stack.s3.calls.filter((c) => c.action === "GetObject" && c.params["bucket"] === bucket && c.params["key"] === key)

/** Requests highvolt saw on an endpoint path suffix (`/auth/token`, `/query`, `/submit`). */
export const highvoltRequests = (stack: LocalStack.LocalStackHandle, suffix: string) =>
  stack.highvolt.requests.filter((r) => r.path.endsWith(suffix))

/** Fails when any text contains one of the stack's secrets (PATs, keys, session tokens, JWTs). */
export const leakedSecrets = (stack: LocalStack.LocalStackHandle, texts: ReadonlyArray<string>): ReadonlyArray<string> => {
  const secrets = stack.secretValues().filter((s) => s.length >= 8)
  return texts.flatMap((text) => secrets.filter((secret) => text.includes(secret)).map(() => "a stack secret appeared in output"))
}

/** The product page's submission fields, and the `s3` block this client adds. */
export const productFields = ["mimetype", "timestamp", "file_data", "sha256", "sha1", "md5", "app", "full_path", "filename", "data_origin"] as const
