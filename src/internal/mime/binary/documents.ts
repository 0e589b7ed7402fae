/** Document, database, font, executable and other signatures, as mimetype v1.4.13 checks them. */
import { at, hasAt, hasPrefix, indexOf, prefixes, u32be, u32le } from "../bytes.js"
import { node, type Node } from "../node.js"
import { IgnoreCase, match } from "../pattern.js"
import { oleSubtype } from "./ole.js"

export const pdf = node("application/pdf", (s) => indexOf(s.subarray(0, 1024), "%PDF-") !== -1)
export const fdf = node("application/vnd.fdf", prefixes("%FDF"))
export const ole: Node = { mime: "application/x-ole-storage", test: prefixes("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), subtype: oleSubtype }
export const ps = node("application/postscript", prefixes("%!PS-Adobe-"))

const signedData = "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07"
/** PKCS#7: PEM armour, or a DER SEQUENCE (any length form) whose first element is the pkcs7 OID. */
export const p7s = node("application/pkcs7-signature", (s) => {
  if (hasPrefix(s, "-----BEGIN PKCS7")) return true
  if (s.length < 20 || s[0] !== 0x30) return false
  const form = s[1]! - 0x80
  return form >= 0 && form <= 4 && hasAt(s, signedData, form + 2)
})

export const fits = node("application/fits", prefixes("SIMPLE  =                    T"))
export const lotus = node("application/vnd.lotus-1-2-3", (s) => {
  if (s.length <= 20) return false
  const version = u32be(s, 0)
  if (version === 0x00000200) return s[6] !== 0 && s[7] === 0
  return version === 0x00001a00 && s[20]! > 0 && s[20]! < 32
})
export const mobi = node("application/x-mobipocket-ebook", at(60, "BOOKMOBI"))
export const lit = node("application/x-ms-reader", prefixes("ITOLITLS"))
export const sqlite = node("application/vnd.sqlite3", prefixes("SQLite format 3\x00"))
export const marc = node("application/marc", (s) => {
  if (s.length < 24 || !hasAt(s, "4500", 20)) return false
  for (let i = 0; i < 5; i++) if (s[i]! < 0x30 || s[i]! > 0x39) return false
  return s.subarray(0, 2048).includes(0x1e)
})
export const mdb = node("application/x-msaccess", at(4, "Standard Jet DB"))
export const accdb = node("application/x-msaccess", at(4, "Standard ACE DB"))
export const torrent = node("application/x-bittorrent", prefixes("d8:announce"))

const dbfVersions = [0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x42, 0x62, 0x7b, 0x82, 0x83, 0x87, 0x8a, 0x8b, 0x8e, 0xb3, 0xcb, 0xe5, 0xf5, 0xf4, 0xfb]
/** dBase: a known version byte, a plausible last-update month/day, and the reserved bytes zero. */
export const dbf = node("application/x-dbf", (s) => {
  if (s.length < 68) return false
  if (s[2] === 0 || s[2]! > 12 || s[3] === 0 || s[3]! > 31) return false
  if (s[12] !== 0 || s[13] !== 0 || s[30] !== 0 || s[31] !== 0 || s[28]! > 1) return false
  return dbfVersions.includes(s[0]!)
})
export const dicom = node("application/dicom", at(128, "DICM"))
export const chm = node("application/vnd.ms-htmlhelp", prefixes("ITSF\x03\x00\x00\x00\x60\x00\x00\x00"))
export const wordPerfect = node("application/vnd.wordperfect", (s) => s.length >= 10 && hasPrefix(s, "\xffWPC") && s[8] === 1 && s[9] === 10)
export const oneNote = node("application/onenote", prefixes("\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d\xae\xb1\x53\x78\xd0\x29\x96\xd3"))
export const os2Inf = node("application/x-os2-inf", prefixes("HSP\x01\x9b\x00"))
export const os2Hlp = node("application/x-os2-hlp", prefixes("HSP\x10\x9b\x00"))
export const frameMaker = node("application/vnd.framemaker", (s) =>
  (hasPrefix(s, "<MakerFile") || hasPrefix(s, "<MakerDictionary") || match(s, 0, "<BOOKFILE", IgnoreCase) !== -1) &&
  s.subarray(0, 512).includes(0))
export const grib = node("application/grib", (s) => s.length > 7 && hasPrefix(s, "GRIB") && (s[7] === 1 || s[7] === 2))
export const bufr = node("application/bufr", (s) => s.length > 7 && hasPrefix(s, "BUFR") && (s[7] === 3 || s[7] === 4))
export const parquet = node("application/vnd.apache.parquet", prefixes("PAR1"))
export const cbor = node("application/cbor", prefixes("\xd9\xd9\xf7"))
export const tzif = node("application/tzif", (s) =>
  s.length >= 44 && hasPrefix(s, "TZif") && u32be(s, 36) !== 0 && (s[4] === 0 || s[4] === 0x32 || s[4] === 0x33))

/** ELF: the file type (e_type, either byte order) gives object, executable, library or core dump. */
const elfType = (t: number) => (s: Uint8Array) => s.length > 17 && ((s[16] === t && s[17] === 0) || (s[16] === 0 && s[17] === t))
export const elf: Node = node("application/x-elf", prefixes("\x7fELF"), [
  node("application/x-object", elfType(1)),
  node("application/x-executable", elfType(2)),
  node("application/x-sharedlib", elfType(3)),
  node("application/x-coredump", elfType(4))
])
export const exe = node("application/vnd.microsoft.portable-executable", prefixes("MZ"))

/** Java class files and Mach-O fat binaries share 0xCAFEBABE; the class file's major version is > 30. */
const cafeBabe = (s: Uint8Array) => s.length >= 8 && u32be(s, 0) === 0xcafebabe
export const javaClass = node("application/x-java-applet", (s) => cafeBabe(s) && s[7]! > 30)
const machMagics = [0xfeedface, 0xfeedfacf]
export const machO = node("application/x-mach-binary", (s) =>
  (cafeBabe(s) && s[7]! < 0x14) || (s.length >= 4 && (machMagics.includes(u32be(s, 0)) || machMagics.includes(u32le(s, 0)))))
export const swf = node("application/x-shockwave-flash", prefixes("CWS", "FWS", "ZWS"))
export const wasm = node("application/wasm", prefixes("\x00asm"))
export const nes = node("application/vnd.nintendo.snes.rom", prefixes("NES\x1a"))
export const lnk = node("application/x-ms-shortcut", prefixes("L\x00\x00\x00\x01\x14\x02\x00"))
export const glb = node("model/gltf-binary", prefixes("glTF\x02\x00\x00\x00", "glTF\x01\x00\x00\x00"))

const shapeTypes = [0, 1, 3, 5, 8, 11, 13, 15, 18, 21, 23, 25, 28, 31]
/** Shapefile index (.shx) and main file (.shp) share a header; only the .shp has the full check. */
export const shx: Node = node("application/vnd.shx", prefixes("\x00\x00\x27\x0a"), [
  node("application/vnd.shp", (s) =>
    s.length >= 112 && u32be(s, 0) === 9994 && [4, 8, 12, 16, 20].every((i) => u32be(s, i) === 0) &&
    u32le(s, 28) === 1000 && shapeTypes.includes(u32le(s, 108)))
])

