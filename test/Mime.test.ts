import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, ParseResult, Schema } from "effect"
import fc from "fast-check"
import * as Mime from "../src/Mime.js"

const decode = Schema.decodeUnknownEither(Mime.AllowListFromEntries)

const allowList = (entries: ReadonlyArray<string>): Mime.AllowList => Either.getOrThrow(decode(entries))

/** The decode error's message, or a failure when the entries were accepted. */
const rejection = (entries: ReadonlyArray<string>): string => {
  const result = decode(entries)
  if (Either.isRight(result)) throw new Error(`accepted ${JSON.stringify(entries)}`)
  return ParseResult.TreeFormatter.formatErrorSync(result.left)
}

describe("AllowListFromEntries", () => {
  it("matches the essence only: parameters on the detection are ignored", () => {
    const list = allowList(["text/plain", "text/html"])
    expect(list.allows("text/plain; charset=utf-8")).toBe(true)
    expect(list.allows("text/html;charset=iso-8859-1")).toBe(true)
    expect(list.allows("text/csv")).toBe(false)
  })

  it("ignores parameters on entries too, so a detection can be pasted in", () => {
    expect(allowList(["text/plain; charset=utf-16le"]).allows("text/plain; charset=utf-8")).toBe(true)
  })

  it("is case-insensitive on both sides", () => {
    const list = allowList(["Application/PDF"])
    expect(list.allows("application/pdf")).toBe(true)
    expect(list.allows("APPLICATION/Pdf")).toBe(true)
    expect(allowList(["image/jpeg"]).allows("IMAGE/JPEG")).toBe(true)
  })

  it("treats the names of one mimetype alias group as the same type", () => {
    expect(allowList(["application/x-pdf"]).allows("application/pdf")).toBe(true)
    expect(allowList(["application/vnd.rar"]).allows("application/x-rar-compressed")).toBe(true)
    expect(allowList(["application/x-rar-compressed"]).allows("application/vnd.rar")).toBe(true)
    expect(allowList(["application/xml"]).allows("text/xml; charset=utf-8")).toBe(true)
    expect(allowList(["audio/mp3"]).allows("audio/mpeg")).toBe(true)
    expect(allowList(["application/x-sqlite3"]).allows("application/vnd.sqlite3")).toBe(true)
    // Aliases do not make parent and child types equal.
    expect(allowList(["application/zip"]).allows("application/vnd.openxmlformats-officedocument.wordprocessingml.document")).toBe(false)
    expect(allowList(["application/x-ole-storage"]).allows("application/msword")).toBe(false)
  })

  it("accepts type/* and */* wildcards", () => {
    const images = allowList(["image/*"])
    expect(images.allows("image/png")).toBe(true)
    expect(images.allows("image/heic")).toBe(true)
    expect(images.allows("application/pdf")).toBe(false)
    expect(images.allows("imagex/png")).toBe(false)
    // A wildcard admits a detection when any of its aliases has that type.
    expect(allowList(["application/*"]).allows("text/xml; charset=utf-8")).toBe(true)
    expect(allowList(["text/*"]).allows("application/x-subrip")).toBe(true)
    const everything = allowList(["*/*"])
    expect(everything.allows("application/octet-stream")).toBe(true)
    expect(everything.allows("x-made/up")).toBe(true)
  })

  it("keeps the entries as given, and encodes back to them", () => {
    const entries = ["image/*", "Application/PDF"]
    const list = allowList(entries)
    expect(list.entries).toEqual(entries)
    expect(Schema.encodeSync(Mime.AllowListFromEntries)(list)).toEqual(entries)
  })

  it("rejects an empty list", () => {
    expect(rejection([])).toContain("the MIME allow-list is empty")
  })

  it.each([
    "pdf", "", " ", "text/", "/plain", "*/plain", "te*t/plain", "text/pl*", "text/plain/x", "text /plain",
    "text/pl ain", "text\\plain", "*"
  ])("rejects %j and names it", (bad) => {
    expect(rejection(["image/png", bad])).toContain(`entry ${JSON.stringify(bad)}`)
  })

  it("rejects what is not an array of strings", () => {
    expect(Either.isLeft(decode("image/png"))).toBe(true)
    expect(Either.isLeft(decode(["image/png", 3]))).toBe(true)
  })
})

describe("detect", () => {
  const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))

  it.effect("names text with its charset, the way mimetype does", () =>
    Effect.gen(function*() {
      expect(yield* Mime.detect(bytes("hello world\n"))).toBe("text/plain; charset=utf-8")
      expect(yield* Mime.detect(bytes("caf\xe9 cr\xe8me\n"))).toBe("text/plain; charset=iso-8859-1")
      // file(1)'s table, which mimetype copies, admits only NEL (0x85) from the C1 range…
      expect(yield* Mime.detect(bytes("caf\xe9\x85\n"))).toBe("text/plain; charset=windows-1252")
      // …so other C1 bytes leave the text without a charset.
      expect(yield* Mime.detect(bytes("\x93quoted\x94\n"))).toBe("text/plain")
      expect(yield* Mime.detect(new TextEncoder().encode("naïve café\n"))).toBe("text/plain; charset=utf-8")
    }))

  it.effect("takes a UTF-16LE byte-order mark for text, not for an MPEG frame as file-type does", () =>
    Effect.gen(function*() {
      expect(yield* Mime.detect(bytes("\xff\xfeh\x00i\x00\n\x00"))).toBe("text/plain; charset=utf-16le")
      expect(yield* Mime.detect(bytes("\xfe\xff\x00h\x00i"))).toBe("text/plain; charset=utf-16be")
    }))

  it.effect("uses the charset HTML and XML declare", () =>
    Effect.gen(function*() {
      expect(yield* Mime.detect(bytes(`<html><head><meta charset="ISO-8859-2"></head><body>x</body></html>`)))
        .toBe("text/html; charset=ISO-8859-2")
      expect(yield* Mime.detect(bytes(`<?xml version="1.0" encoding="windows-1250"?><a/>`)))
        .toBe("text/xml; charset=windows-1250")
    }))

  it.effect("recognises CSV, TSV, JSON and e-mail", () =>
    Effect.gen(function*() {
      expect(yield* Mime.detect(bytes("name,email\nAnn,ann@example.com\nBob,bob@example.com\n"))).toBe("text/csv")
      expect(yield* Mime.detect(bytes("name\temail\nAnn\tann@example.com\n"))).toBe("text/tab-separated-values")
      expect(yield* Mime.detect(bytes(`{"name": "Ann", "tags": [1, 2]}`))).toBe("application/json")
      expect(yield* Mime.detect(bytes("From: ann@example.com\nTo: bob@example.com\nSubject: hi\n\nbody\n"))).toBe("message/rfc822")
    }))

  it.effect("answers application/octet-stream for unknown binary and text/plain for nothing", () =>
    Effect.gen(function*() {
      expect(yield* Mime.detect(bytes("\x00\x01\x02\x03binary\x00\x00"))).toBe("application/octet-stream")
      expect(yield* Mime.detect(new Uint8Array(0))).toBe("text/plain")
    }))

  it.effect("never fails, whatever the bytes", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (head) => {
          const mime = await Effect.runPromise(Mime.detect(head))
          expect(mime).toMatch(/^[a-z0-9.+-]+\/[a-zA-Z0-9.+-]+(; charset=[A-Za-z0-9._-]+)?$/)
        }),
        { numRuns: 300 }
      )
    ))
})
