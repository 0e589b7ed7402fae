/**
 * One bearer token per service per container, shared by every concurrent event. It is fetched
 * on first use, replaced shortly before it expires, and dropped when the server answers 401;
 * a single login is in flight at a time, so a burst of expired requests causes one re-login.
 */
import { Clock, Effect, Option, type Redacted, SynchronizedRef } from "effect"

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
  Effect.gen(function*() {
    const state = yield* SynchronizedRef.make(Option.none<AccessToken>())

    const current = SynchronizedRef.modifyEffect(state, (cached) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Option.isSome(cached) && now < cached.value.refreshAt
          ? Effect.succeed([cached.value, cached] as const)
          : Effect.map(login, (fresh) => [fresh, Option.some(fresh)] as const)))

    const drop = (stale: AccessToken) =>
      SynchronizedRef.update(state, (cached) => Option.isSome(cached) && cached.value === stale ? Option.none() : cached)

    const authorized = <A, E2>(use: (jwt: Redacted.Redacted<string>) => Effect.Effect<A, E2>) =>
      Effect.flatMap(current, (token) =>
        use(token.jwt).pipe(
          Effect.catchIf(
            (error): error is E2 => isUnauthorized(error),
            () => drop(token).pipe(Effect.zipRight(current), Effect.flatMap((fresh) => use(fresh.jwt)))
          )
        ))

    return { current, authorized }
  })
