/**
 * Detection: file-type (which reads up to the whole 1 MiB head) for binary formats, renamed
 * to mimetype's names and sub-typed the way mimetype sub-types containers; our port of
 * mimetype's checks for text, and for binary input file-type does not recognise.
 */
import { fileTypeFromBuffer } from "file-type"
import { cab, installShieldCab, ar } from "./binary/archives.js"
import { elf, ole, shx } from "./binary/documents.js"
import { mp4 } from "./binary/ftyp.js"
import { ogg, png } from "./binary/media.js"
import { rootNodes } from "./binary/root.js"
import { zip } from "./binary/zip.js"
import { firstMatch, refine, type Node } from "./node.js"
import { renames } from "./renames.js"
import { SAMPLE_BYTES } from "./sample.js"
import { isText } from "./text/plain.js"

const OCTET_STREAM = "application/octet-stream"

/** Containers whose file-type answer still needs mimetype's sub-typing, by their (renamed) name. */
const containers: ReadonlyMap<string, Node> = new Map([
  zip, ole, mp4, elf, ogg, png, ar, shx,
  // file-type names InstallShield cabinets (ISc() as Microsoft ones (MSCF).
  { ...cab, children: [installShieldCab] }
].map((n) => [n.mime, n]))

/** file-type's answer, or undefined when it has none or throws on a malformed header. */
const fromFileType = async (head: Uint8Array): Promise<string | undefined> => {
  try {
    return (await fileTypeFromBuffer(head))?.mime
  } catch {
    return undefined
  }
}

const ownDetection = (sample: Uint8Array, head: Uint8Array): string => firstMatch(rootNodes, sample, head) ?? OCTET_STREAM

/** The MIME type of `head` (an object's first bytes), named as mimetype v1.4.13 names it. */
export const detectMime = async (head: Uint8Array): Promise<string> => {
  const sample = head.subarray(0, SAMPLE_BYTES)
  // Text (or text-looking binary like PDF) goes by mimetype's own order; file-type knows no
  // text formats and takes a UTF-16LE byte-order mark for an MPEG frame.
  if (isText(sample)) return ownDetection(sample, head)
  const found = await fromFileType(head)
  if (found === undefined) return ownDetection(sample, head)
  const name = renames.get(found) ?? found
  const container = containers.get(name)
  return container === undefined ? name : refine(container, sample, head)
}
