/**
 * A streaming parser for highvolt `submit` bodies: one JSON object whose `file_data` string may
 * be a GiB of base64. `file_data` is handed to a `Base64Digest` piece by piece as it arrives;
 * every other member is captured (bounded) and parsed with `JSON.parse`. Memory stays flat.
 */
import { Base64Digest, type Base64DigestResult } from "./base64Digest.js"

/** What the body held, `file_data` replaced by its digest. */
export interface ParsedSubmission {
  readonly fields: Readonly<Record<string, unknown>>
  readonly fileData: Base64DigestResult | undefined
}

const enum S {
  Start,
  KeyOrEnd,
  Key,
  KeyRequired,
  Colon,
  Value,
  StringValue,
  Nested,
  Scalar,
  AfterValue,
  FileData,
  FileEscape,
  FileUnicode,
  Done
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const isWs = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
const simpleEscapes: Record<number, string> = {
  0x22: "\"",
  0x5c: "\\",
  0x2f: "/",
  0x62: "\b",
  0x66: "\f",
  0x6e: "\n",
  0x72: "\r",
  0x74: "\t"
}

export class SubmissionParser {
  private state = S.Start
  private problem: string | undefined
  private readonly fields: Record<string, unknown> = {}
  private key = ""
  private fileData: Base64Digest | undefined
  private fileResult: Base64DigestResult | undefined
  private unicode = ""
  // Capture of the current key or non-file value: slices of earlier chunks, and where it starts in this one.
  private parts: Array<Buffer> = []
  private partsLength = 0
  private from = -1
  private depth = 0
  private inString = false
  private escaped = false

  /** @param maxFieldBytes the largest member other than `file_data` kept (the rest is an error). */
  constructor(private readonly maxFieldBytes = 1024 * 1024) {}

  get error(): string | undefined {
    return this.problem
  }

  write(chunk: Buffer): void {
    let i = 0
    const n = chunk.length
    while (i < n && this.problem === undefined) {
      if (this.state === S.FileData) {
        i = this.scanFileData(chunk, i)
        continue
      }
      const b = chunk[i]!
      switch (this.state) {
        case S.Start:
          if (b === 0x7b) this.state = S.KeyOrEnd
          else if (!isWs(b)) this.fail("body is not a JSON object")
          break
        case S.KeyOrEnd:
        case S.KeyRequired:
          if (b === QUOTE) this.begin(S.Key, i)
          else if (b === 0x7d && this.state === S.KeyOrEnd) this.state = S.Done
          else if (!isWs(b)) this.fail("malformed JSON: expected a member name")
          break
        case S.Key:
        case S.StringValue:
          if (this.escaped) this.escaped = false
          else if (b === BACKSLASH) this.escaped = true
          else if (b === QUOTE) this.finish(chunk, i + 1)
          break
        case S.Colon:
          if (b === 0x3a) this.state = S.Value
          else if (!isWs(b)) this.fail("malformed JSON: expected ':'")
          break
        case S.Value:
          if (isWs(b)) break
          if (b === QUOTE && this.key === "file_data") {
            if (this.fileData !== undefined) return this.fail("file_data given twice")
            this.fileData = new Base64Digest()
            this.state = S.FileData
          } else if (b === QUOTE) this.begin(S.StringValue, i)
          else if (b === 0x7b || b === 0x5b) {
            this.depth = 1
            this.inString = false
            this.begin(S.Nested, i)
          } else this.begin(S.Scalar, i)
          break
        case S.Nested:
          if (this.inString) {
            if (this.escaped) this.escaped = false
            else if (b === BACKSLASH) this.escaped = true
            else if (b === QUOTE) this.inString = false
          } else if (b === QUOTE) this.inString = true
          else if (b === 0x7b || b === 0x5b) this.depth += 1
          else if (b === 0x7d || b === 0x5d) {
            this.depth -= 1
            if (this.depth === 0) this.finish(chunk, i + 1)
          }
          break
        case S.Scalar:
          if (b === 0x2c || b === 0x7d || isWs(b)) {
            this.finish(chunk, i)
            continue // the delimiter belongs to AfterValue
          }
          break
        case S.AfterValue:
          if (b === 0x2c) this.state = S.KeyRequired
          else if (b === 0x7d) this.state = S.Done
          else if (!isWs(b)) this.fail("malformed JSON: expected ',' or '}'")
          break
        case S.FileEscape:
          this.fileEscape(b)
          break
        case S.FileUnicode:
          this.unicode += String.fromCharCode(b)
          if (this.unicode.length === 4) {
            if (!/^[0-9a-fA-F]{4}$/.test(this.unicode)) return this.fail("malformed JSON: bad \\u escape")
            this.fileData!.write(String.fromCharCode(Number.parseInt(this.unicode, 16)))
            this.state = S.FileData
          }
          break
        case S.Done:
          if (!isWs(b)) this.fail("malformed JSON: data after the object")
          break
      }
      i += 1
    }
    // Keep the unfinished capture's tail: the next chunk continues it.
    if (this.from !== -1) {
      this.keep(chunk.subarray(this.from))
      this.from = 0
    }
  }

  /** The parsed body, or the reason it is not a complete JSON object. */
  end(): ParsedSubmission | { readonly error: string } {
    if (this.problem === undefined && this.state !== S.Done) this.fail("truncated JSON body")
    if (this.problem !== undefined) return { error: this.problem }
    return { fields: this.fields, fileData: this.fileResult }
  }

  private fail(problem: string) {
    this.problem ??= problem
  }

  private begin(state: S, at: number) {
    this.state = state
    this.from = at
    this.escaped = false
    this.parts = []
    this.partsLength = 0
  }

  private keep(slice: Buffer) {
    this.partsLength += slice.length
    if (this.partsLength > this.maxFieldBytes) return this.fail(`member "${this.key}" is larger than ${this.maxFieldBytes} bytes`)
    // Copy: the chunk's memory belongs to the stream.
    this.parts.push(Buffer.from(slice))
  }

  /** Completes the capture ending before `end` in `chunk` and stores it as a key or a value. */
  private finish(chunk: Buffer, end: number) {
    this.keep(chunk.subarray(this.from === -1 ? 0 : this.from, end))
    this.from = -1
    if (this.problem !== undefined) return
    let value: unknown
    try {
      value = JSON.parse(Buffer.concat(this.parts).toString("utf8"))
    } catch {
      return this.fail(this.state === S.Key ? "malformed JSON member name" : `malformed JSON value for "${this.key}"`)
    }
    this.parts = []
    if (this.state === S.Key) {
      this.key = value as string
      this.state = S.Colon
    } else {
      if (this.key === "file_data") return this.fail("file_data must be a string")
      // Like JSON.parse, "__proto__" is an ordinary member, not the object's prototype.
      Object.defineProperty(this.fields, this.key, { value, enumerable: true, writable: true, configurable: true })
      this.state = S.AfterValue
    }
  }

  /** Hands base64 text up to the next quote or backslash to the digest; returns where it stopped. */
  private scanFileData(chunk: Buffer, from: number): number {
    const quote = chunk.indexOf(QUOTE, from)
    const stop = quote === -1 ? chunk.length : quote
    const slash = chunk.subarray(from, stop).indexOf(BACKSLASH)
    const end = slash === -1 ? stop : from + slash
    if (end > from) this.fileData!.write(chunk.toString("latin1", from, end))
    if (end === chunk.length) return end
    if (chunk[end] === QUOTE) {
      this.fileResult = this.fileData!.end()
      this.state = S.AfterValue
    } else this.state = S.FileEscape
    return end + 1
  }

  private fileEscape(b: number) {
    if (b === 0x75) {
      this.unicode = ""
      this.state = S.FileUnicode
      return
    }
    const char = simpleEscapes[b]
    if (char === undefined) return this.fail("malformed JSON: bad escape in file_data")
    this.fileData!.write(char)
    this.state = S.FileData
  }
}
