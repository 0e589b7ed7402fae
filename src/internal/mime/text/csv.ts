/** CSV and TSV: at least two records with the same number (≥ 2) of fields, as mimetype counts them. */
import { node, type Node } from "../node.js"
import { SAMPLE_BYTES } from "../sample.js"

const LF = 0x0a
const CR = 0x0d
const QUOTE = 0x22
const COMMENT = 0x23

/** Whether nothing but (at most) the line's LF remains from `i` on. */
const onlyNewlineLeft = (line: Uint8Array, i: number): boolean =>
  i >= line.length || (i === line.length - 1 && line[i] === LF)

/**
 * Counts fields per record the way Go's encoding/csv splits them (quoted fields may span
 * lines; blank and `#` lines are skipped), without building the fields.
 */
class FieldCounter {
  private pos = 0
  constructor(private readonly b: Uint8Array, private readonly comma: number) {}

  /** The next line including its LF; `cutShort` when it ended in CRLF (the CR dropped too). */
  private readLine(): { line: Uint8Array; cutShort: boolean } {
    const start = this.pos
    const lf = this.b.indexOf(LF, start)
    this.pos = lf === -1 ? this.b.length : lf + 1
    const line = this.b.subarray(start, this.pos)
    const n = line.length
    if (n > 0 && line[n - 1] === CR) return { line: line.subarray(0, n - 1), cutShort: false }
    if (n >= 2 && line[n - 2] === CR && line[n - 1] === LF) return { line: line.subarray(0, n - 2), cutShort: true }
    return { line, cutShort: false }
  }

  /** Fields in the next record; 0 when the input is exhausted. */
  next(): number {
    let finished = false
    let line: Uint8Array
    let cutShort: boolean
    for (;;) {
      ;({ line, cutShort } = this.readLine())
      if (finished) return 0
      finished = this.pos >= this.b.length && line.length === 0
      if (onlyNewlineLeft(line, 0) || line[0] === COMMENT) continue
      break
    }
    let fields = 0
    let i = 0
    for (;;) {
      if (i >= line.length || line[i] !== QUOTE) {
        fields++
        const comma = line.indexOf(this.comma, i)
        if (comma === -1) return fields
        i = comma + 1
        continue
      }
      i++
      for (;;) {
        const quote = line.indexOf(QUOTE, i)
        if (quote >= 0) {
          i = quote + 1
          const after = line[i]
          if (after === QUOTE) i++
          else if (after === this.comma) {
            i++
            fields++
            break
          } else if (onlyNewlineLeft(line, i)) {
            return fields + 1
          }
        } else if (line.length - i > 0 || cutShort) {
          ;({ line, cutShort } = this.readLine())
          i = 0
        } else {
          return fields + 1
        }
      }
    }
  }
}

/** A sample as long as the read limit may end mid-line: its last line does not count. */
const withoutLastLine = (sample: Uint8Array): Uint8Array => {
  if (sample.length < SAMPLE_BYTES) return sample
  for (let i = sample.length - 1; i > 0; i--) if (sample[i] === LF) return sample.subarray(0, i)
  return sample
}

const separated = (comma: number) => (sample: Uint8Array): boolean => {
  const counter = new FieldCounter(withoutLastLine(sample), comma)
  const header = counter.next()
  if (header < 2) return false
  let records = 1
  for (;;) {
    const fields = counter.next()
    if (fields === 0) break
    records++
    if (fields !== header) return false
    if (records >= 10) return true
  }
  return records >= 2
}

export const csv: Node = node("text/csv", separated(0x2c))
export const tsv: Node = node("text/tab-separated-values", separated(0x09))
