/** RFC 4180 CSV, as S3 Batch Operations reads manifests and S3 Inventory and completion reports write them. */

/** The rows of `text`; quoted fields may hold commas, quotes (doubled) and line breaks. */
export const parseCsv = (text: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = []
  let row: Array<string> = []
  let field = ""
  let quoted = false
  let i = 0
  const endField = () => {
    row.push(field)
    field = ""
  }
  while (i < text.length) {
    const c = text[i]!
    if (quoted) {
      if (c === "\"" && text[i + 1] === "\"") (field += "\"", i += 1)
      else if (c === "\"") quoted = false
      else field += c
    } else if (c === "\"") quoted = true
    else if (c === ",") endField()
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1
      endField()
      rows.push(row)
      row = []
    } else field += c
    i += 1
  }
  if (field !== "" || row.length > 0) {
    endField()
    rows.push(row)
  }
  return rows
}

const quote = (field: string) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, "\"\"")}"` : field)

export const formatCsvRow = (fields: ReadonlyArray<string>) => `${fields.map(quote).join(",")}\n`
