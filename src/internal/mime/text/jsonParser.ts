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

/** Scanner state; methods return the bytes they consumed, 0 on failure. */
class Scanner {
  inspected = 0
  first = Token.Invalid
  satisfied = false
  private readonly path: Array<string> = []
  private readonly tracking: boolean

  constructor(private readonly b: Uint8Array, private readonly queries: ReadonlyArray<Query>) {
    this.tracking = queries.length > 0
  }

  private space(at: number): number {
    let n = 0
    while (isJsonSpace(this.b[at + n])) n++
    this.inspected += n
    return n
  }

  private constant(at: number, word: string): number {
    for (let i = 0; i < word.length; i++) {
      if (this.b[at + i] !== word.charCodeAt(i)) return 0
      this.inspected++
    }
    return word.length
  }

  /** `at` is just after the opening quote; the result includes the closing quote. */
  private string(at: number): number {
    const b = this.b
    let n = 0
    while (at + n < b.length) {
      const c = b[at + n]!
      n++
      this.inspected++
      if (c === 0x22) return n
      if (c !== 0x5c) continue
      if (at + n >= b.length) return 0
      const e = b[at + n]!
      if (simpleEscapes.has(e)) {
        n++
        this.inspected++
      } else if (e === 0x75) {
        n++
        this.inspected++
        for (let j = 0; j < 4 && at + n < b.length; j++) {
          if (!isHexDigit(b[at + n]!)) return 0
          n++
          this.inspected++
        }
      } else {
        return 0
      }
    }
    return 0
  }

  private number(at: number): number {
    const b = this.b
    let i = at
    let got = false
    const digits = () => {
      while (isDigit(b[i])) {
        got = true
        i++
        this.inspected++
      }
    }
    if (b[i] === 0x2d) i++, this.inspected++
    digits()
    if (i >= b.length) return got ? i - at : 0
    if (b[i] === 0x2e) i++, this.inspected++
    digits()
    if (i >= b.length) return got ? i - at : 0
    if (got && (b[i] === 0x65 || b[i] === 0x45)) {
      i++
      this.inspected++
      got = false
      if (i >= b.length) return 0
      if (b[i] === 0x2b || b[i] === 0x2d) i++, this.inspected++
      digits()
    }
    return got ? i - at : 0
  }

  private pathQuery(): Query | undefined {
    const path = this.path
    return this.queries.find((q) => q.path.length === path.length && q.path.every((p, i) => p === path[i]))
  }

  private array(at: number, depth: number): number {
    const b = this.b
    if (this.tracking) this.path.push("[")
    if (at >= b.length) return 0
    let n = 0
    while (at + n < b.length) {
      n += this.space(at + n)
      if (at + n >= b.length) return 0
      if (b[at + n] === 0x5d) {
        this.inspected++
        if (this.tracking) this.path.pop()
        return n + 1
      }
      const inner = this.any(at + n, depth)
      if (inner === 0) return 0
      n += inner
      if (at + n >= b.length) return 0
      const c = b[at + n]
      if (c === 0x2c) {
        n++
        this.inspected++
      } else if (c === 0x5d) {
        // mimetype leaves the path as it is here; so do we, since queries depend on it.
        this.inspected++
        return n + 1
      } else {
        return 0
      }
    }
    return 0
  }

  private object(at: number, depth: number): number {
    const b = this.b
    let n = 0
    while (at + n < b.length) {
      n += this.space(at + n)
      if (at + n >= b.length) return 0
      if (b[at + n] === 0x7d) {
        this.inspected++
        return n + 1
      }
      if (b[at + n] !== 0x22) return 0
      n++
      this.inspected++
      const keyLength = this.string(at + n)
      if (keyLength === 0) return 0
      if (this.tracking) this.path.push(String.fromCharCode(...b.subarray(at + n, at + n + keyLength - 1)))
      const matched = this.satisfied ? undefined : this.pathQuery()
      n += keyLength
      n += this.space(at + n)
      if (at + n >= b.length || b[at + n] !== 0x3a) return 0
      n++
      this.inspected++
      n += this.space(at + n)
      if (at + n >= b.length) return 0
      const valueLength = this.any(at + n, depth)
      if (valueLength === 0) return 0
      if (matched !== undefined) {
        if (matched.values.length === 0 || matched.values.includes(trimmedText(b, at + n, at + n + valueLength))) {
          this.satisfied = true
        }
      }
      n += valueLength
      if (at + n >= b.length) return 0
      const c = b[at + n]
      if (c === 0x2c) {
        if (this.tracking) this.path.pop()
        n++
        this.inspected++
      } else if (c === 0x7d) {
        if (this.tracking) this.path.pop()
        this.inspected++
        return n + 1
      } else {
        return 0
      }
    }
    return 0
  }

  any(at: number, depth: number): number {
    if (depth > MAX_DEPTH) return 0
    if (!this.tracking) this.satisfied = true
    const b = this.b
    let n = this.space(at)
    if (at + n >= b.length) return 0
    let token: Token
    let consumed: number
    switch (b[at + n]) {
      case 0x22:
        n++, this.inspected++
        consumed = this.string(at + n)
        token = Token.String
        break
      case 0x5b:
        n++, this.inspected++
        consumed = this.array(at + n, depth + 1)
        token = Token.Array
        break
      case 0x7b:
        n++, this.inspected++
        consumed = this.object(at + n, depth + 1)
        token = Token.Object
        break
      case 0x74:
        consumed = this.constant(at + n, "true")
        token = Token.True
        break
      case 0x66:
        consumed = this.constant(at + n, "false")
        token = Token.False
        break
      case 0x6e:
        consumed = this.constant(at + n, "null")
        token = Token.Null
        break
      default:
        consumed = this.number(at + n)
        token = Token.Number
    }
    if (depth === 0) this.first = token
    // Like mimetype, a failed value still reports the whitespace before it as consumed.
    if (consumed <= 0) return n
    n += consumed
    return n + this.space(at + n)
  }
}

const simpleEscapes = new Set(Array.from('"\\/bfnrt', (c) => c.charCodeAt(0)))

/** Parses `b` against `queries` (none: any JSON value satisfies the query). */
export const parseJson = (b: Uint8Array, queries: ReadonlyArray<Query> = []): ParseResult => {
  const scanner = new Scanner(b, queries)
  const parsed = scanner.any(0, 0)
  return { parsed, inspected: scanner.inspected, first: scanner.first, querySatisfied: scanner.satisfied }
}
