/**
 * MD5 on a worker thread, fed from the same single pass: the main thread copies each chunk into
 * a ring of shared-memory slots (warm, reused memory) and posts one message per full slot; the
 * worker hashes the slot and counts it done in a shared counter, which is what frees the slot.
 * SHA256 and SHA1 stay on the main thread: together they cost about what MD5 alone costs, so
 * the two threads are balanced. One worker per process, created on first use, `unref`'d (it
 * never keeps a Lambda process alive), replaced if it dies.
 */
import { createHash, type Hash } from "node:crypto"
import { Worker } from "node:worker_threads"
import { Effect } from "effect"
import type { Digests, Md5, Sha1, Sha256 } from "../../Domain.js"

/** Bytes per slot and slots per session: 8 × 512 KiB of shared memory per concurrent scan. */
const SlotBytes = 512 * 1024
const Slots = 8

// Plain CommonJS, evaluated by the worker: nothing to bundle or resolve at run time.
const source = `
const { parentPort } = require("node:worker_threads")
const { createHash } = require("node:crypto")
const sessions = new Map()
parentPort.on("message", (m) => {
  if (m.t === "open") {
    sessions.set(m.id, { md5: createHash("md5"), ring: new Uint8Array(m.ring), done: new Int32Array(m.done) })
  } else if (m.t === "slot") {
    const s = sessions.get(m.id)
    if (s === undefined) return
    s.md5.update(s.ring.subarray(m.slot * ${SlotBytes}, m.slot * ${SlotBytes} + m.length))
    Atomics.add(s.done, 0, 1)
    Atomics.notify(s.done, 0)
  } else if (m.t === "end") {
    const s = sessions.get(m.id)
    sessions.delete(m.id)
    parentPort.postMessage({ id: m.id, md5: s === undefined ? null : s.md5.digest("hex") })
  } else if (m.t === "abort") {
    sessions.delete(m.id)
  }
})
`

interface Pending {
  readonly resolve: (md5: string) => void
  readonly reject: (error: Error) => void
}

interface Shared {
  readonly worker: Worker
  readonly pending: Map<number, Pending>
  /** Sessions open: the worker keeps the process alive only while there are some. */
  sessions: number
  error: Error | undefined
}

let shared: Shared | undefined
let nextId = 0

const obtain = (): Shared => {
  if (shared !== undefined && shared.error === undefined) return shared
  const worker = new Worker(source, { eval: true, name: "highvolt-md5" })
  const state: Shared = { worker, pending: new Map(), sessions: 0, error: undefined }
  const fail = (error: Error) => {
    state.error = error
    for (const p of state.pending.values()) p.reject(error)
    state.pending.clear()
    if (shared === state) shared = undefined
  }
  worker.on("message", (m: { id: number; md5: string | null }) => {
    const p = state.pending.get(m.id)
    state.pending.delete(m.id)
    if (m.md5 === null) p?.reject(new Error("md5 worker lost the session"))
    else p?.resolve(m.md5)
  })
  worker.on("error", fail)
  worker.on("exit", (code) => fail(new Error(`md5 worker exited (${code})`)))
  worker.unref()
  shared = state
  return state
}

type WaitAsync = (array: Int32Array, index: number, value: number, timeout?: number) => {
  readonly async: boolean
  readonly value: Promise<string> | string
}
const waitAsync = (Atomics as unknown as { readonly waitAsync: WaitAsync }).waitAsync

/**
 * SHA256 and SHA1 here, MD5 on the worker. `update` returns an effect only when every slot is
 * still being hashed (backpressure); `digests` waits for the worker's MD5. `abort` releases the
 * session when the pass ends early.
 */
export class ParallelHasher {
  private readonly sha256: Hash = createHash("sha256")
  private readonly sha1: Hash = createHash("sha1")
  private readonly shared = obtain()
  private readonly id = nextId++
  private readonly ring = new Uint8Array(new SharedArrayBuffer(SlotBytes * Slots))
  private readonly done = new Int32Array(new SharedArrayBuffer(4))
  private posted = 0
  private filled = 0
  private ended = false
  bytes = 0

  constructor() {
    if (this.shared.sessions++ === 0) this.shared.worker.ref()
    this.shared.worker.postMessage({ t: "open", id: this.id, ring: this.ring.buffer, done: this.done.buffer })
  }

  private close(): void {
    if (this.ended) return
    this.ended = true
    if (--this.shared.sessions === 0) this.shared.worker.unref()
  }

  /** Slot of the next post; free once the worker finished the post that last used it. */
  private get slotFree(): boolean {
    return Atomics.load(this.done, 0) > this.posted - Slots
  }

  private post(): void {
    this.shared.worker.postMessage({ t: "slot", id: this.id, slot: this.posted % Slots, length: this.filled })
    this.posted++
    this.filled = 0
  }

  private readonly awaitSlot: Effect.Effect<void> = Effect.async<void>((resume) => {
    const check = (): void => {
      if (this.shared.error !== undefined) return resume(Effect.die(this.shared.error))
      if (this.slotFree) return resume(Effect.void)
      const seen = Atomics.load(this.done, 0)
      if (seen > this.posted - Slots) return resume(Effect.void)
      const waited = waitAsync(this.done, 0, seen, 250)
      if (waited.async) void (waited.value as Promise<string>).then(check)
      else check()
    }
    check()
  })

  update(chunk: Uint8Array): Effect.Effect<void> | undefined {
    this.sha256.update(chunk)
    this.sha1.update(chunk)
    this.bytes += chunk.length
    return this.copy(chunk)
  }

  private copy(chunk: Uint8Array): Effect.Effect<void> | undefined {
    let position = 0
    while (position < chunk.length) {
      if (this.filled === 0 && !this.slotFree) {
        const rest = chunk.subarray(position)
        return Effect.zipRight(this.awaitSlot, Effect.suspend(() => this.copy(rest) ?? Effect.void))
      }
      const n = Math.min(SlotBytes - this.filled, chunk.length - position)
      this.ring.set(chunk.subarray(position, position + n), (this.posted % Slots) * SlotBytes + this.filled)
      this.filled += n
      position += n
      if (this.filled === SlotBytes) this.post()
    }
    return undefined
  }

  digests(): Effect.Effect<Digests> {
    return Effect.suspend(() => {
      if (this.filled > 0) this.post()
      const shared = this.shared
      return Effect.async<string>((resume) => {
        if (shared.error !== undefined) {
          this.close()
          return resume(Effect.die(shared.error))
        }
        shared.pending.set(this.id, {
          resolve: (md5) => {
            this.close()
            resume(Effect.succeed(md5))
          },
          reject: (error) => {
            this.close()
            resume(Effect.die(error))
          }
        })
        shared.worker.postMessage({ t: "end", id: this.id })
      })
    }).pipe(Effect.map((md5) => ({
      sha256: this.sha256.digest("hex") as Sha256,
      sha1: this.sha1.digest("hex") as Sha1,
      md5: md5 as Md5,
      bytes: this.bytes
    })))
  }

  /** Drops the worker's session (the pass failed or was interrupted); idempotent. */
  abort(): void {
    if (this.ended) return
    this.shared.pending.delete(this.id)
    if (this.shared.error === undefined) this.shared.worker.postMessage({ t: "abort", id: this.id })
    this.close()
  }
}
