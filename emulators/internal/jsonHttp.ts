/** Small node:http helpers the JSON emulators (highvolt, JSONAir) share: answers, bodies, a request log. */
import type * as http from "node:http"

/** Headers highvolt-server (gin) adds to every answer. */
const securityHeaders = { "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff" } as const

export const sendJson = (
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {}
): void => {
  if (res.headersSent || res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...securityHeaders,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers
  })
  res.end(text)
}

export const sendText = (res: http.ServerResponse, status: number, text: string, contentType: string): void => {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, { ...securityHeaders, "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) })
  res.end(text)
}

/** One request as an emulator saw it, for assertions (and for leak tests: headers and small bodies are kept). */
export interface RequestRecord {
  readonly at: number
  readonly method: string
  readonly path: string
  readonly ip: string
  readonly headers: Readonly<http.IncomingHttpHeaders>
  /** The body as text, for small JSON bodies only (never a submission's `file_data`). */
  body?: string
  /** The status answered; 0 when the connection ended without an answer (reset, stall, client gone). */
  status: number
  /** The injected fault that shaped this answer, if any. */
  fault?: string
  ms: number
}

export const clientIp = (req: http.IncomingMessage): string => req.socket.remoteAddress ?? "unknown"

/** Starts a record for `req`; its status and duration are filled in when the exchange ends. */
export const record = (log: Array<RequestRecord>, req: http.IncomingMessage, res: http.ServerResponse): RequestRecord => {
  const entry: RequestRecord = {
    at: Date.now(),
    method: req.method ?? "",
    path: (req.url ?? "").split("?")[0] ?? "",
    ip: clientIp(req),
    headers: { ...req.headers },
    status: 0,
    ms: 0
  }
  log.push(entry)
  const done = () => {
    if (entry.ms === 0) entry.ms = Date.now() - entry.at
    if (res.writableFinished) entry.status = res.statusCode
  }
  res.once("finish", done)
  res.once("close", done)
  return entry
}

export class BodyTooLarge extends Error {}

/** Reads a whole (small) body; rejects with `BodyTooLarge` beyond `limit` bytes, or when the client goes away. */
export const readBody = (req: http.IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.removeAllListeners("data")
        req.resume()
        reject(new BodyTooLarge(`body larger than ${limit} bytes`))
      } else chunks.push(chunk)
    })
    req.once("end", () => resolve(Buffer.concat(chunks)))
    req.once("aborted", () => reject(new Error("client aborted")))
    req.once("error", reject)
  })

/** Reads and discards a body, resolving when it has all arrived (or the client left). */
export const drain = (req: http.IncomingMessage): Promise<void> =>
  new Promise((resolve) => {
    if (req.readableEnded) return resolve()
    req.on("data", () => {})
    req.once("end", () => resolve())
    req.once("close", () => resolve())
  })

/** Parses JSON, `undefined` when it is not JSON. */
export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

export const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)
