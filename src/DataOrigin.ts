/**
 * The `data_origin` block of each submission: where the scan ran. It describes the Lambda
 * execution environment, collected once per container (it does not change between events).
 */
import { Context, Effect, Layer } from "effect"
import * as os from "node:os"

export interface DataOriginShape {
  readonly os: { readonly hostname: string; readonly os: string; readonly platform: string; readonly release: string; readonly arch: string }
  readonly cpu: { readonly model: string; readonly cores: number }
  readonly memory: { readonly total_mem: number }
  readonly network: { readonly interface: string; readonly address: string }
  readonly lambda?: { readonly function_name: string; readonly function_version: string; readonly region: string; readonly memory_mb: number }
}

/** The first non-internal IPv4 interface, as the Go clients report it. */
const primaryInterface = (): DataOriginShape["network"] => {
  for (const [name, addresses] of Object.entries(os.networkInterfaces())) {
    const address = addresses?.find((a) => a.family === "IPv4" && !a.internal)
    if (address !== undefined) return { interface: name, address: address.address }
  }
  return { interface: "", address: "" }
}

export const collect = (env: NodeJS.ProcessEnv = process.env): DataOriginShape => {
  const cpus = os.cpus()
  const lambda = env["AWS_LAMBDA_FUNCTION_NAME"] === undefined ? {} : {
    lambda: {
      function_name: env["AWS_LAMBDA_FUNCTION_NAME"],
      function_version: env["AWS_LAMBDA_FUNCTION_VERSION"] ?? "",
      region: env["AWS_REGION"] ?? "",
      memory_mb: Number(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] ?? 0)
    }
  }
  return {
    os: { hostname: os.hostname(), os: os.type().toLowerCase(), platform: os.platform(), release: os.release(), arch: os.arch() },
    cpu: { model: cpus[0]?.model ?? "", cores: cpus.length },
    memory: { total_mem: os.totalmem() },
    network: primaryInterface(),
    ...lambda
  }
}

export class DataOrigin extends Context.Tag("highvolt/DataOrigin")<DataOrigin, DataOriginShape>() {
  static readonly layer = Layer.effect(DataOrigin, Effect.sync(() => collect()))
}
