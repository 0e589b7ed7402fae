/**
 * The charset parameter mimetype puts on `text/plain` (and, as a fallback, on HTML and XML):
 * from a byte-order mark, else `utf-8` for ASCII or valid UTF-8, else `iso-8859-1` or
 * `windows-1252` when every byte could be Latin text, else none.
 */

const boms: ReadonlyArray<readonly [ReadonlyArray<number>, string]> = [
  [[0xef, 0xbb, 0xbf], "utf-8"],
  // UTF-32 before UTF-16: FF FE 00 00 also starts with the UTF-16LE mark.
  [[0x00, 0x00, 0xfe, 0xff], "utf-32be"],
  [[0xff, 0xfe, 0x00, 0x00], "utf-32le"],
  [[0xfe, 0xff], "utf-16be"],
  [[0xff, 0xfe], "utf-16le"]
]

/** The charset a byte-order mark at the start of `bytes` declares, if any. */
export const charsetFromBom = (bytes: Uint8Array): string | undefined => {
  for (const [bom, charset] of boms) {
    if (bom.every((b, i) => bytes[i] === b)) return charset
  }
  return undefined
}

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

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

const isUtf8 = (bytes: Uint8Array): boolean => {
  try {
    utf8.decode(bytes)
    return true
  } catch {
    return false
  }
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

const latin = (bytes: Uint8Array): string | undefined => {
  let c1 = false
  for (const b of bytes) {
    const cls = textClass[b]!
    if (cls !== ASCII && cls !== LATIN) return undefined
    if (b >= 0x80 && b <= 0x9f) c1 = true
  }
  // Bytes 0x80–0x9F are C1 controls in ISO-8859-1 but punctuation in Windows-1252.
  return c1 ? "windows-1252" : "iso-8859-1"
}

/** The charset of plain text: BOM, then UTF-8 (ASCII counts as UTF-8, as W3C recommends), then Latin. */
export const charsetOfPlain = (bytes: Uint8Array): string | undefined => {
  if (bytes.length === 0) return undefined
  const bom = charsetFromBom(bytes)
  if (bom !== undefined) return bom
  const trimmed = withoutPartialRune(bytes)
  if (trimmed.some((b) => b >= 0x80) && isUtf8(trimmed)) return "utf-8"
  if (bytes.every((b) => textClass[b] === ASCII)) return "utf-8"
  return latin(bytes)
}
