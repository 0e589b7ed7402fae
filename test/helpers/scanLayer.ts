/** The services of one scan, as test layers: fake S3 behind the real `Objects`, in-memory highvolt. */
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import { Credentials, CredentialsError } from "../../src/Credentials.js"
import { DataOrigin } from "../../src/DataOrigin.js"
import { Environment } from "../../src/Environment.js"
import type { AccountId } from "../../src/Domain.js"
import { Highvolt, makeTestState } from "../../src/Highvolt.js"
import { InFlight } from "../../src/InFlight.js"
import * as Mime from "../../src/Mime.js"
import * as Objects from "../../src/Objects.js"
import { ScannerConfig } from "../../src/ScannerConfig.js"
import { Spool } from "../../src/Spool.js"
import { fakeS3, type FakeObject } from "./fakeS3.js"

export const ownAccount = "111111111111" as AccountId
export const memberAccount = "222222222222" as AccountId
/** An account whose reader role cannot be assumed. */
export const closedAccount = "999999999999" as AccountId

export const testConfig = (mimeTypes: ReadonlyArray<string> = ["application/pdf", "image/jpeg", "text/*"], maxFileSize = 32 * 1024 * 1024) =>
  ScannerConfig.of({
    core: { mime_types: Schema.decodeSync(Mime.AllowListFromEntries)(mimeTypes), max_file_size: maxFileSize },
    highvolt: { url: "https://highvolt.test", pat: Redacted.make("hv_pat_test") }
  })

export const makeScanLayer = (
  objects: Record<string, FakeObject>,
  options: { known?: Iterable<string>; config?: ScannerConfig["Type"]; credentials?: Layer.Layer<Credentials>; spool?: Layer.Layer<Spool> } = {}
) =>
  Effect.gen(function*() {
    const s3 = fakeS3(objects)
    const highvolt = yield* makeTestState(options.known)
    const credentials = options.credentials ?? Credentials.test(ownAccount, (account) =>
      account === closedAccount
        ? Option.some(new CredentialsError({ account, roleArn: `arn:aws:iam::${account}:role/reader`, reason: "access-denied", detail: "AccessDenied: not authorized" }))
        : Option.none())
    const layer = Layer.mergeAll(
      Layer.scoped(Objects.Objects, Objects.make(s3.newClient)).pipe(Layer.provide(Environment.test())),
      Highvolt.test(highvolt),
      InFlight.layer,
      ScannerConfig.test(options.config ?? testConfig()),
      DataOrigin.test(),
      options.spool ?? Spool.test()
    ).pipe(Layer.provideMerge(credentials))
    return { layer, s3, highvolt }
  })
