import { AssumeRoleCommand } from "@aws-sdk/client-sts"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import { Credentials, type StsApi, make } from "../src/Credentials.js"
import * as Deadline from "../src/Deadline.js"
import type { AccountId } from "../src/Domain.js"
import { Environment } from "../src/Environment.js"
import { hangUntilAborted } from "./helpers/hang.js"

const own = "111111111111" as AccountId
const member = "222222222222" as AccountId

/** A fake STS: AssumeRole takes 50 ms and issues credentials valid for an hour of the TestClock. */
const fakeSts = (options: { deny?: ReadonlySet<string> } = {}) => {
  const calls: Array<{ roleArn: string; externalId: string | undefined }> = []
  let now = 0
  const sts: StsApi = {
    send: async (command) => {
      if (!(command instanceof AssumeRoleCommand)) {
        return { $metadata: {}, Account: own, Arn: `arn:aws:sts::${own}:assumed-role/scanner/x` } as never
      }
      const { RoleArn, ExternalId } = command.input
      calls.push({ roleArn: RoleArn!, externalId: ExternalId })
      if (options.deny?.has(RoleArn!.split(":")[4]!)) {
        throw Object.assign(new Error(`User is not authorized to perform: sts:AssumeRole on resource: ${RoleArn}`), {
          name: "AccessDenied",
          $metadata: { httpStatusCode: 403 }
        })
      }
      return {
        $metadata: {},
        Credentials: {
          AccessKeyId: `ASIA${calls.length}`,
          SecretAccessKey: "secret",
          SessionToken: "token",
          Expiration: new Date(now + 3_600_000)
        }
      } as never
    }
  }
  return { sts, calls, setNow: (ms: number) => (now = ms) }
}

/** A fake STS whose first call of `hanging` never answers (until aborted); every other call answers at once. */
const hangsOnceSts = (hanging: "AssumeRole" | "GetCallerIdentity" = "AssumeRole") => {
  const calls = { AssumeRole: 0, GetCallerIdentity: 0 }
  const sts: StsApi = {
    send: (command, { abortSignal }) => {
      const name = command instanceof AssumeRoleCommand ? "AssumeRole" : "GetCallerIdentity"
      if (++calls[name] === 1 && name === hanging) return hangUntilAborted(abortSignal)
      return Promise.resolve(
        (name === "GetCallerIdentity"
          ? { $metadata: {}, Account: own, Arn: `arn:aws:sts::${own}:assumed-role/scanner/x` }
          : {
            $metadata: {},
            Credentials: { AccessKeyId: "ASIA2", SecretAccessKey: "s", SessionToken: "t", Expiration: new Date(Date.now() + 3_600_000) }
          }) as never
      )
    }
  }
  return { sts, calls: () => calls[hanging] }
}

const withCredentials = <A, E>(sts: StsApi, use: (c: Credentials["Type"]) => Effect.Effect<A, E>, externalId?: string) => {
  const env = Environment.test({
    crossAccountRole: "highvolt-reader",
    crossAccountExternalId: Option.fromNullable(externalId).pipe(Option.map(Redacted.make))
  })
  return Effect.either(Effect.flatMap(Credentials, use).pipe(Effect.provide(Layer.effect(Credentials, make(sts)).pipe(Layer.provide(env)))))
}

/** Runs `use` while a minute of the TestClock passes (retry backoffs, timeouts). */
const run = <A, E>(fake: ReturnType<typeof fakeSts>, use: (c: Credentials["Type"]) => Effect.Effect<A, E>, externalId?: string) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(withCredentials(fake.sts, use, externalId))
    yield* TestClock.adjust("1 minute")
    return yield* Fiber.join(fiber)
  })

