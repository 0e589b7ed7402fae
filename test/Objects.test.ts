import { describe, expect, it } from "@effect/vitest"
import { Effect, FiberRef, Layer, Option, Stream } from "effect"
import { Credentials, CredentialsError } from "../src/Credentials.js"
import * as Deadline from "../src/Deadline.js"
import { type AccountId, type BucketName, ObjectKey, type Region } from "../src/Domain.js"
import { Environment } from "../src/Environment.js"
import * as Objects from "../src/Objects.js"
import { fakeS3, type FakeObject } from "./helpers/fakeS3.js"

const own = "111111111111" as AccountId
const member = "222222222222" as AccountId
const denied = "333333333333" as AccountId

const withObjects = <A, E>(
  store: Record<string, FakeObject>,
  use: (o: Objects.Objects["Type"]) => Effect.Effect<A, E, import("effect").Scope.Scope>,
  maxClients?: number
) =>
  Effect.gen(function*() {
    const s3 = fakeS3(store)
    const credentials = Credentials.test(own, (account) =>
      account === denied
        ? Option.some(new CredentialsError({ account, roleArn: `arn:aws:iam::${account}:role/r`, reason: "access-denied", detail: "AccessDenied" }))
        : Option.none())
    const layer = Layer.scoped(Objects.Objects, Objects.make(s3.newClient, maxClients)).pipe(Layer.provide(Layer.merge(credentials, Environment.test())))
    const result = yield* Effect.either(Effect.scoped(Effect.flatMap(Objects.Objects, use)).pipe(Effect.provide(layer)))
    return { result, s3 }
  })

const at = (account: AccountId, region: string, bucket: string, key: ObjectKey, versionId?: string): Objects.ObjectLocation => ({
  account,
  region: region as Region,
  bucket: bucket as BucketName,
  key,
  versionId: Option.fromNullable(versionId)
})

const bytes = (text: string) => new TextEncoder().encode(text)
const readAll = (opened: Objects.OpenedObject) => Stream.runCollect(opened.body).pipe(Effect.map((c) => Buffer.concat([...c]).toString()))

