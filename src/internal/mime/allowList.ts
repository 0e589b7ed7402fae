import { essenceOf, namesFor } from "./essence.js"

/** RFC 2045 token characters: what a MIME type or subtype may be spelled with. */
const token = "[A-Za-z0-9!#$%&'*+.^_`|~-]+"
const entryPattern = new RegExp(`^(${token})/(${token})$`)

/** One parsed allow-list entry. */
export type Entry =
  | { readonly _tag: "Any" }
  | { readonly _tag: "AnySubtype"; readonly type: string }
  | { readonly _tag: "Exact"; readonly essence: string }

/**
 * Parses `type/subtype`, `type/*` or `*\/*`. Parameters are ignored, as they are when matching,
 * so an entry copied from a detection (`text/plain; charset=utf-8`) still works.
 */
export const parseEntry = (raw: string): Entry | undefined => {
  const match = entryPattern.exec(essenceOf(raw))
  if (match === null) return undefined
  const [, type = "", subtype = ""] = match
  if (type === "*") return subtype === "*" ? { _tag: "Any" } : undefined
  if (type.includes("*")) return undefined
  if (subtype === "*") return { _tag: "AnySubtype", type }
  if (subtype.includes("*")) return undefined
  return { _tag: "Exact", essence: `${type}/${subtype}` }
}

/**
 * Builds the matcher for parsed entries. Exact entries are expanded to their whole alias group
 * up front, so a detection matches when any of its own aliases is listed or has a listed
 * wildcard type (`image/*` admits `application/photoshop`, an alias of `image/vnd.adobe.photoshop`).
 */
export const makeMatcher = (entries: ReadonlyArray<Entry>): ((mime: string) => boolean) => {
  if (entries.some((e) => e._tag === "Any")) return () => true
  const exact = new Set<string>()
  const types = new Set<string>()
  for (const entry of entries) {
    if (entry._tag === "Exact") for (const name of namesFor(entry.essence)) exact.add(name)
    else if (entry._tag === "AnySubtype") types.add(entry.type)
  }
  return (mime) =>
    namesFor(essenceOf(mime)).some((name) => exact.has(name) || types.has(name.slice(0, name.indexOf("/"))))
}
