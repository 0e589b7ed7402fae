/** Font signatures, as mimetype v1.4.13 checks them. */
import { hasAt, hasPrefix, indexOf, prefixes, u16be } from "../bytes.js"
import { node } from "../node.js"

/** Table tags a TrueType font may list first (its directory is sorted by tag). */
const firstTables = new Set([
  "acnt", "ankr", "avar", "bdat", "bhed", "bloc", "bsln", "cmap", "cvar", "cvt ", "EBSC", "fdsc", "feat", "fmtx",
  "fond", "fpgm", "fvar", "gasp", "gcid", "glyf", "gvar", "hdmx", "head", "hhea", "hmtx", "hvgl", "hvpm", "just",
  "kern", "kerx", "lcar", "loca", "ltag", "maxp", "meta", "mort", "morx", "name", "opbd", "OS/2"
])

export const ttf = node("font/ttf", (s) =>
  hasPrefix(s, "\x00\x01\x00\x00") && s.length >= 16 && u16be(s, 4) < 49 &&
  firstTables.has(String.fromCharCode(...s.subarray(12, 16))))
export const woff = node("font/woff", prefixes("wOFF"))
export const woff2 = node("font/woff2", prefixes("wOF2"))
export const otf = node("font/otf", (s) => s.length > 48 && hasPrefix(s, "OTTO\x00") && indexOf(s.subarray(12, 48), "CFF ") !== -1)
export const ttc = node("font/collection", (s) =>
  s.length > 7 && hasPrefix(s, "ttcf") && (hasAt(s, "\x00\x01\x00\x00", 4) || hasAt(s, "\x00\x02\x00\x00", 4)))
export const eot = node("application/vnd.ms-fontobject", (s) =>
  s.length > 35 && hasAt(s, "LP", 34) && ["\x02\x00\x01", "\x01\x00\x00", "\x02\x00\x02"].some((v) => hasAt(s, v, 8)))
