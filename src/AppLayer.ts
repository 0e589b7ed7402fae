/**
 * The application, composed once per container: every service the per-event program needs,
 * built from the environment. Building it is the cold start: environment, PAT, JSONAir config,
 * highvolt login and our own account — JSONAir/highvolt and STS side by side.
 */
import { Layer } from "effect"
import { Credentials } from "./Credentials.js"
import { DataOrigin } from "./DataOrigin.js"
import { Environment } from "./Environment.js"
import { Highvolt } from "./Highvolt.js"
import { HttpClientLive } from "./HttpClientLive.js"
import { InFlight } from "./InFlight.js"
import { JsonAir } from "./JsonAir.js"
import { Objects } from "./Objects.js"
import { ScannerConfig } from "./ScannerConfig.js"
import { Secrets } from "./Secrets.js"
import { Spool } from "./Spool.js"

const configAndHighvolt = Layer.provideMerge(
  Highvolt.layer,
  ScannerConfig.layer.pipe(Layer.provide(JsonAir.layer), Layer.provide(Secrets.layer))
).pipe(Layer.provide(HttpClientLive))

const aws = Layer.provideMerge(Objects.layer, Credentials.layer)

export const AppLayer = Layer.mergeAll(configAndHighvolt, aws, InFlight.layer, DataOrigin.layer, Spool.layer).pipe(
  Layer.provide(Environment.layer)
)
