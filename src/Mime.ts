/**
 * MIME detection and the MIME allow-list, with the names Highvolt's Go clients use
 * (github.com/gabriel-vasile/mimetype v1.4.13): the allow-list in the JSONAir profile is
 * shared with them, so a name spelled differently here would silently stop matching.
 */
import { Effect, ParseResult, Schema } from "effect"
import { makeMatcher, parseEntry, type Entry } from "./internal/mime/allowList.js"
import { detectMime } from "./internal/mime/detect.js"

/** How many leading bytes detection looks at. */
export const HEAD_BYTES = 1024 * 1024

/**
 * Detects the MIME type from the first bytes of an object (at most HEAD_BYTES; fewer when the
 * object is smaller). Returns the full name with parameters, e.g. "text/plain; charset=utf-8",
 * "application/pdf", never fails; unknown binary → "application/octet-stream".
 */
export const detect = (head: Uint8Array): Effect.Effect<string> =>
  // No span of its own: detection takes ~10 µs and a span costs more than that (see
  // bench/mime.bench.ts); it runs inside the caller's span.
  Effect.promise(() => detectMime(head.subarray(0, HEAD_BYTES)))

/** A parsed MIME allow-list (from the JSONAir config `core.mime_types`). */
export interface AllowList {
  readonly entries: ReadonlyArray<string>
  readonly allows: (mime: string) => boolean
}

const AllowListSelf = Schema.declare(
  (u: unknown): u is AllowList =>
    typeof u === "object" && u !== null && "entries" in u && "allows" in u && typeof u.allows === "function",
  { identifier: "AllowList" }
)

/**
 * Schema from the raw array of strings to an AllowList. Fails (with a message naming the bad
 * entry) on an empty list or an entry that is not `type/subtype`, `type/*` (or `*\/*`).
 * Matching: essence only (parameters ignored), case-insensitive, alias-aware (mimetype's alias
 * groups), wildcards.
 */
export const AllowListFromEntries: Schema.Schema<AllowList, ReadonlyArray<string>> = Schema.transformOrFail(
  Schema.Array(Schema.String),
  AllowListSelf,
  {
    strict: true,
    decode: (raw, _, ast) => {
      if (raw.length === 0) {
        return ParseResult.fail(new ParseResult.Type(ast, raw, "the MIME allow-list is empty"))
      }
      const parsed: Array<Entry> = []
      for (const entry of raw) {
        const p = parseEntry(entry)
        if (p === undefined) {
          return ParseResult.fail(
            new ParseResult.Type(ast, raw, `MIME allow-list entry ${JSON.stringify(entry)} is not type/subtype, type/* or */*`)
          )
        }
        parsed.push(p)
      }
      return ParseResult.succeed({ entries: raw, allows: makeMatcher(parsed) })
    },
    encode: (list) => ParseResult.succeed(list.entries)
  }
)
