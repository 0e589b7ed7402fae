/**
 * A replay input: one JSON event, a JSON array of events, `aws sqs receive-message` output, or
 * JSON Lines (an EventBridge archive export, a DLQ dump). Every item keeps a label saying where it came from, so that a broken line
 * is reported as such instead of stopping the replay.
 */
import { Either } from "effect"

export interface ReplayItem {
  /** `item 3` (in a JSON document) or `line 17` (in JSON Lines). */
  readonly label: string
  /** The parsed value, or why the text is not JSON. */
  readonly value: Either.Either<unknown, string>
}

/** What `aws sqs receive-message` prints: `{"Messages": [...]}`, one item per message. */
const receivedMessages = (value: unknown): ReadonlyArray<unknown> | undefined =>
  typeof value === "object" && value !== null && "Messages" in value && Array.isArray(value.Messages) ? value.Messages : undefined

/**
 * Parsed JSON, or where it broke: V8's own message quotes the text it could not read, and an
 * event line may hold anything (a token pasted by mistake), so only the position is kept.
 */
const parse = (text: string): Either.Either<unknown, string> =>
  Either.try({
    try: () => JSON.parse(text) as unknown,
    catch: (e) => {
      const position = /at position (\d+)/.exec(e instanceof Error ? e.message : "")?.[1]
      return position === undefined ? "not valid JSON" : `not valid JSON (at character ${Number(position) + 1})`
    }
  })

export const parseReplayInput = (text: string): ReadonlyArray<ReplayItem> => {
  if (text.trim() === "") return []
  const whole = parse(text)
  if (Either.isRight(whole)) {
    const list = Array.isArray(whole.right) ? whole.right : receivedMessages(whole.right)
    return list === undefined
      ? [{ label: "item 1", value: whole }]
      : list.map((value, i) => ({ label: `item ${i + 1}`, value: Either.right(value) }))
  }
  return text.split(/\r?\n/).flatMap((line, i) =>
    line.trim() === ""
      ? []
      : [{ label: `line ${i + 1}`, value: parse(line) }]
  )
}
