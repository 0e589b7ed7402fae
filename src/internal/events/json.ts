/** JSON text inside an event (an SQS body). */
import { ParseResult, Schema } from "effect"
import { decodeOnly } from "./schema.js"

/** Parsed JSON; the failure does not quote the text, as V8's parse errors do. */
export const JsonText = decodeOnly(Schema.String, Schema.Unknown, (text, _, ast) => {
  try {
    return ParseResult.succeed(JSON.parse(text) as unknown)
  } catch {
    return ParseResult.fail(new ParseResult.Type(ast, text, "is not valid JSON"))
  }
})
