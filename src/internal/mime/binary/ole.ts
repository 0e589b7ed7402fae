/**
 * Sub-types of OLE compound files (legacy Office documents, Outlook messages, installers):
 * by the root storage's CLSID, then by the streams under the root, then, when the head is too
 * short to reach the directory, by the sector-512 signatures mimetype v1.4.13 falls back on.
 */
import { hasAt, hasPrefix, indexOf, u32le } from "../bytes.js"
import { readDirectory } from "./cfb.js"

const WORD = "application/msword"
const EXCEL = "application/vnd.ms-excel"
const POWERPOINT = "application/vnd.ms-powerpoint"
const OUTLOOK = "application/vnd.ms-outlook"
const INSTALLER = "application/x-ms-installer"
const PUBLISHER = "application/vnd.ms-publisher"

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16))

/** Root CLSIDs (as stored, little-endian fields); Excel's are matched on their first 8 bytes only, as mimetype does. */
const clsids: ReadonlyArray<readonly [Uint8Array, string]> = [
  [hex("84100c0000000000c000000000000046"), INSTALLER],
  [hex("0b0d020000000000c000000000000046"), OUTLOOK],
  [hex("1008020000000000"), EXCEL],
  [hex("2008020000000000"), EXCEL],
  [hex("011202000000000000c0000000000046"), PUBLISHER],
  [hex("108d81649b4fcf1186ea00aa00b929e8"), POWERPOINT],
  [hex("70ae7bea3bfbcd11a90300aa00510ea3"), POWERPOINT],
  [hex("0609020000000000c000000000000046"), WORD],
  [hex("0009020000000000c000000000000046"), WORD],
  [hex("0709020000000000c000000000000046"), WORD]
]

/** The stream (or storage) each application writes under the root, after libmagic's table. */
const byName = (names: ReadonlyArray<string>): string | undefined => {
  if (names.some((n) => n === "__properties_version1.0" || n.startsWith("__substg1.0_"))) return OUTLOOK
  if (names.includes("Workbook") || names.includes("Book")) return EXCEL
  if (names.includes("PowerPoint Document")) return POWERPOINT
  if (names.includes("WordDocument")) return WORD
  if (names.includes("Quill")) return PUBLISHER
  return undefined
}

/** mimetype v1.4.13's check: the CLSID where the root entry sits when the directory starts the chain. */
const clsidAtDirectoryStart = (head: Uint8Array, clsid: Uint8Array): boolean => {
  if (head.length < 512) return false
  const sectorSize = head[26] === 0x04 && head[27] === 0x00 ? 4096 : 512
  const at = sectorSize * (1 + u32le(head, 48)) + 80
  return head.length > at + 16 && hasAt(head, clsid, at)
}

const utf16 = (s: string) => s.split("").join("\x00")
const excelHeaders = ["\x09\x08\x10\x00\x00\x06\x05\x00", ...["\x10", "\x1f", "\x22", "\x23", "\x28", "\x29"].map((b) => `\xfd\xff\xff\xff${b}`)]
const powerPointHeaders = ["\xa0\x46\x1d\xf0", "\x00\x6e\x1e\xf0", "\x0f\x00\xe8\x03"]
const workbookName = utf16("WksSSWorkBook")
const powerPointName = utf16("PowerPoint Document")

/** What the first sector after the header (and a UTF-16 name nearby) give away in a short head. */
const bySignature = (head: Uint8Array): string | undefined => {
  if (head.length < 520) return undefined
  const sector1 = head.subarray(512)
  const names = head.subarray(1152, 4096)
  if (excelHeaders.some((h) => hasPrefix(sector1, h)) || (head.length > 1152 && indexOf(names, workbookName) !== -1)) return EXCEL
  if (powerPointHeaders.some((h) => hasPrefix(sector1, h))) return POWERPOINT
  if (hasPrefix(sector1, "\xfd\xff\xff\xff") && head[518] === 0 && head[519] === 0) return POWERPOINT
  if (head.length > 1152 && indexOf(names, powerPointName) !== -1) return POWERPOINT
  return undefined
}

/** The specific type of an OLE compound file, or undefined for a generic one. */
export const oleSubtype = (head: Uint8Array): string | undefined => {
  const directory = readDirectory(head)
  if (directory !== undefined) {
    const fromClsid = clsids.find(([id]) => hasPrefix(directory.rootClsid, id))
    return fromClsid?.[1] ?? byName(directory.names) ?? bySignature(head)
  }
  return clsids.find(([id]) => clsidAtDirectoryStart(head, id))?.[1] ?? bySignature(head)
}
