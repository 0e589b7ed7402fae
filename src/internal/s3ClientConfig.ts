/** The configuration of an S3 client for one account and Region, shared by the object reader and the backfill's listing. */
import type { S3ClientConfig } from "@aws-sdk/client-s3"
import { Effect, Option, Runtime } from "effect"
import { Credentials } from "../Credentials.js"
import * as Deadline from "../Deadline.js"
import type { AccountId, Region } from "../Domain.js"
import { Environment } from "../Environment.js"
import { clientSettings } from "./aws.js"

export const s3ClientConfigFor = Effect.gen(function*() {
  const credentials = yield* Credentials
  const { aws } = yield* Environment
  // One client per Region: the settings' own Region is only the Lambda's.
  const { region: _ownRegion, ...settings } = clientSettings(aws, "s3")
  // For the SDK's credential refreshes, which run outside any event: without the deadline of
  // the invocation that happened to build the layer (long past by then, it would forbid retries).
  const runtime = yield* Effect.locally(Effect.runtime<never>(), Deadline.currentDeadline, Option.none())
  return (account: AccountId, region: Region): S3ClientConfig => ({
    ...settings,
    region,
    // Emulators and S3-compatible endpoints need path-style addressing; AWS itself does not.
    forcePathStyle: Option.isSome(aws.endpoints.s3),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // The SDK asks again before expiry; the answer comes from the per-account cache.
    ...(account === credentials.ownAccount ? {} : {
      credentials: () =>
        Runtime.runPromise(runtime)(credentials.forAccount(account)).then((access) => {
          if (access._tag === "AssumedRole") return access.credentials
          throw new Error(`no assumed role for own account ${account}`)
        })
    })
  })
})
