/**
 * The charset parameter mimetype puts on `text/plain` (and, as a fallback, on HTML and XML):
 * from a byte-order mark, else `utf-8` for ASCII or valid UTF-8, else `iso-8859-1` or
 * `windows-1252` when every byte could be Latin text, else none.
 */
import { hasPrefix } from "./bytes.js"

const boms: ReadonlyArray<readonly [string, string]> = [
  ["\xef\xbb\xbf", "utf-8"],
  // UTF-32 before UTF-16: FF FE 00 00 also starts with the UTF-16LE mark.
  ["\x00\x00\xfe\xff", "utf-32be"],
  ["\xff\xfe\x00\x00", "utf-32le"],
  ["\xfe\xff", "utf-16be"],
  ["\xff\xfe", "utf-16le"]
]

/** The charset a byte-order mark at the start of `bytes` declares, if any. */
export const charsetFromBom = (bytes: Uint8Array): string | undefined => boms.find(([bom]) => hasPrefix(bytes, bom))?.[1]

/**
 * file(1)'s table (encoding.c), which mimetype copies: 1 = plain ASCII text, 2 = ISO-8859 text,
 * 0 = never in text (other control bytes, DEL, and C1 bytes other than NEL).
 */
const ASCII = 1
const LATIN = 2
const textClass = new Uint8Array(256)
for (const b of [7, 8, 9, 10, 11, 12, 13, 27]) textClass[b] = ASCII
for (let b = 0x20; b < 0x7f; b++) textClass[b] = ASCII
textClass[0x85] = ASCII
for (let b = 0xa0; b <= 0xff; b++) textClass[b] = LATIN

/** Go's utf8.Valid: well-formed sequences only (no overlongs, surrogates or code points past U+10FFFF). */
const isUtf8 = (b: Uint8Array): boolean => {
  for (let i = 0; i < b.length;) {
    const c = b[i]!
    if (c < 0x80) {
      i++
      continue
    }
    let n: number
    let min = 0x80
    let max = 0xbf
    if (c >= 0xc2 && c <= 0xdf) n = 1
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2
      if (c === 0xe0) min = 0xa0
      if (c === 0xed) max = 0x9f
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3
      if (c === 0xf0) min = 0x90
      if (c === 0xf4) max = 0x8f
    } else return false
    const second = b[i + 1]
    if (second === undefined || second < min || second > max) return false
    for (let k = 2; k <= n; k++) {
      const cont = b[i + k]
      if (cont === undefined || cont < 0x80 || cont > 0xbf) return false
    }
    i += n + 1
  }
  return true
}

const hasHighByte = (bytes: Uint8Array): boolean => {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return true
  return false
}

/** Drops a multi-byte sequence cut off by the end of the sample, so truncation is not an error. */
const withoutPartialRune = (bytes: Uint8Array): Uint8Array => {
  for (let i = bytes.length - 1; i >= 0 && i > bytes.length - 4; i--) {
    const b = bytes[i]!
    if (b < 0x80) break
    // A lead byte (not 10xxxxxx) starts the last, possibly incomplete, sequence.
    if ((b & 0xc0) !== 0x80) return bytes.subarray(0, i)
  }
  return bytes
}

/** The charset of plain text: BOM, then UTF-8 (ASCII counts as UTF-8, as W3C recommends), then Latin. */
export const charsetOfPlain = (bytes: Uint8Array): string | undefined => {
  if (bytes.length === 0) return undefined
  const bom = charsetFromBom(bytes)
  if (bom !== undefined) return bom
  // Only high bytes outside a cut-off last sequence call for the UTF-8 check, as in mimetype.
  const complete = withoutPartialRune(bytes)
  if (hasHighByte(complete) && isUtf8(complete)) return "utf-8"
  let ascii = true
  let latin = true
  let c1 = false
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    const cls = textClass[b]
    if (cls !== ASCII) ascii = false
    if (cls === 0) latin = false
    // Bytes 0x80–0x9F are C1 controls in ISO-8859-1 but punctuation in Windows-1252.
    if (b >= 0x80 && b <= 0x9f) c1 = true
  }
  if (ascii) return "utf-8"
  if (!latin) return undefined
  return c1 ? "windows-1252" : "iso-8859-1"
}
