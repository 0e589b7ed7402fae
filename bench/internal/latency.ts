/**
 * A network's round trips in front of a local emulator: a TCP proxy on 127.0.0.1 that holds each
 * new connection `connectMs` before passing it on (what TCP and TLS handshakes cost a client),
 * and every piece of an answer `rttMs` before handing it to the client (the request's way there
 * and the answer's way back). Pieces are all held alike, so their order and the throughput are
 * kept. Used by the cold-start section: on localhost a cold start's calls take no time, and the
 * main thread has no waiting to overlap work with.
 */
import { connect, createServer, type Socket } from "node:net"

export interface Latency {
  readonly rttMs: number
  readonly connectMs: number
}

export interface DelayingProxy {
  readonly port: number
  /** Where the proxy passes connections on; settable after the proxy started. */
  upstreamPort: number
  readonly close: () => void
}

export const delayingProxy = (latency: Latency, upstreamPort = 0): Promise<DelayingProxy> =>
  new Promise((resolve, reject) => {
    const sockets = new Set<Socket>()
    const server = createServer({ pauseOnConnect: true }, (client) => {
      sockets.add(client)
      client.once("close", () => sockets.delete(client))
      setTimeout(() => {
        const upstream = connect(proxy.upstreamPort, "127.0.0.1")
        sockets.add(upstream)
        upstream.once("close", () => sockets.delete(upstream))
        upstream.once("connect", () => {
          client.pipe(upstream)
          client.resume()
        })
        let ended = false
        upstream.on("data", (piece) => {
          setTimeout(() => {
            if (!client.destroyed) client.write(piece)
          }, latency.rttMs)
        })
        upstream.once("end", () => {
          ended = true
          setTimeout(() => client.end(), latency.rttMs)
        })
        upstream.once("error", () => client.destroy())
        client.once("error", () => upstream.destroy())
        client.once("close", () => upstream.destroy())
        upstream.once("close", () => {
          if (!ended) setTimeout(() => client.destroy(), latency.rttMs)
        })
      }, latency.connectMs)
    })
    const proxy: DelayingProxy = {
      port: 0,
      upstreamPort,
      close: () => {
        server.close()
        for (const s of sockets) s.destroy()
      }
    }
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      if (address === null || typeof address === "string") return reject(new Error("no proxy port"))
      ;(proxy as { port: number }).port = address.port
      resolve(proxy)
    })
  })

/** `url` (http://127.0.0.1:<port>…) with the proxy's port instead of its own. */
export const throughProxy = (url: string, proxy: DelayingProxy): string => url.replace(/^(http:\/\/127\.0\.0\.1:)\d+/, `$1${proxy.port}`)

export const portOf = (url: string): number | undefined => {
  const m = /^http:\/\/127\.0\.0\.1:(\d+)/.exec(url)
  return m === null ? undefined : Number(m[1])
}
