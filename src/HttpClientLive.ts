/**
 * The HTTP client of JSONAir and highvolt calls: node:http(s), because JSONAir's config call is
 * a GET with a body, which `fetch` refuses. TLS verification stays on unless `TLS_SKIP_VERIFY`.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { Environment } from "./Environment.js"

export const HttpClientLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const env = yield* Environment
    if (env.tlsSkipVerify) {
      yield* Effect.logWarning(
        "TLS_SKIP_VERIFY=true: TLS certificates of JSONAir and highvolt-server are NOT verified. Never use this in production."
      )
    }
    return NodeHttpClient.layerWithoutAgent.pipe(
      Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true, rejectUnauthorized: !env.tlsSkipVerify }))
    )
  })
)
