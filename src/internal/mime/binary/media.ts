/** Image, audio and video signatures, as mimetype v1.4.13 checks them. */
import { at, hasAt, hasPrefix, indexOf, prefixes, u16be, u32le } from "../bytes.js"
import { node, type Node } from "../node.js"

const riff = (form: string) => (s: Uint8Array) => s.length > 12 && hasPrefix(s, "RIFF") && hasAt(s, form, 8)

/** JPEG 2000 family: the signature box, then the brand at byte 20. */
const jpeg2000 = (brand: string) => (s: Uint8Array) =>
  s.length >= 24 && (hasAt(s, "jP  ", 4) || hasAt(s, "jP2 ", 4)) && hasAt(s, brand, 20)

const oggAt28 = (...sigs: ReadonlyArray<string>) => (s: Uint8Array) => s.length >= 37 && sigs.some((sig) => hasAt(s, sig, 28))

export const ogg: Node = node("application/ogg", prefixes("OggS\x00"), [
  node("audio/ogg", oggAt28("\x7fFLAC", "\x01vorbis", "OpusHead", "Speex   ")),
  node("video/ogg", oggAt28("\x80theora", "fishead\x00", "\x01video\x00\x00\x00"))
])

export const png: Node = node("image/png", prefixes("\x89PNG\r\n\x1a\n"), [node("image/vnd.mozilla.apng", at(37, "acTL"))])

const bmpHeaderSizes = [48, 24, 16, 64, 52, 56, 40, 124, 108]

/** Matroska/WebM: the EBML magic, then the DocType element (0x4282) naming `docType`. */
const matroska = (docType: string) => (s: Uint8Array): boolean => {
  if (!hasPrefix(s, "\x1a\x45\xdf\xa3")) return false
  const i = indexOf(s.subarray(0, 4096), "\x42\x82")
  if (i <= 0 || s.length <= i + 2) return false
  const sizeByte = s[i + 2]!
  let width = 1
  for (let mask = 0x80; width < 8 && (sizeByte & mask) === 0; mask >>= 1) width++
  return s.length > i + 2 + width && hasAt(s, docType, i + 2 + width)
}

const dwgVersions = ["1.40", "1.50", "2.10", "1002", "1003", "1004", "1006", "1009", "1012", "1014", "1015", "1018", "1021", "1024", "1032"]

export const xpm = node("image/x-xpixmap", prefixes("/* XPM */"))
export const psd = node("image/vnd.adobe.photoshop", prefixes("8BPS"))
export const jpg = node("image/jpeg", prefixes("\xff\xd8\xff"))
export const jxl = node("image/jxl", prefixes("\xff\x0a", "\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a"))
export const jp2 = node("image/jp2", jpeg2000("jp2 "))
export const jpx = node("image/jpx", jpeg2000("jpx "))
export const jpm = node("image/jpm", jpeg2000("jpm "))
export const jxs = node("image/jxs", prefixes("\x00\x00\x00\x0cJXS \x0d\x0a\x87\x0a"))
export const gif = node("image/gif", prefixes("GIF87a", "GIF89a"))
export const webp = node("image/webp", riff("WEBP"))
export const tiff = node("image/tiff", prefixes("II*\x00", "MM\x00*"))
export const bmp = node("image/bmp", (s) => s.length >= 18 && s[0] === 0x42 && s[1] === 0x4d && bmpHeaderSizes.includes(u32le(s, 14)))
export const ico = node("image/x-icon", prefixes("\x00\x00\x01\x00", "\x00\x00\x02\x00"))
export const icns = node("image/x-icns", prefixes("icns"))
export const bpg = node("image/bpg", prefixes("BPG\xfb"))
export const hdr = node("image/vnd.radiance", prefixes("#?RADIANCE\n"))
export const xcf = node("image/x-xcf", prefixes("gimp xcf"))
export const pat = node("image/x-gimp-pat", at(20, "GPAT"))
export const gbr = node("image/x-gimp-gbr", at(20, "GIMP"))
export const jxr = node("image/jxr", prefixes("II\xbc\x01"))
export const djvu = node("image/vnd.djvu", (s) =>
  s.length >= 12 && hasPrefix(s, "AT&TFORM") && ["DJVM", "DJVU", "DJVI", "THUM"].some((k) => hasAt(s, k, 12)))
export const dwg = node("image/vnd.dwg", (s) => s.length >= 6 && s[0] === 0x41 && s[1] === 0x43 && dwgVersions.some((v) => hasAt(s, v, 2)))
export const dxf = node("image/vnd.dxf", prefixes("  0\nSECTION\n", "  0\r\nSECTION\r\n", "0\nSECTION\n", "0\r\nSECTION\r\n"))

/** MP3: an ID3v2 tag, or a bare MPEG audio frame sync (layer III, any version). */
export const mp3 = node("audio/mpeg", (s) => {
  if (s.length < 3) return false
  if (hasPrefix(s, "ID3")) return true
  const sync = u16be(s, 0) & 0xfffe
  return sync === 0xfffa || sync === 0xfff2 || sync === 0xffe2
})
export const flac = node("audio/flac", prefixes("fLaC\x00\x00\x00\x22"))
export const midi = node("audio/midi", prefixes("MThd"))
export const ape = node("audio/ape", prefixes("MAC \x96\x0f\x00\x00\x34\x00\x00\x00\x18\x00\x00\x00\x90\xe3"))
export const musePack = node("audio/musepack", prefixes("MPCK"))
export const amr = node("audio/amr", prefixes("#!AMR"))
export const wav = node("audio/wav", riff("WAVE"))
export const aiff = node("audio/aiff", (s) => s.length > 12 && hasPrefix(s, "FORM") && hasAt(s, "AIFF", 8))
export const au = node("audio/basic", prefixes(".snd"))
export const aac = node("audio/aac", (s) => s.length > 1 && s[0] === 0xff && (s[1] === 0xf1 || s[1] === 0xf9))
export const voc = node("audio/x-unknown", prefixes("Creative Voice File"))
export const m3u = node("application/vnd.apple.mpegurl", prefixes("#EXTM3U\n", "#EXTM3U\r\n"))
export const qcp = node("audio/qcelp", riff("QLCM"))
export const mpeg = node("video/mpeg", (s) => s.length > 3 && hasPrefix(s, "\x00\x00\x01") && s[3]! >= 0xb0 && s[3]! <= 0xbf)
export const webm = node("video/webm", matroska("webm"))
export const mkv = node("video/x-matroska", matroska("matroska"))
export const avi = node("video/x-msvideo", (s) => s.length > 16 && hasPrefix(s, "RIFF") && hasAt(s, "AVI LIST", 8))
export const flv = node("video/x-flv", prefixes("FLV\x01"))
export const asf = node("video/x-ms-asf", prefixes("\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"))
export const rmvb = node("application/vnd.rn-realmedia-vbr", prefixes(".RMF"))
