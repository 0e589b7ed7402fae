/**
 * Formats packaged as ZIP, told apart the way mimetype does: by the `mimetype` file OpenDocument
 * and EPUB store first, and by the names of the leading local file entries.
 */
import { at, indexOf, u16le } from "../bytes.js"
import { node, type Node } from "../node.js"

const localHeader = "PK\x03\x04"

/** Names of the local file entries, in order, as far as the sample reaches (at most `max`). */
const entryNames = (sample: Uint8Array, max: number): ReadonlyArray<string> => {
  const names: Array<string> = []
  // mimetype scans for the next signature rather than trusting sizes (data descriptors make them 0).
  for (let pos = 0; names.length < max;) {
    const found = indexOf(sample, localHeader, pos)
    if (found === -1 || found + 30 > sample.length) break
    const length = u16le(sample, found + 26)
    if (length === 0 || found + 30 + length > sample.length) break
    names.push(String.fromCharCode(...sample.subarray(found + 30, found + 30 + length)))
    pos = found + 30
  }
  return names
}

/** Office Open XML: the first entry is package plumbing, and some entry is under `folder`. */
const officeOpenXml = (folder: string) => (sample: Uint8Array): boolean => {
  const names = entryNames(sample, 100)
  const first = names[0]
  if (first === undefined) return false
  const plumbing = first === "[Content_Types].xml" ||
    ["_rels/", "docProps/", "customXml/", "[trash]/"].some((p) => first.startsWith(p))
  return names.some((n) => n.startsWith(folder)) && (plumbing || first.startsWith(folder))
}

const hasEntry = (max: number, ...wanted: ReadonlyArray<string>) => (sample: Uint8Array): boolean =>
  entryNames(sample, max).some((n) => wanted.includes(n))

/** An executable JAR marks its first entry with the 0xCAFE extra field. */
const executableJar = (sample: Uint8Array): boolean => {
  if (sample.length < 0x1c) return false
  const extra = 0x1a + 2 + u16le(sample, 0x1a) + 2
  return sample.length >= extra + 2 && u16le(sample, extra) === 0xcafe
}

const mimetypeFile = (mime: string) => node(mime, at(30, `mimetype${mime}`))

const openDocument = (kind: string) =>
  ({ ...mimetypeFile(`application/vnd.oasis.opendocument.${kind}`), children: [mimetypeFile(`application/vnd.oasis.opendocument.${kind}-template`)] })

export const zipChildren: ReadonlyArray<Node> = [
  node("application/vnd.openxmlformats-officedocument.wordprocessingml.document", officeOpenXml("word/")),
  node("application/vnd.openxmlformats-officedocument.presentationml.presentation", officeOpenXml("ppt/")),
  node("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", officeOpenXml("xl/")),
  mimetypeFile("application/epub+zip"),
  // APK before JAR: an APK is also a JAR, and JAR's own marks may lie beyond the sample.
  node("application/vnd.android.package-archive", hasEntry(
    100, "AndroidManifest.xml", "META-INF/com/android/build/gradle/app-metadata.properties", "classes.dex",
    "resources.arsc", "res/drawable"
  )),
  node("application/java-archive", (sample) => executableJar(sample) || hasEntry(1, "META-INF/", "META-INF/MANIFEST.MF")(sample)),
  openDocument("text"),
  openDocument("spreadsheet"),
  openDocument("presentation"),
  openDocument("graphics"),
  mimetypeFile("application/vnd.oasis.opendocument.formula"),
  mimetypeFile("application/vnd.oasis.opendocument.chart"),
  mimetypeFile("application/vnd.sun.xml.calc"),
  node("application/vnd.google-earth.kmz", hasEntry(100, "doc.kml")),
  node("application/vnd.ms-visio.drawing.main+xml", officeOpenXml("visio/"))
]

export const isZip = (sample: Uint8Array): boolean =>
  sample.length > 3 && sample[0] === 0x50 && sample[1] === 0x4b &&
  [3, 5, 7].includes(sample[2]!) && [4, 6, 8].includes(sample[3]!)

export const zip: Node = node("application/zip", isZip, zipChildren)
