/**
 * Streaming standard base64 (RFC 4648 §4, with padding) over Node's native encoder: each chunk
 * is encoded as far as whole 3-byte groups go and the 0–2 left-over bytes are carried into the
 * next chunk, so the concatenated output equals `Buffer.concat(chunks).toString("base64")`
 * without ever holding the whole input or output.
 */

/** The length of the standard (padded) base64 text of `bytes` bytes. */
export const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4

const empty: Uint8Array = new Uint8Array(0)

/** A zero-copy `Buffer` view of any `Uint8Array` (Buffers pass through). */
export const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/**
 * One encoding run. Not reusable after `end`; create one per stream run (a retry re-encodes
 * from a fresh encoder). Outputs are fresh buffers the caller may keep.
 */
export class Base64Encoder {
  private readonly carry = Buffer.allocUnsafe(3)
  private carried = 0

  /** Encodes what `chunk` completes; may return an empty array when it only fills the carry. */
  push(chunk: Uint8Array): Uint8Array {
    let input = asBuffer(chunk)
    let head: string | undefined
    if (this.carried > 0) {
      const need = 3 - this.carried
      if (input.length < need) {
        input.copy(this.carry, this.carried)
        this.carried += input.length
        return empty
      }
      input.copy(this.carry, this.carried, 0, need)
      head = this.carry.toString("base64")
      this.carried = 0
      input = input.subarray(need)
    }
    const rest = input.length % 3
    const whole = input.length - rest
    if (rest > 0) {
      input.copy(this.carry, 0, whole)
      this.carried = rest
    }
    if (whole === 0) return head === undefined ? empty : Buffer.from(head, "latin1")
    const body = input.toString("base64", 0, whole)
    if (head === undefined) return Buffer.from(body, "latin1")
    const out = Buffer.allocUnsafe(4 + body.length)
    out.write(head, 0, "latin1")
    out.write(body, 4, "latin1")
    return out
  }

  /** The padded encoding of the 0–2 carried bytes (empty when nothing is carried). */
  end(): Uint8Array {
    if (this.carried === 0) return empty
    const out = Buffer.from(this.carry.toString("base64", 0, this.carried), "latin1")
    this.carried = 0
    return out
  }
}
