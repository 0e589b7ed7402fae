/**
 * One bearer token per service per container, shared by every concurrent event. It is fetched
 * on first use, replaced shortly before it expires, and dropped when the server answers 401.
 * A single login is in flight at a time and every caller that arrives meanwhile shares its
 * result, failure included: a burst of expired requests causes one re-login, and a login that
 * failed (say, after 429s until the deadline) is not tried again at once by each waiting event.
 *
 * Logins are numbered as they start. A token's first 401 dates its revocation: only a login
 * started from then on is sure to have been issued after it (a server restarted with a new
 * signing key revokes every token at once, a login already in flight included). So a 401 is
 * retried with a token of such a login — the one cached or in flight when there is one, which
 * a whole burst of 401s on the same token shares — and never with a login that predates it.
 */
import { Cause, Clock, Deferred, Effect, FiberId, type Redacted } from "effect"

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
   * another fiber already replaced it) and `use` retried once with a token of a login started
   * after that token's first 401; a second 401 is returned as it is — no loop.
   */
  readonly authorized: <A, E2>(use: (jwt: Redacted.Redacted<string>) => Effect.Effect<A, E2>) => Effect.Effect<A, E | E2>
}

export const make = <E>(
  login: Effect.Effect<AccessToken, E>,
  isUnauthorized: (error: unknown) => boolean
): Effect.Effect<TokenCache<E>> =>
  Effect.sync(() => {
    /** A token and the number of the login that issued it. */
    interface Issued {
      readonly token: AccessToken
      readonly login: number
    }
    let cached: Issued | undefined
    // The login in flight, awaited by every caller that needs a token meanwhile.
    let pending: { readonly done: Deferred.Deferred<Issued, E>; readonly login: number } | undefined
    let loginsStarted = 0
    // For each token that met a 401: how many logins had started by its first one.
    const revokedAfter = new WeakMap<Issued, number>()

    // A token issued by a login numbered above `after`. Uninterruptible from the check to the
    // exit handler being in place (interruptible again while waiting or logging in): an
    // interruption between registering a login and attaching the handler would leave every
    // later caller waiting for a login that nobody runs.
    const issuedAfter = (after: number): Effect.Effect<Issued, E> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          if (cached !== undefined && cached.login > after && now < cached.token.refreshAt) return Effect.succeed(cached)
          if (pending !== undefined) {
            return restore(Deferred.await(pending.done)).pipe(
              // A login interrupted with its caller (that event's deadline) is no answer: try again.
              Effect.catchAllCause((cause) => Cause.isInterruptedOnly(cause) ? issuedAfter(after) : Effect.failCause(cause)),
              // One that started before our 401 may have been issued before the revocation.
              Effect.flatMap((issued) => issued.login > after ? Effect.succeed(issued) : issuedAfter(after))
            )
          }
          // Checked and registered synchronously: no other fiber can slip in between.
          loginsStarted += 1
          const self = { done: Deferred.unsafeMake<Issued, E>(FiberId.none), login: loginsStarted }
          pending = self
          return restore(login).pipe(
            Effect.map((token): Issued => ({ token, login: self.login })),
            Effect.tap((issued) => Effect.sync(() => (cached = issued))),
            Effect.onExit((exit) =>
              Effect.sync(() => {
                if (pending === self) pending = undefined
              }).pipe(Effect.zipRight(Deferred.done(self.done, exit)))
            )
          )
        })
      )

    const revoke = (used: Issued) =>
      Effect.sync(() => {
        const after = revokedAfter.get(used) ?? loginsStarted
        revokedAfter.set(used, after)
        if (cached === used) cached = undefined
        return after
      })

    const authorized = <A, E2>(use: (jwt: Redacted.Redacted<string>) => Effect.Effect<A, E2>) =>
      Effect.flatMap(issuedAfter(0), (used) =>
        use(used.token.jwt).pipe(
          Effect.catchIf(
            (error): error is E2 => isUnauthorized(error),
            () => revoke(used).pipe(Effect.flatMap(issuedAfter), Effect.flatMap((fresh) => use(fresh.token.jwt)))
          )
        ))

    return { current: Effect.map(issuedAfter(0), (issued) => issued.token), authorized }
  })
