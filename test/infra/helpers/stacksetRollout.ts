/**
 * How long a StackSet operation takes, from its operation preferences, as CloudFormation
 * schedules it: per Region, at most `max_concurrent_percentage` of the accounts at once (rounded
 * down, at least one); in STRICT_FAILURE_TOLERANCE mode (the default) no more than the failure
 * tolerance + 1 either; Regions one after the other unless PARALLEL.
 */
import { type Block, blocks, type Configuration, type Json } from "./hcl.js"

/**
 * Minutes one stack of each template takes to create or update, assumed (not measured here): the
 * forwarder's longest chain is queue -> alarm -> alarm rule -> queue policy, about 3 minutes with
 * StackSets' own start-up; the reader is one IAM role, about 1 minute.
 */
export const assumedMinutesPerStack: Readonly<Record<string, number>> = {
  "member-forwarding.yaml": 3,
  "member-reader-role.yaml": 1
}

export interface OperationPreferences {
  readonly maxConcurrentPercentage: number
  readonly failureTolerancePercentage: number
  readonly strict: boolean
  readonly parallelRegions: boolean
}

export interface Rollout {
  /** Stacks worked on at once in each Region. */
  readonly concurrency: number
  /** Rounds of that many stacks per Region. */
  readonly waves: number
  readonly minutes: number
}

export const rollout = (accounts: number, regions: number, prefs: OperationPreferences, minutesPerStack: number): Rollout => {
  const max = Math.max(1, Math.floor((accounts * prefs.maxConcurrentPercentage) / 100))
  const tolerance = Math.floor((accounts * prefs.failureTolerancePercentage) / 100)
  const concurrency = prefs.strict ? Math.min(max, tolerance + 1) : max
  const waves = Math.ceil(accounts / concurrency)
  return { concurrency, waves, minutes: waves * minutesPerStack * (prefs.parallelRegions ? 1 : regions) }
}

/** The preferences a resource's `operation_preferences` block sets, its `var.` references read as their defaults. */
export const preferencesOf = (config: Configuration, body: Block): OperationPreferences => {
  const [prefs] = blocks(body, "operation_preferences")
  if (prefs === undefined) throw new Error("no operation_preferences")
  const number = (key: string): number => {
    const value: Json | undefined = prefs[key]
    const variable = typeof value === "string" ? /^\$\{var\.(\w+)\}$/.exec(value)?.[1] : undefined
    const resolved = variable === undefined ? value : config.variables.get(variable)?.body["default"]
    if (typeof resolved !== "number") throw new Error(`${key} is not a number or a variable with a number default`)
    return resolved
  }
  return {
    maxConcurrentPercentage: number("max_concurrent_percentage"),
    failureTolerancePercentage: number("failure_tolerance_percentage"),
    strict: (prefs["concurrency_mode"] ?? "STRICT_FAILURE_TOLERANCE") === "STRICT_FAILURE_TOLERANCE",
    parallelRegions: prefs["region_concurrency_type"] === "PARALLEL"
  }
}

/** Minutes of a Terraform duration ("3h", "90m", "1h30m"). */
export const durationMinutes = (d: string): number => {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?$/.exec(d)
  if (m === null || d === "") throw new Error(`not a duration: ${d}`)
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)
}
