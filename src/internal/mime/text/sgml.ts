/** HTML, XML (and the XML vocabularies mimetype names), SVG. */
import { hasPrefix, indexOf, isSpace, skipSpace } from "../bytes.js"
import { Cursor } from "../cursor.js"
import { nextAttribute, skipComment, asString } from "../markup.js"
import { node, type Node } from "../node.js"
import { CompactWs, IgnoreCase, search } from "../pattern.js"
import { charsetOfHtml, charsetOfXml } from "./markupCharset.js"

const utf8Bom = "\xef\xbb\xbf"

/**
 * Whether the sample, after a UTF-8 BOM and leading whitespace, opens with one of the tags
 * (compared case-insensitively) followed by whitespace or `>`.
 */
const opensWith = (tags: ReadonlyArray<string>) => (sample: Uint8Array): boolean => {
  const from = skipSpace(sample, hasPrefix(sample, utf8Bom) ? 3 : 0)
  return tags.some((tag) => {
    if (sample.length - from < tag.length + 1) return false
    for (let i = 0; i < tag.length; i++) {
      const t = tag.charCodeAt(i)
      const b = sample[from + i]!
      if ((t >= 0x41 && t <= 0x5a ? b & 0xdf : b) !== t) return false
    }
    const next = sample[from + tag.length]
    return isSpace(next) || next === 0x3e
  })
}

const isHtml = opensWith([
  "<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT", "<TABLE", "<A",
  "<STYLE", "<TITLE", "<B", "<BODY", "<BR", "<P", "<!--"
])
const isXml = opensWith(["<?XML"])

/**
 * An XML vocabulary, recognised within the first 512 bytes: the root element's local name
 * followed (later) by its namespace declaration; either may be left out.
 */
const vocabulary = (mime: string, ...sigs: ReadonlyArray<readonly [string, string]>): Node =>
  node(mime, (sample) => {
    const from = skipSpace(sample)
    if (from === sample.length) return false
    const head = sample.subarray(from, from + 512)
    return sigs.some(([name, xmlns]) => {
      if (name.length === 0) return indexOf(head, xmlns) > 0
      if (xmlns.length === 0) return indexOf(head, name) > 0
      const at = indexOf(head, name)
      return at !== -1 && at < indexOf(head, xmlns)
    })
  })

const isXhtml = (sample: Uint8Array): boolean => {
  const head = sample.subarray(0, 1024)
  return search(head, "<!DOCTYPE HTML", CompactWs | IgnoreCase) !== -1 ||
    search(head, "<HTML XMLNS=", CompactWs | IgnoreCase) !== -1
}

const xmlChildren: ReadonlyArray<Node> = [
  vocabulary("application/rss+xml", ["<rss", ""]),
  vocabulary("application/atom+xml", ["<feed", `xmlns="http://www.w3.org/2005/Atom"`]),
  vocabulary("model/x3d+xml", ["<X3D", `xmlns:xsd="http://www.w3.org/2001/XMLSchema-instance"`]),
  vocabulary(
    "application/vnd.google-earth.kml+xml",
    ["<kml", `xmlns="http://www.opengis.net/kml/2.2"`],
    ["<kml", `xmlns="http://earth.google.com/kml/2.0"`],
    ["<kml", `xmlns="http://earth.google.com/kml/2.1"`],
    ["<kml", `xmlns="http://earth.google.com/kml/2.2"`]
  ),
  vocabulary("application/x-xliff+xml", ["<xliff", `xmlns="urn:oasis:names:tc:xliff:document:1.2"`]),
  vocabulary("model/vnd.collada+xml", ["<COLLADA", `xmlns="http://www.collada.org/2005/11/COLLADASchema"`]),
  vocabulary(
    "application/gml+xml",
    ["", `xmlns:gml="http://www.opengis.net/gml"`],
    ["", `xmlns:gml="http://www.opengis.net/gml/3.2"`],
    ["", `xmlns:gml="http://www.opengis.net/gml/3.3/exr"`]
  ),
  vocabulary("application/gpx+xml", ["<gpx", `xmlns="http://www.topografix.com/GPX/1/1"`]),
  vocabulary("application/vnd.garmin.tcx+xml", ["<TrainingCenterDatabase", `xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"`]),
  vocabulary("application/x-amf", ["<amf", ""]),
  vocabulary("application/vnd.ms-package.3dmanufacturing-3dmodel+xml", ["<model", `xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"`]),
  vocabulary("application/vnd.adobe.xfdf", ["<xfdf", `xmlns="http://ns.adobe.com/xfdf/"`]),
  vocabulary("application/owl+xml", ["<Ontology", `xmlns="http://www.w3.org/2002/07/owl#"`]),
  node("application/xhtml+xml", isXhtml)
]

/** `<svg` (after comments) carrying the SVG namespace, without an XML declaration. */
const svgWithoutDeclaration = (sample: Uint8Array): boolean => {
  const s = new Cursor(sample)
  s.skipSpace()
  while (skipComment(s)) { /* every leading comment */ }
  if (!hasPrefix(s.rest(), "<svg")) return false
  for (;;) {
    const attr = nextAttribute(s)
    if (asString(attr.name) === "xmlns" && asString(attr.value) === "http://www.w3.org/2000/svg") return true
    if (!attr.more) return false
  }
}

/** An XML declaration with a version, and `<svg` somewhere in the first 4096 bytes. */
const svgWithDeclaration = (sample: Uint8Array): boolean => {
  const s = new Cursor(sample)
  s.skipSpace()
  if (!hasPrefix(s.rest(), "<?xml")) return false
  let hasVersion = false
  for (;;) {
    const attr = nextAttribute(s)
    if (asString(attr.name) === "version") {
      hasVersion = true
      break
    }
    if (!attr.more) break
  }
  return hasVersion && indexOf(s.rest().subarray(0, 4096), "<svg") !== -1
}

export const svg = node("image/svg+xml", (sample) => svgWithoutDeclaration(sample) || svgWithDeclaration(sample))
export const html: Node = { mime: "text/html", test: isHtml, charset: charsetOfHtml }
export const xml: Node = { mime: "text/xml", test: isXml, children: xmlChildren, charset: charsetOfXml }
