/** The line-oriented text formats mimetype recognises: RTF, subtitles, vCard, iCalendar, WARC, Netpbm, e-mail. */
import { hasPrefix, isSpace } from "../bytes.js"
import { Cursor } from "../cursor.js"
import { node, type Node } from "../node.js"
import { asString } from "../markup.js"
import { IgnoreCase, match } from "../pattern.js"
import { caseInsensitivePrefix } from "./scripts.js"

const startsWithAny = (...sigs: ReadonlyArray<string>) => (sample: Uint8Array) => sigs.some((sig) => hasPrefix(sample, sig))

export const rtf: Node = node("text/rtf", startsWithAny("{\\rtf"))

/** `HH:MM:SS,mmm` as milliseconds, or undefined (Go's time.Parse with layout 15:04:05,000). */
const srtTime = (s: string): number | undefined => {
  const m = /^(\d{1,2}):(\d{2}):(\d{2}),(\d{3})$/.exec(s)
  if (m === null) return undefined
  const [h, min, sec, ms] = m.slice(1).map(Number) as [number, number, number, number]
  return h < 24 && min < 60 && sec < 60 ? ((h * 60 + min) * 60 + sec) * 1000 + ms : undefined
}

/** SubRip: a first cue numbered 1, its `start --> end` line, and a non-empty text line. */
export const subrip: Node = node("application/x-subrip", (sample) => {
  const s = new Cursor(sample)
  const first = s.line()
  if (first.length !== 1 || first[0] !== 0x31) return false
  const timing = asString(s.line())
  if (timing.length !== 29 || timing.includes(".")) return false
  const sep = timing.indexOf(" --> ")
  if (sep === -1) return false
  const start = srtTime(timing.slice(0, sep))
  const end = srtTime(timing.slice(sep + 5))
  if (start === undefined || end === undefined || start > end) return false
  return s.line().length !== 0
})

const webvttPrefixes = ["\n", "\r", " ", "\t"].flatMap((sep) => [`\xef\xbb\xbfWEBVTT${sep}`, `WEBVTT${sep}`])
const webvttStart = startsWithAny(...webvttPrefixes)
export const webvtt: Node = node("text/vtt", (sample) => {
  if (webvttStart(sample)) return true
  // The bare header, with nothing after it, is a (degenerate) WebVTT file too.
  return (sample.length === 6 || sample.length === 9) && (asString(sample) === "\xef\xbb\xbfWEBVTT" || asString(sample) === "WEBVTT")
})

export const vcard: Node = node("text/vcard", caseInsensitivePrefix("BEGIN:VCARD\n", "BEGIN:VCARD\r\n"))
export const icalendar: Node = node("text/calendar", caseInsensitivePrefix("BEGIN:VCALENDAR\n", "BEGIN:VCALENDAR\r\n"))
export const warc: Node = node("application/warc", startsWithAny("WARC/1.0", "WARC/1.1"))

/** Go's strconv.ParseInt(s, 10, 64) succeeding with a positive result. */
const positiveInt64 = (s: string): boolean => /^\+?\d+$/.test(s) && BigInt(s) > 0n && BigInt(s) < 2n ** 63n

const spaces = [0x20, 0x0d, 0x0a, 0x0c, 0x09]

/** Netpbm P1–P6: the magic, then (after comments) a line starting with a positive width and height. */
const netpbm = (...magics: ReadonlyArray<string>) => (sample: Uint8Array): boolean => {
  const magic = magics.find((m) => hasPrefix(sample, m))
  if (magic === undefined) return false
  const s = new Cursor(sample, magic.length)
  let line = new Cursor(new Uint8Array(0))
  for (let i = 0; i < 128; i++) {
    line = new Cursor(s.line())
    if (line.peek() === 0x23) continue
    while (isSpace(line.peek())) line.advance(1)
    if (s.remaining === 0 || line.remaining > 0) break
  }
  const width = asString(line.popUntil(...spaces))
  while (isSpace(line.peek())) line.advance(1)
  const height = asString(line.popUntil(...spaces))
  return positiveInt64(width) && positiveInt64(height)
}

/** Netpbm P7 (PAM): a header with WIDTH, HEIGHT, DEPTH and MAXVAL before ENDHDR. */
const pam = (sample: Uint8Array): boolean => {
  if (!hasPrefix(sample, "P7\n")) return false
  const seen = new Set<string>()
  const s = new Cursor(sample)
  for (let i = 0; i < 128; i++) {
    const line = asString(s.line())
    if (line.length === 0 || line.startsWith("#")) {
      if (s.remaining === 0) return false
      continue
    }
    for (const key of ["WIDTH ", "HEIGHT ", "DEPTH ", "MAXVAL "]) if (line.startsWith(key)) seen.add(key)
    if (line.startsWith("ENDHDR")) return seen.size === 4
  }
  return false
}

export const netpbmNodes: ReadonlyArray<Node> = [
  node("image/x-portable-bitmap", netpbm("P1\n", "P4\n")),
  node("image/x-portable-graymap", netpbm("P2\n", "P5\n")),
  node("image/x-portable-pixmap", netpbm("P3\n", "P6\n")),
  node("image/x-portable-arbitrarymap", pam)
]

/** Header names libmagic uses to spot mail and news; some it compares case-insensitively. */
const mailHints: ReadonlyArray<readonly [string, number]> = [
  ["From: ", 0], ["To: ", 0], ["CC: ", IgnoreCase], ["Date: ", 0], ["Subject: ", 0], ["Received: ", 0],
  ["Relay-Version: ", 0], ["#! rnews", 0], ["N#! rnews", 0], ["Forward to", 0], ["Pipe to", 0],
  ["DELIVERED-TO: ", IgnoreCase], ["RETURN-PATH: ", IgnoreCase], ["Content-Type: ", 0],
  ["Content-Transfer-Encoding: ", 0]
]

const hasMailHint = (line: Uint8Array): boolean => mailHints.some(([hint, flags]) => match(line, 0, hint, flags) !== -1)

/** E-mail: the first line is a header libmagic knows, and so is one of the next 20. */
export const rfc822: Node = node("message/rfc822", (sample) => {
  const s = new Cursor(sample)
  if (!hasMailHint(s.line())) return false
  for (let i = 0; i < 20; i++) if (hasMailHint(s.line())) return true
  return false
})
