/**
 * Retry policies, as named Schedules. Transient failures (network, timeouts, throttling, 5xx,
 * highvolt's full queue) are retried with jittered exponential backoff, honouring `Retry-After`,
 * and never past the invocation's deadline; permanent ones are not retried at all.
 */
import { Duration, Option, Schedule } from "effect"
import * as Deadline from "./Deadline.js"

/** What a failure tells a retry policy. */
export interface Retryable {
  readonly transient: boolean
  /** The server's `Retry-After`, when it gave one. */
  readonly retryAfter?: Option.Option<Duration.Duration> | undefined
}

const isRetryable = (e: unknown): e is Retryable =>
  typeof e === "object" && e !== null && "transient" in e && typeof e.transient === "boolean"

/**
 * The longest `Retry-After` honoured. Beyond it a server is asking for more than one event's
 * patience: an hour-long answer would hold the event until its deadline (up to 15 minutes in
 * the Lambda and the CLI) only to fail it then.
 */
export const maxRetryAfter = Duration.minutes(1)

interface BackoffOptions {
  readonly base: Duration.DurationInput
  readonly cap: Duration.DurationInput
  readonly retries: number
}

/**
 * Jittered exponential backoff from `base`, each delay capped at `cap` but raised to the
 * server's `Retry-After` (up to `maxRetryAfter`); at most `retries` retries, only while the failure is transient, and
 * only while the delay still fits before the invocation's deadline.
 */
export const backoff = <E>(options: BackoffOptions): Schedule.Schedule<Duration.Duration, E> =>
  Schedule.exponential(options.base, 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.decode(options.cap))),
    Schedule.intersect(Schedule.recurs(options.retries)),
    Schedule.zipRight(Schedule.identity<E>()),
    Schedule.whileInput((e: E) => isRetryable(e) && e.transient),
    Schedule.modifyDelay((e: E, delay) =>
      isRetryable(e) && e.retryAfter !== undefined && Option.isSome(e.retryAfter)
      ? Duration.max(delay, Duration.min(e.retryAfter.value, maxRetryAfter))
      : delay
    ),
    Schedule.delays,
    Schedule.checkEffect((_, delay) => Deadline.leavesTimeFor(delay))
  )

// Schedules are immutable values (each run keeps its own state): built once, not per call.
const transient = backoff<unknown>({ base: "200 millis", cap: "10 seconds", retries: 8 })

/** For highvolt /query and /submit, JSONAir config, S3 reads and STS: quick first retries, then patience. */
export const transientRetry = <E>(): Schedule.Schedule<Duration.Duration, E> => transient

/**
 * For logins: the auth endpoints allow 5 requests per minute per IP (a token every 12 s), so
 * many containers starting at once must spread out rather than hammer them.
 */
export const loginRetry = <E>() => backoff<E>({ base: "1 second", cap: "20 seconds", retries: 8 })
