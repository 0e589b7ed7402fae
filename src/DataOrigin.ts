/**
 * The `data_origin` block of each submission: where the scan ran. It describes the Lambda
 * execution environment, collected once per container (it does not change between events).
 */
import { Config, Context, Effect, Layer, Option } from "effect"
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

/** What Lambda says of the function (`AWS_LAMBDA_*`, `AWS_REGION`); none outside Lambda. */
const lambdaFunction = Config.option(Config.all({
  function_name: Config.string("AWS_LAMBDA_FUNCTION_NAME"),
  function_version: Config.string("AWS_LAMBDA_FUNCTION_VERSION").pipe(Config.withDefault("")),
  region: Config.string("AWS_REGION").pipe(Config.withDefault("")),
  memory_mb: Config.integer("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").pipe(Config.withDefault(0))
}))

/** The host's description, with the function's when running in Lambda. */
export const collect = (lambda: Option.Option<NonNullable<DataOriginShape["lambda"]>> = Option.none()): DataOriginShape => {
  const cpus = os.cpus()
  return {
    os: { hostname: os.hostname(), os: os.type().toLowerCase(), platform: os.platform(), release: os.release(), arch: os.arch() },
    cpu: { model: cpus[0]?.model ?? "", cores: cpus.length },
    memory: { total_mem: os.totalmem() },
    network: primaryInterface(),
    ...Option.match(lambda, { onNone: () => ({}), onSome: (lambda) => ({ lambda }) })
  }
}

export class DataOrigin extends Context.Tag("highvolt/DataOrigin")<DataOrigin, DataOriginShape>() {
  static readonly layer = Layer.effect(DataOrigin, Effect.map(Effect.orDie(lambdaFunction), collect))

  /** A fixed, recognisable environment, for tests. */
  static readonly test = (overrides: Partial<DataOriginShape> = {}): Layer.Layer<DataOrigin> =>
    Layer.succeed(DataOrigin, {
      os: { hostname: "test-host", os: "linux", platform: "linux", release: "6", arch: "arm64" },
      cpu: { model: "test", cores: 2 },
      memory: { total_mem: 1 },
      network: { interface: "eth0", address: "10.0.0.1" },
      ...overrides
    })
}
