/** Terraform version constraints (`~> 6.25`, `>= 1.5.0, < 2.0.0`): does one admit a version? */

const parts = (v: string): ReadonlyArray<number> => v.split(".").map((p) => Number(p))

const compare = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

const admitsOne = (clause: string, version: ReadonlyArray<number>): boolean => {
  const m = /^\s*(~>|>=|<=|!=|=|>|<)?\s*(\d+(?:\.\d+)*)\s*$/.exec(clause)
  if (m === null) throw new Error(`not a version constraint: ${clause}`)
  const bound = parts(m[2] ?? "")
  const c = compare(version, bound)
  switch (m[1] ?? "=") {
    case "~>": {
      // The rightmost given part may grow; the ones before it are fixed (~> 6.25 is >= 6.25, < 7).
      const fixed = bound.slice(0, Math.max(1, bound.length - 1))
      return c >= 0 && compare(version.slice(0, fixed.length), fixed) === 0
    }
    case ">=":
      return c >= 0
    case "<=":
      return c <= 0
    case ">":
      return c > 0
    case "<":
      return c < 0
    case "!=":
      return c !== 0
    default:
      return c === 0
  }
}

export const admits = (constraint: string, version: string): boolean =>
  constraint.split(",").every((clause) => admitsOne(clause, parts(version)))
