import { fileTypeFromBuffer } from "file-type"
import { charsetFromBom } from "./charset.js"
import { renames } from "./renames.js"
import { isText, plainText, TEXT_LIMIT } from "./text.js"

const OCTET_STREAM = "application/octet-stream"

/** file-type's answer, or undefined when it has none or throws on a malformed header. */
const fromFileType = async (head: Uint8Array): Promise<string | undefined> => {
  try {
    return (await fileTypeFromBuffer(head))?.mime
  } catch {
    return undefined
  }
}

/** Detects the MIME type of `head` (the first bytes of an object), named as mimetype names it. */
export const detectMime = async (head: Uint8Array): Promise<string> => {
  const sample = head.subarray(0, TEXT_LIMIT)
  // file-type reads the UTF-16LE byte-order mark as an MPEG audio frame header.
  const found = charsetFromBom(sample) === undefined ? await fromFileType(head) : undefined
  if (found !== undefined) return renames.get(found) ?? found
  return isText(sample) ? plainText(sample) : OCTET_STREAM
}
