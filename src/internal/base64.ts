/**
 * Streaming standard base64 (RFC 4648 §4, with padding) over Node's native encoder: each chunk
 * is encoded as far as whole 3-byte groups go and the 0–2 left-over bytes are carried into the
 * next chunk, so the concatenated output equals `Buffer.concat(chunks).toString("base64")`
 * without ever holding the whole input or output.
 *
 * Output comes in pieces of at most 64 KiB: large strings and buffers land in freshly mapped
 * memory (V8's large-object space, malloc's mmap threshold) and first-touch page faults then cost
 * more than the encoding itself; small ones reuse warm memory.
 */

/** The length of the standard (padded) base64 text of `bytes` bytes. */
export const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4

/** Input bytes per output piece: a multiple of 3, encoding to 64 KiB. */
export const PieceBytes = 3 * 16 * 1024

/** A zero-copy `Buffer` view of any `Uint8Array` (Buffers pass through). */
export const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

const latin1 = (text: string): Buffer => Buffer.from(text, "latin1")

/**
 * One encoding run. Not reusable after `end`; create one per stream run (a retry re-encodes
 * with a fresh encoder). Input is read synchronously during `push` and may be reused after it;
 * outputs are fresh buffers the caller may keep.
 */
export class Base64Encoder {
  private readonly carry = Buffer.allocUnsafe(3)
  private carried = 0

  /** Appends to `out` the encoding of what `chunk` completes (nothing when it only fills the carry). */
  push(chunk: Uint8Array, out: Array<Uint8Array>): void {
    let input = asBuffer(chunk)
    let prefix: string | undefined
    if (this.carried > 0) {
      const need = 3 - this.carried
      if (input.length < need) {
        input.copy(this.carry, this.carried)
        this.carried += input.length
        return
      }
      input.copy(this.carry, this.carried, 0, need)
      prefix = this.carry.toString("base64")
      this.carried = 0
      input = input.subarray(need)
    }
    const rest = input.length % 3
    const whole = input.length - rest
    for (let start = 0; start < whole; start += PieceBytes) {
      const text = input.toString("base64", start, Math.min(whole, start + PieceBytes))
      if (prefix === undefined) {
        out.push(latin1(text))
      } else {
        const piece = Buffer.allocUnsafe(prefix.length + text.length)
        piece.write(prefix, 0, "latin1")
        piece.write(text, prefix.length, "latin1")
        out.push(piece)
        prefix = undefined
      }
    }
    if (prefix !== undefined) out.push(latin1(prefix))
    if (rest > 0) {
      input.copy(this.carry, 0, whole)
      this.carried = rest
    }
  }

  /** Appends the padded encoding of the 0–2 carried bytes, if any. */
  end(out: Array<Uint8Array>): void {
    if (this.carried === 0) return
    out.push(latin1(this.carry.toString("base64", 0, this.carried)))
    this.carried = 0
  }
}