describe("Objects", () => {
  it.effect("one client per (account, region), reused across reads", () =>
    Effect.gen(function*() {
      const { result, s3 } = yield* withObjects({ "b1/k": { bytes: bytes("hello") } }, (objects) =>
        Effect.forEach([
          at(member, "eu-west-1", "b1", ObjectKey.exact("k")),
          at(member, "eu-west-1", "b1", ObjectKey.exact("k")),
          at(member, "us-east-1", "b1", ObjectKey.exact("k")),
          at(own, "eu-west-1", "b1", ObjectKey.exact("k"))
        ], (loc) => Effect.flatMap(objects.open(loc), readAll), { concurrency: 4 }))
      expect(result._tag === "Right" && result.right).toEqual(["hello", "hello", "hello", "hello"])
      expect(s3.clients).toHaveLength(3)
      // Own-account buckets use the execution role (default chain), others the assumed role.
      expect(s3.clients.filter((c) => !c.hasCredentials)).toHaveLength(1)
    }))

  it.effect("keeps at most maxClients clients, dropping the least recently used", () =>
    Effect.gen(function*() {
      const regions = ["eu-west-1", "us-east-1", "eu-west-1", "ap-south-1", "eu-west-1", "us-east-1"]
      const { result, s3 } = yield* withObjects(
        { "b/k": { bytes: bytes("x") } },
        (objects) => Effect.forEach(regions, (region) => Effect.flatMap(objects.open(at(member, region, "b", ObjectKey.exact("k"))), readAll)),
        2
      )
      expect(result._tag === "Right" && result.right).toEqual(regions.map(() => "x"))
      // ap-south-1 displaced us-east-1 (eu-west-1 had just been used), so only us-east-1 was built again.
      expect(s3.clients.map((c) => c.region)).toEqual(["eu-west-1", "us-east-1", "ap-south-1", "us-east-1"])
    }))

  it.effect("tries the alternate reading of a key when the primary is not found", () =>
    Effect.gen(function*() {
      const trueName = "docs/a b+c%2B ü.pdf"
      const key = new ObjectKey({ primary: "docs/a+b%2Bc%252B+%C3%BC.pdf", alternate: Option.some(trueName) })
      const { result, s3 } = yield* withObjects({ [`b/${trueName}`]: { bytes: bytes("pdf") } }, (objects) =>
        Effect.map(objects.open(at(member, "eu-west-1", "b", key)), (o) => o.key))
      expect(result._tag === "Right" && result.right).toBe(trueName)
      expect(s3.gets.map((g) => g.key)).toEqual([key.primary, trueName])
    }))

  it.effect("reports not-found for the primary key when neither reading exists", () =>
    Effect.gen(function*() {
      const key = new ObjectKey({ primary: "a b", alternate: Option.some("a+b") })
      const { result } = yield* withObjects({}, (objects) => objects.open(at(member, "eu-west-1", "b", key)))
      expect(result._tag === "Left" && result.left._tag === "ObjectError" && [result.left.reason, result.left.key]).toEqual(["not-found", "a b"])
    }))

  it.effect("reads the version the event named", () =>
    Effect.gen(function*() {
      const { result, s3 } = yield* withObjects({ "b/k": { bytes: bytes("v1"), versionId: "v-1" } }, (objects) =>
        Effect.map(objects.open(at(member, "eu-west-1", "b", ObjectKey.exact("k"), "v-1")), (o) => Option.getOrNull(o.versionId)))
      expect(result._tag === "Right" && result.right).toBe("v-1")
      expect(s3.gets[0]!.versionId).toBe("v-1")
    }))

  it.effect.each([
    ["InvalidObjectState", 403, "The operation is not valid for the object's storage class", "archived"],
    ["InvalidRequest", 400, "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.", "sse-c"],
    ["AccessDenied", 403, "Access Denied", "access-denied"],
    ["PermanentRedirect", 301, "The bucket you are attempting to access must be addressed using the specified endpoint.", "failed"]
  ] as const)("maps S3 %s to %s", ([code, status, message, reason]) =>
    Effect.gen(function*() {
      const { result, s3 } = yield* withObjects({ "b/k": { bytes: bytes("x"), error: { code, status, message } } }, (objects) =>
        objects.open(at(member, "eu-west-1", "b", ObjectKey.exact("k"))))
      expect(result._tag === "Left" && result.left._tag === "ObjectError" && result.left.reason).toBe(reason)
      expect(s3.gets).toHaveLength(1)
    }))

  it.live("retries SlowDown and 500 before giving up", () =>
    Effect.gen(function*() {
      // A real clock, but a short deadline: the policy must stop by itself, before it.
      const { result, s3 } = yield* withObjects({ "b/k": { bytes: bytes("x"), error: { code: "SlowDown", status: 503 } } }, (objects) =>
        Deadline.within(1_500)(objects.open(at(member, "eu-west-1", "b", ObjectKey.exact("k")))))
      expect(result._tag === "Left" && result.left._tag === "ObjectError" && result.left.reason).toBe("unavailable")
      expect(s3.gets.length).toBeGreaterThan(2)
    }))

  it.effect("an expired session is dropped with its clients, and the object read once more", () =>
    Effect.gen(function*() {
      const store: Record<string, FakeObject> = { "b/k": { bytes: bytes("x"), error: { code: "ExpiredToken", status: 400, message: "The provided token has expired." } } }
      const s3 = fakeS3(store)
      const invalidated: Array<string> = []
      const base = Credentials.test(own)
      const credentials = Layer.effect(Credentials, Effect.map(Credentials, (c) => ({
        ...c,
        invalidate: (account: AccountId) => Effect.sync(() => invalidated.push(account))
      }))).pipe(Layer.provide(base))
      const layer = Layer.scoped(Objects.Objects, Objects.make(s3.newClient)).pipe(Layer.provide(Layer.merge(credentials, Environment.test())))
      const result = yield* Effect.either(Effect.scoped(Effect.flatMap(Objects.Objects, (o) =>
        Effect.flatMap(o.open(at(member, "eu-west-1", "b", ObjectKey.exact("k"))), readAll))).pipe(Effect.provide(layer)))
      // Still expired on the second read: the error surfaces, after exactly one more attempt with a new client.
      expect(result._tag === "Left" && result.left._tag === "ObjectError" && result.left.reason).toBe("credentials-expired")
      expect(invalidated).toEqual([member])
      expect(s3.gets).toHaveLength(2)
      expect(s3.clients).toHaveLength(2)
    }))

  it.effect("fails with the STS error before reading anything when the role cannot be assumed", () =>
    Effect.gen(function*() {
      const { result, s3 } = yield* withObjects({ "b/k": { bytes: bytes("x") } }, (objects) =>
        objects.open(at(denied, "eu-west-1", "b", ObjectKey.exact("k"))))
      expect(result._tag === "Left" && result.left._tag).toBe("CredentialsError")
      expect(s3.gets).toHaveLength(0)
    }))

  it.effect("the S3 clients' credential refreshes run free of the deadline of the invocation that built the layer", () =>
    Effect.gen(function*() {
      const s3 = fakeS3({ "b/k": { bytes: bytes("x") } })
      const deadlines: Array<Option.Option<number>> = []
      const credentials = Layer.succeed(Credentials, {
        ownAccount: own,
        invalidate: () => Effect.void,
        forAccount: (account) =>
          FiberRef.get(Deadline.currentDeadline).pipe(
            Effect.tap((deadline) => deadlines.push(deadline)),
            Effect.as({
              _tag: "AssumedRole" as const,
              roleArn: `arn:aws:iam::${account}:role/r`,
              credentials: { accessKeyId: "ASIATEST", secretAccessKey: "s", sessionToken: "t" }
            })
          )
      })
      // As the Lambda builds it: within the first invocation, under its deadline (long past when a refresh comes).
      const layer = Layer.locally(Layer.scoped(Objects.Objects, Objects.make(s3.newClient)).pipe(Layer.provide(Layer.merge(credentials, Environment.test()))), Deadline.currentDeadline, Option.some(1))
      yield* Effect.scoped(Effect.flatMap(Objects.Objects, (o) =>
        Effect.gen(function*() {
          yield* Effect.flatMap(o.open(at(member, "eu-west-1", "b", ObjectKey.exact("k"))), readAll)
          deadlines.length = 0
          const refresh = s3.clients[0]!.config.credentials as () => Promise<unknown>
          yield* Effect.promise(refresh)
        })).pipe(Effect.provide(layer)))
      expect(deadlines).toEqual([Option.none()])
    }))
})
