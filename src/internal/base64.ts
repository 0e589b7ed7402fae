/**
 * Streaming standard base64 (RFC 4648 §4, with padding) over Node's native encoder. Input is
 * encoded in pieces of `PieceBytes` (a multiple of 3): straight from the caller's chunk when it
 * holds a whole piece, else gathered in a small staging buffer, so the concatenated output equals
 * `Buffer.concat(chunks).toString("base64")` without ever holding the whole input or output.
 *
 * Why 48 KiB in, 64 KiB out: a larger string lands in V8's large-object space (freshly mapped
 * pages per string) and first-touch page faults then cost more than the encoding itself; a 64 KiB
 * string stays in the young generation, whose memory is reused.
 */

/** The length of the standard (padded) base64 text of `bytes` bytes. */
export const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4

/** Input bytes per output piece: a multiple of 3, encoding to exactly 64 KiB. */
export const PieceBytes = 3 * 16 * 1024

/** A zero-copy `Buffer` view of any `Uint8Array` (Buffers pass through). */
export const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

const encode = (bytes: Buffer, start: number, end: number): Buffer =>
  Buffer.from(bytes.toString("base64", start, end), "latin1")

/**
 * One encoding run; create one per stream run (a retry re-encodes with a fresh encoder). Input
 * is consumed during `push` (the caller may reuse it afterwards); outputs are fresh buffers of
 * 64 KiB (the last one shorter) that the caller may keep.
 */
export class Base64Encoder {
  private stage: Buffer | undefined
  private staged = 0

  /** Appends to `out` the pieces that `chunk` completes. */
  push(chunk: Uint8Array, out: Array<Uint8Array>): void {
    const input = asBuffer(chunk)
    let position = 0
    if (this.staged > 0) {
      const stage = this.stage!
      position = Math.min(PieceBytes - this.staged, input.length)
      input.copy(stage, this.staged, 0, position)
      this.staged += position
      if (this.staged < PieceBytes) return
      out.push(encode(stage, 0, PieceBytes))
      this.staged = 0
    }
    for (; input.length - position >= PieceBytes; position += PieceBytes) {
      out.push(encode(input, position, position + PieceBytes))
    }
    if (position < input.length) {
      this.stage ??= Buffer.allocUnsafe(PieceBytes)
      this.staged = input.copy(this.stage, 0, position)
    }
  }

  /** Appends the padded encoding of what is still staged, if anything. */
  end(out: Array<Uint8Array>): void {
    if (this.staged === 0) return
    out.push(encode(this.stage!, 0, this.staged))
    this.staged = 0
  }
}
