/**
 * One bearer token per service per container, shared by every concurrent event. It is fetched
 * on first use, replaced shortly before it expires, and dropped when the server answers 401.
 * A single login is in flight at a time and every caller that arrives meanwhile shares its
 * result, failure included: a burst of expired requests causes one re-login, and a login that
 * failed (say, after 429s until the deadline) is not tried again at once by each waiting event.
 */
import { Cause, Clock, Deferred, Effect, FiberId, Option, type Redacted } from "effect"

/** A bearer token and the moment (epoch ms) from which we stop using it. */
export interface AccessToken {
  readonly jwt: Redacted.Redacted<string>
  readonly refreshAt: number
}

export interface TokenCache<E> {
  /** The token in use, logging in first when there is none or it is due for refresh. */
  readonly current: Effect.Effect<AccessToken, E>
  /**
   * Runs `use` with the token. When `use` fails as unauthorized, that token is dropped (unless
   * another fiber already replaced it), a fresh one obtained and `use` retried once; a second
   * 401 is returned as it is — no loop.
   */
  readonly authorized: <A, E2>(use: (jwt: Redacted.Redacted<string>) => Effect.Effect<A, E2>) => Effect.Effect<A, E | E2>
}

export const make = <E>(
  login: Effect.Effect<AccessToken, E>,
  isUnauthorized: (error: unknown) => boolean
): Effect.Effect<TokenCache<E>> =>
  Effect.sync(() => {
    let token = Option.none<AccessToken>()
    // The login in flight, awaited by every caller that needs a token meanwhile.
    let pending: Deferred.Deferred<AccessToken, E> | undefined

    // Uninterruptible from the check to the exit handler being in place (interruptible again
    // while waiting or logging in): an interruption between registering a login and attaching
    // the handler would leave every later caller waiting for a login that nobody runs.
    const current: Effect.Effect<AccessToken, E> = Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (Option.isSome(token) && now < token.value.refreshAt) return Effect.succeed(token.value)
        if (pending !== undefined) {
          // A login interrupted with its caller (that event's deadline) is no answer: try again.
          return restore(Deferred.await(pending).pipe(
            Effect.catchAllCause((cause) => Cause.isInterruptedOnly(cause) ? current : Effect.failCause(cause))
          ))
        }
        // Checked and registered synchronously: no other fiber can slip in between.
        const done = Deferred.unsafeMake<AccessToken, E>(FiberId.none)
        pending = done
        return restore(login).pipe(
          Effect.tap((fresh) => Effect.sync(() => (token = Option.some(fresh)))),
          Effect.onExit((exit) =>
            Effect.sync(() => {
              if (pending === done) pending = undefined
            }).pipe(Effect.zipRight(Deferred.done(done, exit)))
          )
        )
      })
    )

    const drop = (stale: AccessToken) =>
      Effect.sync(() => {
        if (Option.isSome(token) && token.value === stale) token = Option.none()
      })

    const authorized = <A, E2>(use: (jwt: Redacted.Redacted<string>) => Effect.Effect<A, E2>) =>
      Effect.flatMap(current, (used) =>
        use(used.jwt).pipe(
          Effect.catchIf(
            (error): error is E2 => isUnauthorized(error),
            () => drop(used).pipe(Effect.zipRight(current), Effect.flatMap((fresh) => use(fresh.jwt)))
          )
        ))

    return { current, authorized }
  })
