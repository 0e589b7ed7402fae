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

/**
 * No tracing: nothing exports spans (there is no tracer but Effect's default, which keeps them
 * nowhere), yet every span costs CPU, and the HTTP client's spans also put a `traceparent`
 * header on every JSONAir and highvolt request. Measured on 1000 small events in one process,
 * alternating: ~0.5–1 ms of CPU per event, of ~10.
 */
const untraced = Layer.setTracerEnabled(false)

export const AppLayer = Layer.mergeAll(configAndHighvolt, aws, InFlight.layer, DataOrigin.layer, Spool.layer).pipe(
  Layer.provide(Environment.layer),
  // Set before the rest is built (the cold start's calls too), and kept for the events.
  Layer.provideMerge(untraced)
)
