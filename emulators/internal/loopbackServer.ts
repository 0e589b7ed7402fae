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
  /** Connections open now (idle keep-alive ones included). */
  readonly openConnections: () => number
}

/**
 * Go's net/http timeouts, as highvolt-server sets them (10 s each); 0 or absent disables one. Go
 * never answers 408: a request that runs out of read time has its connection closed, and an
 * answer begun after the write deadline is never sent (the connection closes instead).
 */
export interface ListenOptions {
  /** The whole request, body included, must have arrived this long after its headers. */
  readonly readTimeoutMs?: number
  /** The answer must begin this long after the request's headers (a stalled handler is not cut, as in Go). */
  readonly writeTimeoutMs?: number
  /** A keep-alive connection idle this long between requests is closed (60 s when absent). */
  readonly idleTimeoutMs?: number
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

const withGoTimeouts = (handler: http.RequestListener, options: ListenOptions): http.RequestListener => {
  const read = options.readTimeoutMs ?? 0
  const write = options.writeTimeoutMs ?? 0
  if (read <= 0 && write <= 0) return handler
  return (req, res) => {
    if (read > 0) {
      const timer = setTimeout(() => req.socket.destroy(), read)
      const clear = () => clearTimeout(timer)
      req.once("end", clear)
      req.once("close", clear)
    }
    if (write > 0) {
      const deadline = Date.now() + write
      dropAnswerWhen(req, res, () => Date.now() > deadline)
    }
    handler(req, res)
  }
}

/** Closes a connection that has had no request in flight for `idleMs`, silently, as Go's IdleTimeout does. */
const closeIdleConnections = (server: http.Server, idleMs: number) => {
  const timers = new WeakMap<Socket, NodeJS.Timeout>()
  const arm = (socket: Socket) => timers.set(socket, setTimeout(() => socket.destroy(), idleMs))
  server.on("connection", (socket: Socket) => {
    arm(socket)
    socket.once("close", () => clearTimeout(timers.get(socket)))
  })
  server.prependListener("request", (req, res) => {
    clearTimeout(timers.get(req.socket))
    res.once("finish", () => {
      if (!req.socket.destroyed) arm(req.socket)
    })
  })
}

/**
 * From now on, an answer that `drop()` says must not go out closes the connection instead: the
 * client sees the connection end without an answer, whatever the handler did meanwhile.
 */
export const dropAnswerWhen = (req: http.IncomingMessage, res: http.ServerResponse, drop: () => boolean): void => {
  const writeHead = res.writeHead.bind(res) as (...args: Array<unknown>) => http.ServerResponse
  const end = res.end.bind(res) as (...args: Array<unknown>) => http.ServerResponse
  let dropped = false
  res.writeHead = ((...args: Array<unknown>) => {
    if (!dropped && !drop()) return writeHead(...args)
    dropped = true
    req.socket.destroy()
    return res
  }) as typeof res.writeHead
  res.end = ((...args: Array<unknown>) => (dropped ? res : end(...args))) as typeof res.end
}

/** Starts `handler` on 127.0.0.1:0; the server is closed when the scope closes. */
export const listen = (
  handler: http.RequestListener,
  options: ListenOptions = {}
): Effect.Effect<Listening, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const server = http.createServer({
        // Node's own request timeout answers 408, and its keep-alive timeout announces itself in
        // a `Keep-Alive: timeout=…` header that Node clients obey; Go does neither (below).
        requestTimeout: 0,
        keepAliveTimeout: 0
      }, withGoTimeouts(handler, options))
      closeIdleConnections(server, options.idleTimeoutMs || 60_000)
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
        resume: () => server.listening ? Promise.resolve() : listenOn(server, port),
        openConnections: () => sockets.size
      }
      return { listening, sockets }
    }),
    ({ listening, sockets }) => Effect.promise(() => closeAll(listening.server, sockets))
  ).pipe(Effect.map(({ listening }) => listening))
