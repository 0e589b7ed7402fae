import { aliasGroups } from "./aliasGroups.js"

/** `type/subtype` of a MIME name: parameters dropped, lower-cased (MIME names are case-insensitive). */
export const essenceOf = (mime: string): string => {
  const semicolon = mime.indexOf(";")
  return (semicolon === -1 ? mime : mime.slice(0, semicolon)).trim().toLowerCase()
}

const groupOf: ReadonlyMap<string, ReadonlyArray<string>> = new Map(
  aliasGroups.flatMap((group) => group.map((name) => [name, group] as const))
)

/** Every name mimetype treats as the same type as `essence` (itself included). */
export const namesFor = (essence: string): ReadonlyArray<string> => groupOf.get(essence) ?? [essence]
