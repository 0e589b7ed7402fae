/** What a schema check found wrong, where: `file:line: address: message`. */
export interface Finding {
  readonly file: string
  readonly line: number
  /** Resource address and path inside it, e.g. aws_sqs_queue.dlq.redrive_policy[0]. */
  readonly where: string
  readonly message: string
}

export const formatFinding = (f: Finding): string => `${f.file}:${f.line}: ${f.where}: ${f.message}`

/** 1-based line of a character offset. */
export const lineAt = (text: string, offset: number): number => text.slice(0, Math.max(0, offset)).split("\n").length

const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

/** ` (did you mean X?)` for the closest known name within a few edits (or a prefix of it), else "". */
export const didYouMean = (name: string, known: Iterable<string>): string => {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1
  for (const candidate of known) {
    const [a, b] = [name.toLowerCase(), candidate.toLowerCase()]
    // A shortened name (subnet for subnet_ids) is as likely a slip as one wrong letter.
    const d = a !== b && (a.startsWith(b) || b.startsWith(a)) ? 1 : distance(a, b)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best === undefined ? "" : ` (did you mean ${best}?)`
}
