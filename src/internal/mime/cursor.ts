import { isSpace } from "./bytes.js"

/**
 * A read position over a byte sample, with the moves mimetype's scanner makes. `peek` and
 * `pop` return 0 at the end, as mimetype's do; callers treat 0 as "no more input".
 */
export class Cursor {
  constructor(readonly bytes: Uint8Array, public pos = 0) {}

  get remaining(): number {
    return this.bytes.length - this.pos
  }

  rest(): Uint8Array {
    return this.bytes.subarray(this.pos)
  }

  peek(): number {
    return this.bytes[this.pos] ?? 0
  }

  pop(): number {
    const b = this.bytes[this.pos]
    if (b === undefined) return 0
    this.pos++
    return b
  }

  /** Moves `n` bytes on; refuses (and stays) when fewer remain. */
  advance(n: number): boolean {
    if (n < 0 || this.remaining < n) return false
    this.pos += n
    return true
  }

  skipSpace(): void {
    while (isSpace(this.bytes[this.pos])) this.pos++
  }

  /** The bytes up to (not including) the first of `stops`, or to the end; the cursor stops there. */
  popUntil(...stops: ReadonlyArray<number>): Uint8Array {
    const start = this.pos
    while (this.pos < this.bytes.length && !stops.includes(this.bytes[this.pos]!)) this.pos++
    return this.bytes.subarray(start, this.pos)
  }

  /** The next line without its LF (and a CR before it); the cursor moves past the LF. */
  line(): Uint8Array {
    const start = this.pos
    const lf = this.bytes.indexOf(0x0a, start)
    const end = lf === -1 ? this.bytes.length : lf
    this.pos = lf === -1 ? end : lf + 1
    return this.bytes.subarray(start, end > start && this.bytes[end - 1] === 0x0d ? end - 1 : end)
  }
}
