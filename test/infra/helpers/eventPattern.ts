/**
 * A small EventBridge event-pattern matcher, after the EventBridge User Guide ("Event patterns",
 * "Content filtering"): every field of the pattern must match; a leaf is an array of matchers of
 * which one must match; when the event's value is an array, one of its elements must match; a
 * field missing from the event matches only `{"exists": false}`. It also rejects what EventBridge
 * rejects (a leaf that is not an array, an empty array, an unknown operator), so that a malformed
 * pattern fails here rather than at deployment.
 */

export type Pattern = { readonly [key: string]: Pattern | ReadonlyArray<unknown> }

const isObject = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

const isScalar = (v: unknown): v is string | number | boolean | null =>
  v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean"

const wildcardRegExp = (pattern: string) =>
  new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "s")

/** Does one event value (a scalar; never an array here) satisfy one matcher of a leaf? */
const matchOne = (matcher: unknown, value: unknown, present: boolean): boolean => {
  if (isScalar(matcher)) return present && value === matcher
  if (!isObject(matcher)) throw new Error(`invalid matcher ${JSON.stringify(matcher)}`)
  const keys = Object.keys(matcher)
  if (keys.length !== 1) throw new Error(`a matcher has exactly one operator: ${JSON.stringify(matcher)}`)
  const [op] = keys as [string]
  const arg = matcher[op]
  switch (op) {
    case "exists":
      if (typeof arg !== "boolean") throw new Error("exists takes true or false")
      return arg ? present : !present
    case "prefix":
      if (isObject(arg) && typeof arg["equals-ignore-case"] === "string") {
        return present && typeof value === "string" && value.toLowerCase().startsWith(arg["equals-ignore-case"].toLowerCase())
      }
      if (typeof arg !== "string") throw new Error("prefix takes a string")
      return present && typeof value === "string" && value.startsWith(arg)
    case "suffix":
      if (typeof arg !== "string") throw new Error("suffix takes a string")
      return present && typeof value === "string" && value.endsWith(arg)
    case "equals-ignore-case":
      if (typeof arg !== "string") throw new Error("equals-ignore-case takes a string")
      return present && typeof value === "string" && value.toLowerCase() === arg.toLowerCase()
    case "wildcard":
      if (typeof arg !== "string") throw new Error("wildcard takes a string")
      return present && typeof value === "string" && wildcardRegExp(arg).test(value)
    case "anything-but": {
      if (!present) return false
      if (Array.isArray(arg)) {
        if (arg.length === 0) throw new Error("anything-but with an empty list is rejected by EventBridge")
        if (!arg.every(isScalar)) throw new Error("anything-but list must hold strings or numbers")
        return !arg.includes(value as never)
      }
      if (isScalar(arg)) return value !== arg
      if (isObject(arg)) return !matchOne(arg, value, present)
      throw new Error(`invalid anything-but ${JSON.stringify(arg)}`)
    }
    case "numeric": {
      if (!Array.isArray(arg) || arg.length % 2 !== 0 || arg.length === 0) throw new Error("numeric takes operator/value pairs")
      if (!present || typeof value !== "number") return false
      for (let i = 0; i < arg.length; i += 2) {
        const [cmp, bound] = [arg[i], arg[i + 1]]
        if (typeof bound !== "number") throw new Error("numeric bound must be a number")
        const ok = cmp === "<" ? value < bound : cmp === "<=" ? value <= bound : cmp === ">" ? value > bound
          : cmp === ">=" ? value >= bound : cmp === "=" ? value === bound : undefined
        if (ok === undefined) throw new Error(`unknown numeric operator ${String(cmp)}`)
        if (!ok) return false
      }
      return true
    }
    default:
      throw new Error(`unknown pattern operator ${op}`)
  }
}

const matchLeaf = (leaf: ReadonlyArray<unknown>, value: unknown, present: boolean): boolean => {
  if (leaf.length === 0) throw new Error("an empty array in a pattern is rejected by EventBridge")
  if (Array.isArray(value)) {
    // An array in the event matches if any of its elements matches; an empty one is "present"
    // for exists:true only.
    if (value.length === 0) return leaf.some((m) => isObject(m) && "exists" in m ? m["exists"] === true : false)
    return value.some((element) => leaf.some((m) => matchOne(m, element, true)))
  }
  if (isObject(value)) return leaf.some((m) => isObject(m) && "exists" in m && m["exists"] === true)
  return leaf.some((m) => matchOne(m, value, present))
}

/** True when the event matches the pattern; throws on a pattern EventBridge would refuse. */
export const matches = (pattern: unknown, event: unknown): boolean => {
  if (!isObject(pattern)) throw new Error("a pattern is a JSON object")
  if (Object.keys(pattern).length === 0) throw new Error("an empty pattern object is rejected by EventBridge")
  return Object.entries(pattern).every(([key, sub]) => {
    const present = isObject(event) && key in event
    const value = present ? (event as Record<string, unknown>)[key] : undefined
    if (Array.isArray(sub)) return matchLeaf(sub, value, present)
    if (isObject(sub)) {
      if (!present) return false
      if (Array.isArray(value)) return value.some((element) => isObject(element) && matches(sub, element))
      return isObject(value) && matches(sub, value)
    }
    throw new Error(`pattern field ${key} must be an array or an object, not ${JSON.stringify(sub)}`)
  })
}

/** Every leaf of a pattern, for structural checks: `[path, matchers]`. */
export const leaves = (pattern: unknown, path: ReadonlyArray<string> = []): ReadonlyArray<readonly [string, ReadonlyArray<unknown>]> => {
  if (!isObject(pattern)) return []
  return Object.entries(pattern).flatMap(([key, sub]) =>
    Array.isArray(sub) ? [[[...path, key].join("."), sub] as const] : leaves(sub, [...path, key])
  )
}
