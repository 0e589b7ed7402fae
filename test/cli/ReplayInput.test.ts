import { describe, expect, it } from "vitest"
import { parseReplayInput } from "../../src/cli/ReplayInput.js"

const view = (text: string) => parseReplayInput(text).map((i) => [i.label, i.value._tag === "Right" ? i.value.right : `error: ${i.value.left}`])

describe("parseReplayInput", () => {
  it("reads one JSON event", () => {
    expect(view(`{"id": 1}`)).toEqual([["item 1", { id: 1 }]])
  })

  it("reads a JSON array, item by item", () => {
    expect(view(`[{"id": 1}, {"id": 2}]`)).toEqual([["item 1", { id: 1 }], ["item 2", { id: 2 }]])
  })

  it("reads `aws sqs receive-message` output, message by message", () => {
    expect(view(`{"Messages": [{"MessageId": "a", "Body": "{}"}, {"MessageId": "b", "Body": "{}"}]}`)).toEqual([
      ["item 1", { MessageId: "a", Body: "{}" }],
      ["item 2", { MessageId: "b", Body: "{}" }]
    ])
  })

  it("reads JSON Lines, skipping blank lines and keeping line numbers", () => {
    expect(view(`{"id": 1}\n\n{"id": 2}\r\n`)).toEqual([["line 1", { id: 1 }], ["line 3", { id: 2 }]])
  })

  it("reports a broken line without losing the others", () => {
    const items = view(`{"id": 1}\n{"id": \n{"id": 3}`)
    expect(items.map(([label]) => label)).toEqual(["line 1", "line 2", "line 3"])
    expect(String(items[1]![1])).toMatch(/^error: not valid JSON/)
  })

  it("says where a line breaks without quoting it (it may hold anything)", () => {
    const items = view(`pat_abcdef0123456789\n{"id": 1,, "token": "pat_abcdef0123456789"}`)
    expect(items.map(([, value]) => value)).toEqual(["error: not valid JSON", "error: not valid JSON (at character 10)"])
  })

  it("finds nothing in an empty input", () => {
    expect(view("  \n ")).toEqual([])
  })
})
