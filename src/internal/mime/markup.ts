import { hasPrefix, indexOf, isSpace } from "./bytes.js"
import type { Cursor } from "./cursor.js"

/** One attribute of an SGML tag: name and value (either may be empty), and whether more may follow. */
export interface Attribute {
  readonly name: Uint8Array
  readonly value: Uint8Array
  readonly more: boolean
}

const none: Attribute = { name: new Uint8Array(0), value: new Uint8Array(0), more: false }
const SLASH = 0x2f
const GT = 0x3e
const EQ = 0x3d

/**
 * Reads the next attribute of a tag whose name the cursor has passed, following the HTML
 * spec's "get an attribute" steps (the encoding prescan), which mimetype also uses for XML.
 */
export const nextAttribute = (s: Cursor): Attribute => {
  while (isSpace(s.peek()) || s.peek() === SLASH) s.advance(1)
  if (s.peek() === GT) return none
  const start = s.pos
  let end = 0
  for (;;) {
    const b = s.pop()
    if (b === 0) return none
    const name = s.bytes.subarray(start, start + end)
    if (b === EQ && end > 0) return { name, ...attributeValue(s) }
    if (isSpace(b)) {
      s.skipSpace()
      if (s.peek() !== EQ) return { name, value: none.value, more: true }
      s.advance(1)
      s.skipSpace()
      return { name, ...attributeValue(s) }
    }
    if (b === SLASH || b === GT) return { name, value: none.value, more: false }
    end++
  }
}

const attributeValue = (s: Cursor): { value: Uint8Array; more: boolean } => {
  s.skipSpace()
  const start = s.pos
  const b = s.pop()
  if (b === 0) return { value: none.value, more: false }
  if (b === 0x22 || b === 0x27) {
    const value = s.popUntil(b)
    if (s.pop() !== b) return { value: none.value, more: false }
    return { value, more: s.peek() !== 0 && s.peek() !== GT }
  }
  if (b === GT) return { value: none.value, more: false }
  for (let end = 1; ; end++) {
    const c = s.pop()
    if (c === 0) return { value: none.value, more: false }
    if (isSpace(c)) return { value: s.bytes.subarray(start, start + end), more: true }
    if (c === GT) return { value: s.bytes.subarray(start, start + end), more: false }
  }
}

const commentOpen = "<!--"
const commentClose = "-->"

/** Skips one `<!-- … -->` comment at the cursor; false (and no move) when there is none. */
export const skipComment = (s: Cursor): boolean => {
  if (!hasPrefix(s.rest(), commentOpen)) return false
  // Search from after "<!" so that "<!-->" closes the comment, as browsers do.
  const close = indexOf(s.bytes, commentClose, s.pos + 2)
  if (close === -1) return false
  s.pos = close + 3
  return true
}

/** Latin-1 text of a short slice (attribute names and values, a few dozen bytes). */
export const asString = (bytes: Uint8Array): string => String.fromCharCode(...bytes)
