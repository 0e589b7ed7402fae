import { charsetFromBom } from "../charset.js"

/**
 * WHATWG's binary data bytes (mimesniff, "binary data byte"): control characters other than
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
