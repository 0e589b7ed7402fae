/** Archive and compression signatures, as mimetype v1.4.13 checks them. */
import { at, hasPrefix, indexOf, prefixes, u16le, u32le } from "../bytes.js"
import { node, type Node } from "../node.js"
import { isText } from "../text/plain.js"
import { isZip } from "./zip.js"

const trimNulSpace = (b: Uint8Array): Uint8Array => {
  let start = 0
  let end = b.length
  while (start < end && (b[start] === 0x20 || b[start] === 0)) start++
  while (end > start && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--
  return b.subarray(start, end)
}

/** A tar header: its checksum field (octal) equals the sum of the header bytes, signed or unsigned. */
const isTar = (s: Uint8Array): boolean => {
  if (s.length < 512) return false
  const header = s.subarray(0, 512)
  // GNU's gpkg (a tar whose first member names the format) is not a plain tar for mimetype.
  if (indexOf(header.subarray(0, 100), "/gpkg-1\x00") !== -1) return false
  const field = trimNulSpace(header.subarray(148, 156))
  if (field.length === 0) return false
  let recorded = 0
  for (const b of field) {
    if (b === 0) break
    if (b < 0x30 || b > 0x37) return false
    recorded = recorded * 8 + (b - 0x30)
  }
  let unsigned = 0
  let signed = 0
  header.forEach((b, i) => {
    const c = i >= 148 && i < 156 ? 0x20 : b
    unsigned += c
    signed += c > 127 ? c - 256 : c
  })
  return recorded === unsigned || recorded === signed
}

/** A Chrome extension: the Cr24 header, then a ZIP after the key and signature it announces. */
const isCrx = (s: Uint8Array): boolean => {
  if (s.length < 16 || !hasPrefix(s, "Cr24")) return false
  const zipAt = 16 + u32le(s, 8) + u32le(s, 12)
  return s.length >= zipAt && isZip(s.subarray(zipAt))
}

export const sevenZ = node("application/x-7z-compressed", prefixes("7z\xbc\xaf\x27\x1c"))
export const ar: Node = node("application/x-archive", prefixes("!<arch>"), [
  node("application/vnd.debian.binary-package", at(8, "debian-binary"))
])
export const tar = node("application/x-tar", isTar)
export const xar = node("application/x-xar", prefixes("xar!"))
export const bz2 = node("application/x-bzip2", prefixes("BZh"))
export const gzip = node("application/gzip", prefixes("\x1f\x8b"))
export const rar = node("application/x-rar-compressed", prefixes("Rar!\x1a\x07\x00", "Rar!\x1a\x07\x01\x00"))
export const zstd = node("application/zstd", (s) => {
  if (s.length < 4) return false
  const magic = u32le(s, 0)
  // Zstandard frames, and the skippable frames that may precede them.
  return (magic >= 0xfd2fb522 && magic <= 0xfd2fb528) || (magic >= 0x184d2a50 && magic <= 0x184d2a5f)
})
export const cab = node("application/vnd.ms-cab-compressed", prefixes("MSCF\x00\x00\x00\x00"))
export const installShieldCab = node("application/x-installshield", (s) =>
  s.length > 7 && hasPrefix(s, "ISc(") && s[6] === 0 && [1, 2, 4].includes(s[7]!))
export const rpm = node("application/x-rpm", prefixes("\xed\xab\xee\xdb", "drpm"))
export const xz = node("application/x-xz", prefixes("\xfd7zXZ\x00"))
export const lzip = node("application/lzip", prefixes("LZIP"))
export const cpio = node("application/x-cpio", (s) =>
  s.length >= 6 && (u16le(s, 0) === 0o70707 || ["070707", "070701", "070702"].some((m) => hasPrefix(s, m))))
export const crx = node("application/x-chrome-extension", isCrx)
/** zlib: a CMF/FLG pair divisible by 31 with deflate's "x" — and not plain text that happens to start so. */
export const zlib = node("application/zlib", (s) => s.length > 1 && s[0] === 0x78 && ((s[0] << 8) | s[1]!) % 31 === 0 && !isText(s))