describe("Credentials", () => {
  it.effect("learns the own account, which uses the execution role without AssumeRole", () =>
    Effect.gen(function*() {
      const fake = fakeSts()
      const result = yield* run(fake, (c) => Effect.map(c.forAccount(own), (a) => [c.ownAccount, a._tag]))
      expect(result._tag === "Right" && result.right).toEqual([own, "ExecutionRole"])
      expect(fake.calls).toHaveLength(0)
    }))

  it.effect("one AssumeRole per account for many concurrent events", () =>
    Effect.gen(function*() {
      const fake = fakeSts()
      const accounts = ["222222222222", "333333333333", "444444444444"] as Array<AccountId>
      const result = yield* run(fake, (c) =>
        Effect.forEach(Array.from({ length: 60 }, (_, i) => accounts[i % 3]!), (a) => c.forAccount(a), { concurrency: "unbounded" }), "ext-7")
      expect(result._tag).toBe("Right")
      expect(fake.calls.map((c) => c.roleArn).sort()).toEqual(accounts.map((a) => `arn:aws:iam::${a}:role/highvolt-reader`))
      expect(fake.calls.every((c) => c.externalId === "ext-7")).toBe(true)
    }))

  it.effect("renews credentials five minutes before they expire", () =>
    Effect.gen(function*() {
      const fake = fakeSts()
      const account = "222222222222" as AccountId
      // Moves the TestClock itself: no second fiber adjusting it at the same time.
      const result = yield* withCredentials(fake.sts, (c) =>
        Effect.gen(function*() {
          yield* c.forAccount(account)
          yield* TestClock.adjust("54 minutes")
          yield* c.forAccount(account) // still valid: cached
          const before = fake.calls.length
          yield* TestClock.adjust("2 minutes") // now within 5 minutes of expiry
          yield* c.forAccount(account)
          return [before, fake.calls.length]
        }))
      expect(result._tag === "Right" && result.right).toEqual([1, 2])
    }))

  it.effect("access denied is a typed, permanent error naming account and role; it is not cached", () =>
    Effect.gen(function*() {
      const fake = fakeSts({ deny: new Set(["555555555555"]) })
      const result = yield* run(fake, (c) =>
        Effect.zip(Effect.either(c.forAccount("555555555555" as AccountId)), Effect.either(c.forAccount("555555555555" as AccountId))))
      expect(result._tag).toBe("Right")
      if (result._tag !== "Right") return
      const [first] = result.right
      expect(first._tag === "Left" && [first.left.reason, first.left.account, first.left.roleArn]).toEqual([
        "access-denied",
        "555555555555",
        "arn:aws:iam::555555555555:role/highvolt-reader"
      ])
      expect(fake.calls).toHaveLength(2)
    }))

  it.live("events waiting on an AssumeRole whose event hit its deadline ask again, instead of ending interrupted", () =>
    Effect.gen(function*() {
      const fake = hangsOnceSts()
      const waiter = (c: Credentials["Type"]) => Effect.exit(Effect.zipRight(Effect.sleep("20 millis"), Deadline.within(5_000)(c.forAccount(member))))
      const result = yield* withCredentials(fake.sts, (c) =>
        Effect.all([Effect.exit(Deadline.within(150)(c.forAccount(member))), waiter(c), waiter(c), waiter(c)], { concurrency: "unbounded" }))
      const [first, ...waiters] = Either.getOrThrow(result)
      expect(Exit.isFailure(first) && first.cause._tag === "Fail" && first.cause.error._tag).toBe("DeadlineExceeded")
      expect(waiters.map((w) => Exit.isSuccess(w) && w.value._tag)).toEqual(["AssumedRole", "AssumedRole", "AssumedRole"])
      // The interrupted AssumeRole and one more, shared by the three waiters.
      expect(fake.calls()).toBe(2)
    }))

  it.effect("an AssumeRole that hangs is given up after 10 s and tried again", () =>
    Effect.gen(function*() {
      const fake = hangsOnceSts()
      const fiber = yield* Effect.fork(withCredentials(fake.sts, (c) => c.forAccount(member)))
      for (let s = 0; s < 9; s++) yield* TestClock.adjust("1 second")
      expect(fake.calls()).toBe(1)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      for (let s = 0; s < 5; s++) yield* TestClock.adjust("1 second")
      expect(Either.getOrThrow(yield* Fiber.join(fiber))._tag).toBe("AssumedRole")
      expect(fake.calls()).toBe(2)
    }))

  it.effect("a GetCallerIdentity that hangs at cold start is given up after 10 s and tried again", () =>
    Effect.gen(function*() {
      const fake = hangsOnceSts("GetCallerIdentity")
      const fiber = yield* Effect.fork(withCredentials(fake.sts, (c) => Effect.succeed(c.ownAccount)))
      for (let s = 0; s < 14; s++) yield* TestClock.adjust("1 second")
      expect(Either.getOrThrow(yield* Fiber.join(fiber))).toBe(own)
      expect(fake.calls()).toBe(2)
    }))

  it.effect("an error that quotes the external id does not carry it on", () =>
    Effect.gen(function*() {
      const sts: StsApi = {
        send: (command) =>
          command instanceof AssumeRoleCommand
            ? Promise.reject(Object.assign(
              new Error(`1 validation error detected: Value '${command.input.ExternalId}' at 'externalId' failed to satisfy constraint`),
              { name: "ValidationError", $metadata: { httpStatusCode: 400 } }
            ))
            : Promise.resolve({ $metadata: {}, Account: own, Arn: `arn:aws:sts::${own}:assumed-role/scanner/x` } as never)
      }
      const result = yield* withCredentials(sts, (c) => c.forAccount(member), "ext-id-0042")
      expect(result._tag === "Left" && result.left.message).toBe(
        `cannot assume arn:aws:iam::${member}:role/highvolt-reader for account ${member}: ValidationError: 1 validation error detected: Value '<redacted>' at 'externalId' failed to satisfy constraint`
      )
    }))
})
