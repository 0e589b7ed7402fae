/**
 * A node:http server on 127.0.0.1 and an ephemeral port, as a scoped resource. Every emulator
 * of the local stack is one of these; release closes the listener and destroys open sockets
 * (keep-alive clients and stalled requests would otherwise hold `close()` forever).
 */
import * as http from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { Effect, type Scope } from "effect"

export interface Listening {
  readonly server: http.Server
  readonly port: number
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string
  /** Stops accepting connections and drops the open ones: clients see ECONNREFUSED until `resume`. */
  readonly pause: () => Promise<void>
  /** Listens again on the same port. */
  readonly resume: () => Promise<void>
}

export interface ListenOptions {
  /** Node's whole-request timeout (headers and body), answered with 408. 0 disables it. */
  readonly requestTimeoutMs?: number
}

const listenOn = (server: http.Server, port: number) =>
  new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject)
      resolve()
    })
  })

const closeAll = (server: http.Server, sockets: Set<Socket>) =>
  new Promise<void>((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
    for (const socket of sockets) socket.destroy()
    sockets.clear()
  })

/** Starts `handler` on 127.0.0.1:0; the server is closed when the scope closes. */
export const listen = (
  handler: http.RequestListener,
  options: ListenOptions = {}
): Effect.Effect<Listening, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const timeout = options.requestTimeoutMs ?? 0
      const server = http.createServer({
        requestTimeout: timeout,
        // Node checks request timeouts on this interval (30 s by default): too coarse for 10 s.
        connectionsCheckingInterval: timeout > 0 ? Math.min(1000, timeout) : 30_000,
        // Longer than any client's idle pool, so a reused keep-alive socket is never closed under it.
        keepAliveTimeout: 60_000
      }, handler)
      const sockets = new Set<Socket>()
      server.on("connection", (socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      })
      await listenOn(server, 0)
      const port = (server.address() as AddressInfo).port
      const listening: Listening = {
        server,
        port,
        url: `http://127.0.0.1:${port}`,
        pause: () => closeAll(server, sockets),
        resume: () => server.listening ? Promise.resolve() : listenOn(server, port)
      }
      return { listening, sockets }
    }),
    ({ listening, sockets }) => Effect.promise(() => closeAll(listening.server, sockets))
  ).pipe(Effect.map(({ listening }) => listening))
