import { createHash, type Hash } from "node:crypto"
import type { Digests, Md5, Sha1, Sha256 } from "../../Domain.js"

/** SHA256, SHA1 and MD5 of one byte sequence, fed chunk by chunk (node:crypto, synchronous). */
export class Hasher {
  private readonly sha256: Hash = createHash("sha256")
  private readonly sha1: Hash = createHash("sha1")
  private readonly md5: Hash = createHash("md5")
  bytes = 0

  update(chunk: Uint8Array): void {
    this.sha256.update(chunk)
    this.sha1.update(chunk)
    this.md5.update(chunk)
    this.bytes += chunk.length
  }

  /** Finalizes the three hashes; the hasher cannot be used afterwards. */
  digests(): Digests {
    return {
      sha256: this.sha256.digest("hex") as Sha256,
      sha1: this.sha1.digest("hex") as Sha1,
      md5: this.md5.digest("hex") as Md5,
      bytes: this.bytes
    }
  }
}
