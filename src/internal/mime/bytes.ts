/** Byte-level helpers shared by the signature checks. */

/** Whether `sig` (bytes, or a Latin-1 string) occurs in `raw` at byte `at`. */
export const hasAt = (raw: Uint8Array, sig: Uint8Array | string, at: number): boolean => {
  if (raw.length < at + sig.length) return false
  if (typeof sig === "string") {
    for (let i = 0; i < sig.length; i++) if (raw[at + i] !== sig.charCodeAt(i)) return false
  } else {
    for (let i = 0; i < sig.length; i++) if (raw[at + i] !== sig[i]) return false
  }
  return true
}

/** Whether `raw` starts with `sig`. */
export const hasPrefix = (raw: Uint8Array, sig: Uint8Array | string): boolean => hasAt(raw, sig, 0)

/** First index of `sig` (bytes, or a Latin-1 string) in `raw` at or after `from`, or -1. */
export const indexOf = (raw: Uint8Array, sig: Uint8Array | string, from = 0): number => {
  if (sig.length === 0) return from
  const first = typeof sig === "string" ? sig.charCodeAt(0) : sig[0]!
  for (let i = raw.indexOf(first, from); i !== -1 && i + sig.length <= raw.length; i = raw.indexOf(first, i + 1)) {
    if (hasAt(raw, sig, i)) return i
  }
  return -1
}

export const u16le = (raw: Uint8Array, at: number): number => raw[at]! | (raw[at + 1]! << 8)
export const u16be = (raw: Uint8Array, at: number): number => (raw[at]! << 8) | raw[at + 1]!
export const u32le = (raw: Uint8Array, at: number): number =>
  (raw[at]! | (raw[at + 1]! << 8) | (raw[at + 2]! << 16) | (raw[at + 3]! << 24)) >>> 0
export const u32be = (raw: Uint8Array, at: number): number =>
  ((raw[at]! << 24) | (raw[at + 1]! << 16) | (raw[at + 2]! << 8) | raw[at + 3]!) >>> 0

/** HTML/XML whitespace as mimetype's scanner defines it. */
export const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d

/** Index of the first non-whitespace byte at or after `from` (raw.length when none). */
export const skipSpace = (raw: Uint8Array, from = 0): number => {
  let i = from
  while (i < raw.length && isSpace(raw[i])) i++
  return i
}

/** A detector that passes when `raw` starts with any of `sigs`. */
export const prefixes = (...sigs: ReadonlyArray<string>): ((raw: Uint8Array) => boolean) =>
  (raw) => sigs.some((sig) => hasAt(raw, sig, 0))

/** A detector that passes when `sig` occurs at byte `at`. */
export const at = (at: number, sig: string): ((raw: Uint8Array) => boolean) => (raw) => hasAt(raw, sig, at)
