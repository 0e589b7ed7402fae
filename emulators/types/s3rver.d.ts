/** The part of s3rver 3.7.1 (CommonJS, untyped) the local stack uses. */
declare module "s3rver" {
  import type { AddressInfo } from "node:net"
  import type { Server } from "node:http"

  interface S3rverOptions {
    address?: string
    port?: number
    silent?: boolean
    directory?: string
    resetOnClose?: boolean
    vhostBuckets?: boolean
    allowMismatchedSignatures?: boolean
    serviceEndpoint?: string
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>
  }

  class S3rver {
    constructor(options?: S3rverOptions)
    /** Creates the configured buckets and listens; resolves with the bound address. */
    run(): Promise<AddressInfo>
    close(): Promise<void>
    reset(): void
    readonly httpServer: Server | undefined
    /** Its winston logger. */
    readonly logger: { silent: boolean }
    /** Koa's middleware, in order (composed when `run` starts listening); the first is its request logger. */
    readonly middleware: Array<(...args: Array<unknown>) => unknown>
  }

  export default S3rver
}
