/** ISO base media files (MP4 family, HEIF/AVIF, 3GPP…) by the major brand of their `ftyp` box. */
import { hasAt } from "../bytes.js"
import { node, type Node } from "../node.js"

/** A file whose major brand (bytes 8–12) is one of `brands`. */
const brands = (mime: string, ...names: ReadonlyArray<string>): Node =>
  node(mime, (sample) => sample.length >= 12 && names.some((b) => hasAt(sample, b, 8)))

/** An `ftyp` box first; its size's high byte 0 rules out text that happens to say "ftyp". */
export const isFtyp = (sample: Uint8Array): boolean => sample.length >= 12 && sample[0] === 0 && hasAt(sample, "ftyp", 4)

export const mp4: Node = node("video/mp4", isFtyp, [
  brands("image/avif", "avif", "avis"),
  brands("video/3gpp", "3gp1", "3gp2", "3gp3", "3gp4", "3gp5", "3gp6", "3gp7", "3gs7", "3ge6", "3ge7", "3gg6"),
  brands("video/3gpp2", "3g24", "3g25", "3g26", "3g2a", "3g2b", "3g2c", "KDDI"),
  brands("audio/mp4", "F4A ", "F4B ", "M4B ", "M4P ", "MSNV", "NDAS"),
  brands("video/quicktime", "mqt "),
  brands("audio/x-m4a", "M4A "),
  brands("video/x-m4v", "M4V ", "M4VH", "M4VP"),
  brands("image/heic", "heic", "heix"),
  brands("image/heic-sequence", "hevc", "hevx"),
  brands("image/heif", "mif1", "heim", "heis", "avic"),
  brands("image/heif-sequence", "msf1", "hevm", "hevs", "avcs"),
  brands("video/mj2", "mj2s", "mjp2", "MFSM", "MGSV"),
  brands("video/vnd.dvb.file",
    "dby1", "dsms", "dts1", "dts2", "dts3", "dxo ", "dmb1", "dmpf", "drc1", "dv1a", "dv1b", "dv2a", "dv2b",
    "dv3a", "dv3b", "dvr1", "dvt1", "emsg")
])

const atoms = ["moov\x00", "mdat\x00", "free\x00", "skip\x00", "pnot\x00"]

/** QuickTime: the `qt  `/`moov` brands, or a classic movie that starts with a bare atom. */
export const quickTime: Node = node("video/quicktime", (sample) => {
  if (sample.length < 12) return false
  if (hasAt(sample, "ftypqt  ", 4) || hasAt(sample, "ftypmoov", 4)) return sample[0] === 0
  return atoms.some((a) => hasAt(sample, a, 4)) || hasAt(sample, "\x00\x00\x00\x08wide", 0)
})
