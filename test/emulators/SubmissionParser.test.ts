import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { createHash } from "node:crypto"
import { Base64Digest } from "../../emulators/internal/base64Digest.js"
import { SubmissionParser } from "../../emulators/internal/submissionParser.js"

/** Splits `data` at the given (sorted, deduplicated) cut points. */
const split = (data: Buffer, cuts: ReadonlyArray<number>) => {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b)
  const parts: Array<Buffer> = []
  let from = 0
  for (const p of points) {
    parts.push(data.subarray(from, p))
    from = p
  }
  parts.push(data.subarray(from))
  return parts
}

const digests = (bytes: Uint8Array) => ({
  bytes: bytes.length,
  sha256: createHash("sha256").update(bytes).digest("hex"),
  sha1: createHash("sha1").update(bytes).digest("hex"),
  md5: createHash("md5").update(bytes).digest("hex")
})

const strictBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

describe("streaming submission parser", () => {
  it("gives JSON.parse's members and the file's digests for any body and any chunking", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        (members, file, cuts, pretty, escapeSlashes) => {
          const { file_data: _, ...rest } = members
          const expected = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>
          let text = JSON.stringify({ ...rest, file_data: Buffer.from(file).toString("base64") }, null, pretty ? 2 : undefined)
          if (escapeSlashes) text = text.replace(/\//g, "\\/")
          const parser = new SubmissionParser()
          for (const part of split(Buffer.from(text), cuts)) parser.write(part)
          const result = parser.end()
          expect(result).not.toHaveProperty("error")
          if ("error" in result) return
          expect(result.fields).toEqual(expected)
          expect(result.fileData).toEqual({ base64Length: Math.ceil(file.length / 3) * 4, ...digests(file) })
        }
      ),
      { numRuns: 300 }
    )
  })

  it("rejects truncated and malformed bodies at any chunking", () => {
    const good = JSON.stringify({ timestamp: "t", file_data: "QUJD", n: [1, { a: "}" }] })
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.array(fc.nat(), { maxLength: 4 }), (cut, cuts) => {
        const parser = new SubmissionParser()
        for (const part of split(Buffer.from(good.slice(0, cut)), cuts)) parser.write(part)
        expect(parser.end()).toHaveProperty("error")
      })
    )
    for (const bad of ["[1]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":tru}", "{\"file_data\":12}", "{\"a\":1} x", "{\"file_data\":\"QU\\q\"}"]) {
      const parser = new SubmissionParser()
      parser.write(Buffer.from(bad))
      expect(parser.end(), bad).toHaveProperty("error")
    }
  })

  it("accepts exactly Go's standard padded base64, whatever the chunking", () => {
    const alphabet = fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n!é")
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("base64")),
          fc.array(alphabet, { maxLength: 24 }).map((cs) => cs.join(""))
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        (text, cuts) => {
          const digest = new Base64Digest()
          for (const part of split(Buffer.from(text, "latin1"), cuts)) digest.write(part.toString("latin1"))
          const result = digest.end()
          const valid = strictBase64.test(text)
          expect(result.problem === undefined).toBe(valid)
          if (valid) expect(result).toMatchObject(digests(Buffer.from(text, "base64")))
        }
      ),
      { numRuns: 1000 }
    )
  })
})
