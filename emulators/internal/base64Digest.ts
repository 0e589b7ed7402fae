/**
 * Decodes standard, padded base64 (Go's `base64.StdEncoding`) as it streams in and digests the
 * decoded bytes with sha256, sha1 and md5 in the same pass; memory stays at one chunk.
 */
import { createHash, type Hash } from "node:crypto"

export interface Base64DigestResult {
  /** Length of the base64 text. */
  readonly base64Length: number
  /** Decoded bytes. */
  readonly bytes: number
  readonly sha256: string
  readonly sha1: string
  readonly md5: string
  /** Why the text is not standard padded base64; absent when it is. */
  readonly problem?: string
}

export class Base64Digest {
  private carry = ""
  private padded = false
  private problem: string | undefined
  private base64Length = 0
  private bytes = 0
  private readonly sha256: Hash = createHash("sha256")
  private readonly sha1: Hash = createHash("sha1")
  private readonly md5: Hash = createHash("md5")

  /** Feeds the next piece of base64 text (ASCII; any other character makes the text invalid). */
  write(text: string): void {
    this.base64Length += text.length
    if (this.problem !== undefined || text.length === 0) return
    if (this.padded) return this.fail("data after '=' padding")
    const all = this.carry + text
    const whole = all.length - (all.length % 4)
    this.carry = all.slice(whole)
    if (whole > 0) this.decode(all.slice(0, whole))
  }

  end(): Base64DigestResult {
    if (this.problem === undefined && this.carry.length > 0) this.fail("length is not a multiple of 4")
    return {
      base64Length: this.base64Length,
      bytes: this.bytes,
      sha256: this.sha256.digest("hex"),
      sha1: this.sha1.digest("hex"),
      md5: this.md5.digest("hex"),
      ...(this.problem === undefined ? {} : { problem: this.problem })
    }
  }

  private fail(problem: string) {
    this.problem = problem
  }

  private decode(quads: string) {
    // Node accepts the URL-safe alphabet too; Go's StdEncoding does not.
    if (quads.includes("-") || quads.includes("_")) return this.fail("URL-safe characters ('-' or '_')")
    const pad = quads.indexOf("=")
    let padding = 0
    if (pad !== -1) {
      padding = quads.length - pad
      if (padding > 2 || (padding === 2 && quads[quads.length - 1] !== "=")) return this.fail("'=' before the end")
      this.padded = true
    }
    const decoded = Buffer.from(quads, "base64")
    // Node skips characters outside the alphabet (whitespace included): a short result means some were there.
    if (decoded.length !== (quads.length / 4) * 3 - padding) return this.fail("characters outside the base64 alphabet")
    this.bytes += decoded.length
    this.sha256.update(decoded)
    this.sha1.update(decoded)
    this.md5.update(decoded)
  }
}
