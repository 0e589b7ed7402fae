/**
 * A JSON scanner that tolerates truncation, as mimetype's does: it reports how many bytes
 * parsed as complete JSON, how many it inspected before failing (a header cut mid-document
 * fails only at its last byte), the kind of the first value, and whether a query
 * (a key path, optionally with accepted values) was satisfied.
 */

export const enum Token {
  Invalid = 0,
  Null = 1,
  True = 2,
  False = 3,
  Number = 4,
  String = 5,
  Array = 6,
  Object = 7
}

export interface Query {
  readonly path: ReadonlyArray<string>
  /** Accepted raw values (e.g. `"Feature"` with its quotes); any value when empty. */
  readonly values: ReadonlyArray<string>
}

export interface ParseResult {
  readonly parsed: number
  readonly inspected: number
  readonly first: Token
  readonly querySatisfied: boolean
}

const MAX_DEPTH = 4096

const isJsonSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a
const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39
const isHexDigit = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)

const trimmedText = (b: Uint8Array, from: number, to: number): string => {
  while (from < to && isJsonSpace(b[from])) from++
  while (to > from && isJsonSpace(b[to - 1])) to--
  return String.fromCharCode(...b.subarray(from, to))
}

/** Parses `b` against `queries` (none: any JSON value satisfies). Functions return bytes consumed, 0 on failure. */
export const parseJson = (b: Uint8Array, queries: ReadonlyArray<Query> = []): ParseResult => {
  let inspected = 0
  let first = Token.Invalid
  let satisfied = false
  const path: Array<string> = []
  const tracking = queries.length > 0

  const space = (at: number): number => {
    let n = 0
    while (isJsonSpace(b[at + n])) n++
    inspected += n
    return n
  }

  const constant = (at: number, word: string): number => {
    for (let i = 0; i < word.length; i++) {
      if (b[at + i] !== word.charCodeAt(i)) return 0
      inspected++
    }
    return word.length
  }

  // `at` is just after the opening quote; the result includes the closing quote.
  const string = (at: number): number => {
    let n = 0
    while (at + n < b.length) {
      const c = b[at + n]!
      n++
      inspected++
      if (c === 0x5c) {
        if (at + n >= b.length) return 0
        const e = b[at + n]!
        if ('"\\/bfnrt'.includes(String.fromCharCode(e))) {
          n++
          inspected++
        } else if (e === 0x75) {
          n++
          inspected++
          for (let j = 0; j < 4 && at + n < b.length; j++) {
            if (!isHexDigit(b[at + n]!)) return 0
            n++
            inspected++
          }
        } else {
          return 0
        }
      } else if (c === 0x22) {
        return n
      }
    }
    return 0
  }

  const number = (at: number): number => {
    let i = at
    let got = false
    const digits = () => {
      while (isDigit(b[i])) {
        got = true
        i++
        inspected++
      }
    }
    if (b[i] === 0x2d) i++, inspected++
    digits()
    if (i >= b.length) return got ? i - at : 0
    if (b[i] === 0x2e) i++, inspected++
    digits()
    if (i >= b.length) return got ? i - at : 0
    if (got && (b[i] === 0x65 || b[i] === 0x45)) {
      i++
      inspected++
      got = false
      if (i >= b.length) return 0
      if (b[i] === 0x2b || b[i] === 0x2d) i++, inspected++
      digits()
    }
    return got ? i - at : 0
  }

  const pathMatches = (): Query | undefined =>
    queries.find((q) => q.path.length === path.length && q.path.every((p, i) => p === path[i]))

  const array = (at: number, depth: number): number => {
    if (tracking) path.push("[")
    if (at >= b.length) return 0
    let n = 0
    while (at + n < b.length) {
      n += space(at + n)
      if (at + n >= b.length) return 0
      if (b[at + n] === 0x5d) {
        inspected++
        if (tracking) path.pop()
        return n + 1
      }
      const inner = any(at + n, depth)
      if (inner === 0) return 0
      n += inner
      if (at + n >= b.length) return 0
      const c = b[at + n]
      if (c === 0x2c) {
        n++
        inspected++
      } else if (c === 0x5d) {
        inspected++
        return n + 1
      } else {
        return 0
      }
    }
    return 0
  }

  const object = (at: number, depth: number): number => {
    let n = 0
    while (at + n < b.length) {
      n += space(at + n)
      if (at + n >= b.length) return 0
      if (b[at + n] === 0x7d) {
        inspected++
        return n + 1
      }
      if (b[at + n] !== 0x22) return 0
      n++
      inspected++
      let matched: Query | undefined
      const keyLength = string(at + n)
      if (keyLength === 0) return 0
      if (tracking) path.push(String.fromCharCode(...b.subarray(at + n, at + n + keyLength - 1)))
      if (!satisfied) matched = pathMatches()
      n += keyLength
      n += space(at + n)
      if (at + n >= b.length) return 0
      if (b[at + n] !== 0x3a) return 0
      n++
      inspected++
      n += space(at + n)
      if (at + n >= b.length) return 0
      const valueLength = any(at + n, depth)
      if (valueLength === 0) return 0
      if (matched !== undefined) {
        if (matched.values.length === 0) satisfied = true
        else if (matched.values.includes(trimmedText(b, at + n, at + n + valueLength))) satisfied = true
      }
      n += valueLength
      if (at + n >= b.length) return 0
      const c = b[at + n]
      if (c === 0x2c) {
        if (tracking) path.pop()
        n++
        inspected++
      } else if (c === 0x7d) {
        if (tracking) path.pop()
        inspected++
        return n + 1
      } else {
        return 0
      }
    }
    return 0
  }

  const any = (at: number, depth: number): number => {
    if (depth > MAX_DEPTH) return 0
    if (!tracking) satisfied = true
    let n = space(at)
    if (at + n >= b.length) return 0
    let token: Token
    let consumed: number
    switch (b[at + n]) {
      case 0x22:
        n++, inspected++
        consumed = string(at + n)
        token = Token.String
        break
      case 0x5b:
        n++, inspected++
        consumed = array(at + n, depth + 1)
        token = Token.Array
        break
      case 0x7b:
        n++, inspected++
        consumed = object(at + n, depth + 1)
        token = Token.Object
        break
      case 0x74:
        consumed = constant(at + n, "true")
        token = Token.True
        break
      case 0x66:
        consumed = constant(at + n, "false")
        token = Token.False
        break
      case 0x6e:
        consumed = constant(at + n, "null")
        token = Token.Null
        break
      default:
        consumed = number(at + n)
        token = Token.Number
    }
    if (depth === 0) first = token
    if (consumed <= 0) return n
    n += consumed
    n += space(at + n)
    return n
  }

  const parsed = any(0, 0)
  return { parsed, inspected, first, querySatisfied: satisfied }
}
