/**
 * Faults to inject into the JSON emulators (highvolt, JSONAir): each is armed for the next
 * `times` requests to an endpoint and consumed as it fires, so a test states exactly
 * "503 three times, then the real answer".
 */
import type * as http from "node:http"
import { setTimeout as sleep } from "node:timers/promises"
import { drain, sendJson } from "./jsonHttp.js"
import { dropAnswerWhen } from "./loopbackServer.js"

export type HttpFault =
  /** Reads the request, then answers `status` (with the server's usual body for it unless `body` is given). */
  | { readonly kind: "status"; readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  /** Reads the whole request, then drops the connection without an answer. */
  | { readonly kind: "reset-before-response" }
  /** Drops the connection once `afterBytes` of the body arrived (default: at the first chunk). */
  | { readonly kind: "reset-mid-body"; readonly afterBytes?: number }
  /** Reads the request and never answers: the client must time out. Released when the stack stops. */
  | { readonly kind: "stall" }
  /** Waits `ms` before handling the request normally. */
  | { readonly kind: "delay"; readonly ms: number }
  /** Handles the request normally (a submit is accepted), then drops the connection instead of answering. */
  | { readonly kind: "answer-lost" }

export interface FaultControls<E extends string> {
  /** Arms `fault` for the next `times` requests to `endpoint` (or to any endpoint). */
  readonly inject: (endpoint: E | "any", fault: HttpFault, times?: number) => void
  /** Disarms everything. */
  readonly clear: () => void
  /** How many armed fault firings remain. */
  readonly pending: () => number
}

export interface FaultQueue<E extends string> extends FaultControls<E> {
  /** The fault for this request, consumed; `undefined` when none is armed. */
  readonly take: (endpoint: E) => HttpFault | undefined
}

export const makeFaultQueue = <E extends string>(): FaultQueue<E> => {
  const armed: Array<{ endpoint: E | "any"; fault: HttpFault; left: number }> = []
  return {
    inject: (endpoint, fault, times = 1) => {
      if (times > 0) armed.push({ endpoint, fault, left: times })
    },
    clear: () => {
      armed.length = 0
    },
    pending: () => armed.reduce((n, a) => n + a.left, 0),
    take: (endpoint) => {
      const index = armed.findIndex((a) => a.endpoint === endpoint || a.endpoint === "any")
      const entry = armed[index]
      if (entry === undefined) return undefined
      entry.left -= 1
      if (entry.left <= 0) armed.splice(index, 1)
      return entry.fault
    }
  }
}

export const describeFault = (fault: HttpFault): string =>
  fault.kind === "status" ? `status ${fault.status}` : fault.kind === "delay" ? `delay ${fault.ms}ms` : fault.kind

/**
 * Plays a fault that replaces the answer. Returns false for `delay` (after waiting) and
 * `answer-lost`: the caller then handles the request normally.
 */
export const playFault = async (
  fault: HttpFault,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  defaultBody: (status: number) => unknown
): Promise<boolean> => {
  switch (fault.kind) {
    case "delay":
      await sleep(fault.ms)
      return false
    case "answer-lost":
      // The handler does its work; the moment it starts its answer, the connection goes.
      dropAnswerWhen(req, res, () => true)
      return false
    case "status":
      await drain(req)
      sendJson(res, fault.status, fault.body ?? defaultBody(fault.status), fault.headers)
      return true
    case "reset-before-response":
      await drain(req)
      req.socket.destroy()
      return true
    case "stall":
      await drain(req)
      return true
    case "reset-mid-body": {
      const limit = fault.afterBytes ?? 1
      let seen = 0
      await new Promise<void>((resolve) => {
        const cut = () => {
          req.socket.destroy()
          resolve()
        }
        req.on("data", (chunk: Buffer) => {
          seen += chunk.length
          if (seen >= limit) cut()
        })
        req.once("end", cut)
        req.once("close", () => resolve())
      })
      return true
    }
  }
}
