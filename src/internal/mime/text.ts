import { charsetFromBom, charsetOfPlain } from "./charset.js"

/** mimetype reads this many bytes (v1.4.13); text checks look no further. */
export const TEXT_LIMIT = 3072

/**
 * WHATWG's binary data bytes (mimesniff §"binary data byte"): control characters other than
 * tab, LF, FF, CR and ESC. One of them in the sample means the input is not text.
 */
const isBinaryByte = (b: number): boolean =>
  b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)

/** Whether mimetype would call the sample text: a byte-order mark, or no binary data byte. */
export const isText = (sample: Uint8Array): boolean => {
  if (charsetFromBom(sample) !== undefined) return true
  for (const b of sample) if (isBinaryByte(b)) return false
  return true
}

/** `text/plain` with the charset of the first 1024 bytes, as mimetype reports it. */
export const plainText = (sample: Uint8Array): string => {
  const charset = charsetOfPlain(sample.subarray(0, 1024))
  return charset === undefined ? "text/plain" : `text/plain; charset=${charset}`
}
