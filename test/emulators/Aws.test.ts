import { GetObjectCommand, HeadObjectCommand, ListBucketsCommand, PutObjectCommand } from "@aws-sdk/client-s3"
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager"
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as LocalStack from "../../emulators/LocalStack.js"
import { s3Client, secretsClient, stsClient } from "./clients.js"

const attempt = <A>(f: () => Promise<A>) =>
  Effect.promise(() => f().then((value) => ({ ok: true as const, value }), (error: any) => ({ ok: false as const, error })))

const errorOf = (result: { ok: boolean; error?: any }) =>
  result.ok ? "no error" : `${result.error.name} ${result.error.$metadata?.httpStatusCode}`

describe("local stack: AWS emulators with the real SDK", () => {
  it.scopedLive("GetCallerIdentity answers the own account; AssumeRole gives member credentials", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start()
      const sts = stsClient(stack)
      const me = yield* Effect.promise(() => sts.send(new GetCallerIdentityCommand({})))
      expect(me.Account).toBe(stack.accounts.own)
      expect(me.Arn).toContain(stack.accounts.own)

      const member = stack.accounts.members[0]!
      const assumed = yield* Effect.promise(() =>
        sts.send(new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${member}:role/${stack.roleName}`,
          RoleSessionName: "highvolt-scanner",
          ExternalId: stack.externalId
        }))
      )
      const c = assumed.Credentials!
      expect(c.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/)
      expect(c.Expiration!.getTime()).toBeGreaterThan(Date.now() + 3500_000)
      const asMember = stsClient(stack, { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! })
      const who = yield* Effect.promise(() => asMember.send(new GetCallerIdentityCommand({})))
      expect(who.Account).toBe(member)
      expect(who.Arn).toBe(`arn:aws:sts::${member}:assumed-role/${stack.roleName}/highvolt-scanner`)
      expect(stack.sts.counters).toMatchObject({ getCallerIdentity: 2, assumeRole: 1, denied: 0 })
      expect(stack.sts.counters.assumedByAccount).toEqual({ [member]: 1 })
    }))

  it.scopedLive("AssumeRole is denied outside the organization, for another role, or a wrong external id", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start()
      const sts = stsClient(stack)
      const member = stack.accounts.members[1]!
      const assume = (account: string, role: string, externalId: string | undefined) =>
        attempt(() =>
          sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${role}`, RoleSessionName: "s", ExternalId: externalId }))
        )
      expect(errorOf(yield* assume(stack.accounts.outside, stack.roleName, stack.externalId))).toBe("ValidationError 400")
      const outside = yield* attempt(() =>
        sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${stack.accounts.outside}:role/${stack.roleName}`, RoleSessionName: "scan", ExternalId: stack.externalId }))
      )
      expect(errorOf(outside)).toBe("AccessDenied 403")
      expect(outside.ok ? "" : outside.error.message).toContain(`not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${stack.accounts.outside}:role/`)
      const wrongRole = yield* attempt(() =>
        sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${member}:role/Other`, RoleSessionName: "scan", ExternalId: stack.externalId }))
      )
      expect(errorOf(wrongRole)).toBe("AccessDenied 403")
      const wrongId = yield* attempt(() =>
        sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${member}:role/${stack.roleName}`, RoleSessionName: "scan", ExternalId: "nope" }))
      )
      expect(errorOf(wrongId)).toBe("AccessDenied 403")
      const noId = yield* attempt(() =>
        sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${member}:role/${stack.roleName}`, RoleSessionName: "scan" }))
      )
      expect(errorOf(noId)).toBe("AccessDenied 403")
      stack.sts.denyAccount(member)
      const removed = yield* attempt(() =>
        sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${member}:role/${stack.roleName}`, RoleSessionName: "scan", ExternalId: stack.externalId }))
      )
      expect(errorOf(removed)).toBe("AccessDenied 403")
      expect(stack.sts.counters.denied).toBe(5)
      const bogus = stsClient(stack, { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "x" })
      expect(errorOf(yield* attempt(() => bogus.send(new GetCallerIdentityCommand({}))))).toBe("InvalidClientTokenId 403")
      const badSecret = stsClient(stack, { accessKeyId: stack.ownCredentials.accessKeyId, secretAccessKey: "wrong" })
      expect(errorOf(yield* attempt(() => badSecret.send(new GetCallerIdentityCommand({}))))).toBe("SignatureDoesNotMatch 403")
    }))

  it.scopedLive("S3: own buckets with own credentials, member buckets only with that member's session", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start()
      const [region, otherRegion] = stack.regions as [string, string]
      const [memberA, memberB] = stack.accounts.members as [string, string]
      const ownBucket = stack.bucketName(stack.accounts.own, region)
      const memberBucket = stack.bucketName(memberA, otherRegion)
      const key = "reports/Q1 résumé +50%.pdf"
      yield* stack.putObject({ bucket: ownBucket, key, body: "own bytes", contentType: "application/pdf" })
      yield* stack.putObject({ bucket: memberBucket, key, body: "member bytes", contentType: "text/plain" })

      const own = s3Client(stack, region)
      const got = yield* Effect.promise(() => own.send(new GetObjectCommand({ Bucket: ownBucket, Key: key })))
      expect(yield* Effect.promise(() => got.Body!.transformToString())).toBe("own bytes")
      expect(got.ContentType).toBe("application/pdf")

      const ownOther = s3Client(stack, otherRegion)
      expect(errorOf(yield* attempt(() => ownOther.send(new GetObjectCommand({ Bucket: memberBucket, Key: key })))))
        .toBe("AccessDenied 403")

      const sts = stsClient(stack)
      const session = async (account: string) => {
        const r = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${stack.roleName}`, RoleSessionName: "scan", ExternalId: stack.externalId }))
        const c = r.Credentials!
        return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }
      }
      const a = s3Client(stack, otherRegion, yield* Effect.promise(() => session(memberA)))
      const b = s3Client(stack, otherRegion, yield* Effect.promise(() => session(memberB)))
      const fromA = yield* Effect.promise(() => a.send(new GetObjectCommand({ Bucket: memberBucket, Key: key })))
      expect(yield* Effect.promise(() => fromA.Body!.transformToString())).toBe("member bytes")
      expect(errorOf(yield* attempt(() => b.send(new GetObjectCommand({ Bucket: memberBucket, Key: key }))))).toBe("AccessDenied 403")
      // A member session may not read the own account's buckets either.
      const aHome = s3Client(stack, region, yield* Effect.promise(() => session(memberA)))
      expect(errorOf(yield* attempt(() => aHome.send(new GetObjectCommand({ Bucket: ownBucket, Key: key }))))).toBe("AccessDenied 403")

      // Wrong region: AWS's AuthorizationHeaderMalformed naming the right one.
      const wrong = yield* attempt(() => own.send(new GetObjectCommand({ Bucket: stack.bucketName(stack.accounts.own, otherRegion), Key: key })))
      expect(errorOf(wrong)).toBe("AuthorizationHeaderMalformed 400")
      expect(wrong.ok ? "" : wrong.error.Region).toBe(otherRegion)

      const missing = yield* attempt(() => own.send(new GetObjectCommand({ Bucket: ownBucket, Key: "nope" })))
      expect(errorOf(missing)).toBe("NoSuchKey 404")
      const head = yield* attempt(() => own.send(new HeadObjectCommand({ Bucket: ownBucket, Key: "nope" })))
      expect(errorOf(head)).toBe("NotFound 404")

      const listed = yield* Effect.promise(() => own.send(new ListBucketsCommand({})))
      // Buckets are created concurrently: compare as sets.
      // The own account also holds the backfill report bucket, as terraform's enable_backfill creates it.
      expect(listed.Buckets!.map((x) => x.Name).sort()).toEqual([...stack.regions.map((r) => stack.bucketName(stack.accounts.own, r)), stack.backfill.reportBucket].sort())

      // Writes through the gate work too (same account rules).
      yield* Effect.promise(() => own.send(new PutObjectCommand({ Bucket: ownBucket, Key: "via-sdk.txt", Body: "sdk" })))
      const back = yield* Effect.promise(() => own.send(new GetObjectCommand({ Bucket: ownBucket, Key: "via-sdk.txt" })))
      expect(yield* Effect.promise(() => back.Body!.transformToString())).toBe("sdk")
      expect(stack.s3.counters.denied).toBe(4)
    }))

  it.scopedLive("Secrets Manager serves the PAT secret, binary secrets, and its errors", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack.start()
      const sm = secretsClient(stack)
      const got = yield* Effect.promise(() => sm.send(new GetSecretValueCommand({ SecretId: stack.env.JSONAIR_SECRET_NAME })))
      expect(JSON.parse(got.SecretString!)).toEqual({ JSONAIR_PAT: stack.jsonairPat })
      expect(got.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:${stack.regions[0]}:${stack.accounts.own}:secret:highvolt/jsonair-pat-`))
      const byArn = yield* Effect.promise(() => sm.send(new GetSecretValueCommand({ SecretId: got.ARN! })))
      expect(byArn.SecretString).toBe(got.SecretString)

      stack.secretsManager.put("binary", new Uint8Array([1, 2, 3]))
      const bin = yield* Effect.promise(() => sm.send(new GetSecretValueCommand({ SecretId: "binary" })))
      expect(bin.SecretString).toBeUndefined()
      expect([...bin.SecretBinary!]).toEqual([1, 2, 3])

      expect(errorOf(yield* attempt(() => sm.send(new GetSecretValueCommand({ SecretId: "unknown" })))))
        .toBe("ResourceNotFoundException 400")
      stack.secretsManager.deny(stack.env.JSONAIR_SECRET_NAME)
      expect(errorOf(yield* attempt(() => sm.send(new GetSecretValueCommand({ SecretId: stack.env.JSONAIR_SECRET_NAME })))))
        .toBe("AccessDeniedException 400")
      expect(stack.secretsManager.counters).toEqual({ getSecretValue: 5, notFound: 1, denied: 1 })
    }))
})
