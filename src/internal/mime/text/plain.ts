import { charsetFromBom } from "../charset.js"

/**
 * WHATWG's binary data bytes (mimesniff, "binary data byte"): control characters other than
 * tab, LF, FF, CR and ESC. One of them in the sample means the input is not text.
 */
const binaryByte = new Uint8Array(256)
for (let b = 0; b < 0x20; b++) binaryByte[b] = b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || b >= 0x1c ? 1 : 0

/** Whether mimetype would call the sample text: a byte-order mark, or no binary data byte. */
export const isText = (sample: Uint8Array): boolean => {
  if (charsetFromBom(sample) !== undefined) return true
  for (let i = 0; i < sample.length; i++) if (binaryByte[sample[i]!] === 1) return false
  return true
}
