/**
 * Every signature mimetype v1.4.13 checks, in its order (which decides ambiguous input), with
 * plain text last: the tree our own detection walks when file-type has no answer or the sample
 * is text.
 */
import type { Node } from "../node.js"
import { text } from "../text/tree.js"
import * as a from "./archives.js"
import * as d from "./documents.js"
import * as f from "./fonts.js"
import { mp4, quickTime } from "./ftyp.js"
import * as m from "./media.js"
import { zip } from "./zip.js"

export const rootNodes: ReadonlyArray<Node> = [
  m.xpm, a.sevenZ, zip, d.pdf, d.fdf, d.ole, d.ps, m.psd, d.p7s, m.ogg, m.png, m.jpg, m.jxl, m.jp2, m.jpx,
  m.jpm, m.jxs, m.gif, m.webp, d.exe, d.elf, a.ar, a.tar, a.xar, a.bz2, d.fits, m.tiff, m.bmp, d.lotus, m.ico,
  m.mp3, m.flac, m.midi, m.ape, m.musePack, m.amr, m.wav, m.aiff, m.au, m.mpeg, quickTime, mp4, m.webm,
  m.avi, m.flv, m.mkv, m.asf, m.aac, m.voc, m.m3u, m.rmvb, a.gzip, d.javaClass, d.swf, a.crx, f.ttf, f.woff,
  f.woff2, f.otf, f.ttc, f.eot, d.wasm, d.shx, d.dbf, d.dicom, a.rar, m.djvu, d.mobi, d.lit, m.bpg, d.cbor,
  d.sqlite, m.dwg, d.nes, d.lnk, d.machO, m.qcp, m.icns, m.hdr, d.marc, d.mdb, d.accdb, a.zstd, a.cab,
  a.rpm, a.xz, a.lzip, d.torrent, a.cpio, d.tzif, m.xcf, m.pat, m.gbr, d.glb, a.installShieldCab, m.jxr, d.parquet,
  d.oneNote, d.chm, d.wordPerfect, m.dxf, d.grib, a.zlib, d.os2Inf, d.os2Hlp, d.frameMaker, d.bufr,
  text
]
