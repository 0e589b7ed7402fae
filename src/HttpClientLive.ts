/**
 * The HTTP client of JSONAir and highvolt calls: node:http(s), because JSONAir's config call is
 * a GET with a body, which `fetch` refuses. TLS verification stays on unless `TLS_SKIP_VERIFY`.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { Environment } from "./Environment.js"

/**
 * How long a keep-alive connection may wait in the pool. highvolt-server (Go) closes a
 * connection idle for 10 s and announces nothing (no `Keep-Alive: timeout`): a request sent on
 * it at that moment meets a closed connection. Ours go well before. A Lambda frozen with
 * connections in the pool thaws with that timer expired; a request that still meets a closed
 * connection is retried (a submit asks first whether it landed).
 */
export const idleConnectionMs = 4_000

export const HttpClientLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const env = yield* Environment
    if (env.tlsSkipVerify) {
      yield* Effect.logWarning(
        "TLS_SKIP_VERIFY=true: TLS certificates of JSONAir and highvolt-server are NOT verified. Never use this in production."
      )
    }
    return NodeHttpClient.layerWithoutAgent.pipe(
      Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true, timeout: idleConnectionMs, rejectUnauthorized: !env.tlsSkipVerify }))
    )
  })
)
