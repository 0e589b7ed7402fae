/** JSON and the JSON formats mimetype names: GeoJSON, HAR, glTF; and NDJSON. */
import { isSpace } from "../bytes.js"
import { Cursor } from "../cursor.js"
import { node, type Node } from "../node.js"
import { SAMPLE_BYTES } from "../sample.js"
import { parseJson, Token, type Query } from "./jsonParser.js"

/**
 * Whether the sample is JSON whose top value is an object (or an array, when allowed) and
 * satisfies the queries. A sample shorter than the read limit is the whole file and must parse
 * completely; a full sample may be cut anywhere, so it only has to fail at its very end.
 */
const jsonWith = (queries: ReadonlyArray<Query>, arrays: boolean) => (sample: Uint8Array): boolean => {
  let first = 0
  while (first < sample.length && isSpace(sample[first])) first++
  const opener = sample[first]
  if (!(opener === 0x7b || (arrays && opener === 0x5b))) return false
  const result = parseJson(sample, queries)
  if (!result.querySatisfied) return false
  if (sample.length < SAMPLE_BYTES) return result.parsed === sample.length
  return result.inspected === sample.length && sample.length > 0
}

const geoTypes = [
  "Feature", "FeatureCollection", "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
  "MultiPolygon", "GeometryCollection"
].map((t) => `"${t}"`)

export const json: Node = node("application/json", jsonWith([], true), [
  node("application/geo+json", jsonWith([{ path: ["type"], values: geoTypes }], false)),
  // mimetype names HAR files application/json too: the node only keeps them from being GeoJSON/glTF.
  node("application/json", jsonWith([
    { path: ["log", "version"], values: [] },
    { path: ["log", "creator"], values: [] },
    { path: ["log", "entries"], values: [] }
  ], false)),
  node("model/gltf+json", jsonWith([{ path: ["asset", "version"], values: [`"1.0"`, `"2.0"`] }], false))
])

/**
 * Newline-delimited JSON: every line a JSON value, more than one line, one an object or array.
 * Only the last line may be cut short. (mimetype fixed this after v1.4.13 — before, a single
 * object spread over lines whose second line is a string passed as NDJSON; we take the fix.)
 */
export const ndjson: Node = node("application/x-ndjson", (sample) => {
  const s = new Cursor(sample)
  let lines = 0
  let structured = 0
  while (s.remaining > 0) {
    const line = s.line()
    const result = parseJson(line)
    const complete = s.remaining === 0 ? result.inspected === line.length : result.parsed === line.length
    if (!complete) return false
    if (result.first === Token.Array || result.first === Token.Object) structured++
    lines++
  }
  return lines > 1 && structured > 0
})
