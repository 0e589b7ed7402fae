/** The plain-text charset, as mimetype reports it, including its truncation and UTF-8 rules. */
import { describe, expect, it } from "@effect/vitest"
import { charsetOfPlain } from "../../src/internal/mime/charset.js"

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))

describe("charsetOfPlain", () => {
  it.each([
    ["", undefined],
    ["plain ascii\r\n\t", "utf-8"],
    ["\xef\xbb\xbfbom", "utf-8"],
    ["\xff\xfe\x00\x00x", "utf-32le"],
    ["\x00\x00\xfe\xffx", "utf-32be"],
    ["\xff\xfex", "utf-16le"],
    ["\xfe\xffx", "utf-16be"],
    ["na\xc3\xafve", "utf-8"],
    ["\xe2\x82\xac euro", "utf-8"],
    ["\xf0\x9f\x98\x80", "utf-8"],
    // A sequence cut off by the end of the sample does not spoil UTF-8…
    ["caf\xc3\xa9 \xe2\x82", "utf-8"],
    // …but only high bytes before it count: the cut sequence alone is read as Latin (and fails).
    ["cafe \xe2\x82", undefined],
    // Overlong, surrogate, beyond U+10FFFF: not UTF-8, so Latin.
    ["\xc0\xafx", "iso-8859-1"],
    ["\xed\xa0\x80x", undefined],
    ["\xf4\x90\x80\x80x", undefined],
    ["caf\xe9", "iso-8859-1"],
    ["caf\xe9\x85", "windows-1252"],
    ["caf\xe9\x93", undefined],
    ["bell\x07 and del\x7f", undefined]
  ])("%j → %s", (input, charset) => {
    expect(charsetOfPlain(bytes(input))).toBe(charset)
  })
})
