import { isSpace } from "./bytes.js"

/**
 * mimetype's pattern flags. CompactWs: one space in the pattern matches a run of whitespace.
 * IgnoreCase: an upper-case pattern letter matches either case (lower-case ones match only
 * themselves). FullWord: the match must be followed by whitespace or the end.
 */
export const CompactWs = 1
export const IgnoreCase = 2
export const FullWord = 4

const upper = (c: number): number => (c >= 0x61 && c <= 0x7a ? c - 0x20 : c)
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a

/** How many bytes of `b` from `from` the pattern `p` matches, or -1. */
export const match = (b: Uint8Array, from: number, p: string, flags = 0): number => {
  if (p.length === 0) return 0
  if (from >= b.length) return -1
  let i = from
  let j = 0
  if (flags === 0 || (flags & FullWord) !== 0) {
    // Exact prefix comparison, as mimetype does whenever FullWord is set.
    if (b.length - from < p.length) return -1
    for (; j < p.length; j++, i++) if (b[i] !== p.charCodeAt(j)) return -1
  } else {
    while (i < b.length && j < p.length) {
      const pc = p.charCodeAt(j)
      if ((flags & IgnoreCase) !== 0 && isUpper(pc)) {
        if (upper(b[i]!) !== pc) return -1
        i++, j++
      } else if ((flags & CompactWs) !== 0 && isSpace(pc)) {
        j++
        if (!isSpace(b[i])) return -1
        i++
        if (!isSpace(p.charCodeAt(j))) while (isSpace(b[i])) i++
      } else {
        if (b[i] !== pc) return -1
        i++, j++
      }
    }
    if (j < p.length) return -1
  }
  if ((flags & FullWord) !== 0 && i < b.length && !isSpace(b[i])) return -1
  return i - from
}

/** Index of the first place in `b` where `p` matches, or -1. */
export const search = (b: Uint8Array, p: string, flags = 0): number => {
  for (let i = 0; i + p.length <= b.length; i++) if (match(b, i, p, flags) !== -1) return i
  return -1
}
