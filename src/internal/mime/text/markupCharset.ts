/**
 * The charset HTML and XML declare in their markup: the XML declaration's `encoding`, or the
 * HTML `<meta>` prescan of the WHATWG encoding-sniffing algorithm. Both fall back to the plain
 * text charset (HTML looks at a byte-order mark first).
 */
import { indexOf, isSpace } from "../bytes.js"
import { charsetFromBom, charsetOfPlain } from "../charset.js"
import { Cursor } from "../cursor.js"
import { asString, nextAttribute, skipComment } from "../markup.js"
import { IgnoreCase, match } from "../pattern.js"

const xmlDeclaration = "<?xml"

const declaredInXml = (sample: Uint8Array): string | undefined => {
  const s = new Cursor(sample)
  for (;;) {
    s.skipSpace()
    if (s.remaining <= xmlDeclaration.length) return undefined
    const at = indexOf(sample, xmlDeclaration, s.pos)
    if (at === -1) return undefined
    s.pos = at + xmlDeclaration.length
    for (;;) {
      const attr = nextAttribute(s)
      if (asString(attr.name).startsWith("encoding") && attr.value.length > 0) return asString(attr.value)
      if (!attr.more) break
    }
  }
}

export const charsetOfXml = (sample: Uint8Array): string | undefined =>
  declaredInXml(sample) ?? charsetOfPlain(sample)

/** The charset inside a `content` attribute such as `text/html; charset=iso-8859-1`. */
const charsetInContent = (content: Uint8Array): string | undefined => {
  const s = new Cursor(content)
  for (;;) {
    const at = indexOf(content, "charset", s.pos)
    if (at === -1) return undefined
    s.pos = at + "charset".length
    s.skipSpace()
    if (s.pop() !== 0x3d) continue
    s.skipSpace()
    const quote = s.peek()
    if (quote === 0) return undefined
    if (quote === 0x22 || quote === 0x27) {
      s.advance(1)
      return asString(s.popUntil(quote)).trim()
    }
    return asString(s.popUntil(0x3b, 0x09, 0x0a, 0x0c, 0x0d, 0x20)).trim()
  }
}

/** The `<meta>` prescan: `charset=…`, or `content=…charset=…` together with `http-equiv=content-type`. */
const declaredInHtml = (sample: Uint8Array): string | undefined => {
  const s = new Cursor(sample)
  for (;;) {
    if (skipComment(s)) continue
    if (s.remaining <= "<META".length) return undefined
    if (match(sample, s.pos, "<BODY", IgnoreCase) !== -1) return undefined
    if (match(sample, s.pos, "<META", IgnoreCase) === -1) {
      s.advance(1)
      continue
    }
    s.advance("<META".length)
    const after = s.pop()
    if (after === 0 || (!isSpace(after) && after !== 0x2f)) return undefined
    const seen = new Set<string>()
    let gotPragma = false
    let needPragma: "unknown" | "yes" | "no" = "unknown"
    let charset: string | undefined
    for (let more = true; more;) {
      const attr = nextAttribute(s)
      more = attr.more
      const name = asString(attr.name).toLowerCase()
      if (seen.has(name)) continue
      if (name.length === 0 && attr.value.length === 0) {
        if (needPragma === "unknown" || (needPragma === "yes" && !gotPragma)) continue
      }
      seen.add(name)
      if (name === "http-equiv") {
        if (match(attr.value, 0, "CONTENT-TYPE", IgnoreCase) !== -1) gotPragma = true
      } else if (name === "content") {
        charset = charsetInContent(attr.value)
        if (charset !== undefined && charset.length > 0) needPragma = "yes"
      } else if (name === "charset") {
        charset = asString(attr.value)
        needPragma = "no"
      }
    }
    if (needPragma === "unknown" || (needPragma === "yes" && !gotPragma)) continue
    return charset === "" ? undefined : charset
  }
}

export const charsetOfHtml = (sample: Uint8Array): string | undefined =>
  charsetFromBom(sample) ?? declaredInHtml(sample) ?? charsetOfPlain(sample)
