/**
 * Whose credentials read which bucket, on the wire: the Lambda's own buckets with its execution
 * role (no STS call), member accounts' buckets with the role assumed in that account (one
 * AssumeRole per account, however many events, concurrent or not), and reads that AWS would
 * refuse — wrong account, account outside the organization — failing visibly, never silently.
 */
import { Effect } from "effect"
import * as diagnostics from "node:diagnostics_channel"
import type * as net from "node:net"
import { beforeAll, describe, expect, it } from "vitest"
import { cloudTrail, notification, type ObjectRef, s3EventBridge, sqsBatch, sqsMessage } from "./events.js"
import {
  type Container,
  getObjectCalls,
  leakedSecrets,
  pdf,
  sha256,
  submissionsOf,
  useStack
} from "./helpers.js"

const local = useStack()
let app: Container
let own: string
let members: ReadonlyArray<string>
let regions: ReadonlyArray<string>

const run = <A>(effect: Effect.Effect<A>) => Effect.runPromise(effect)

const put = async (account: string, region: string, key: string) => {
  const bucket = local.stack.bucketName(account, region)
  const body = pdf(`${account}/${region}/${key}`)
  await run(local.stack.putObject({ bucket, key, body }))
  return { object: { account, region, bucket, key } satisfies ObjectRef, hash: sha256(body) }
}

const assumeRoleCalls = () => local.stack.sts.calls.filter((c) => c.action === "AssumeRole")

beforeAll(async () => {
  own = local.stack.accounts.own
  members = local.stack.accounts.members
  regions = local.stack.regions
  app = local.container()
})

describe("credentials per account", () => {
  it("the Lambda's own buckets are read with the execution role, in every region, without any AssumeRole", async () => {
    const objects = await Promise.all(regions.flatMap((region) => [0, 1, 2].map((i) => put(own, region, `own/${i}.pdf`))))
    const events = objects.map(({ object }, i) => (i % 2 === 0 ? cloudTrail(object) : s3EventBridge(object)))
    await Promise.all(events.map((event) => app.invoke(event)))
    expect(app.outcomes().map((o) => o.outcome)).toEqual(objects.map(() => "submitted"))
    for (const { object, hash } of objects) {
      const calls = getObjectCalls(local.stack, object.bucket, object.key)
      expect(calls.map((c) => [c.status, c.accessKeyId, c.account])).toEqual([[200, local.stack.ownCredentials.accessKeyId, own]])
      // Signed for the bucket's own region (the gate refuses any other).
      expect(String(calls[0]!.headers["authorization"])).toContain(`/${object.region}/s3/aws4_request`)
      expect(submissionsOf(local.stack, hash)).toHaveLength(1)
    }
    // Cold start: one GetCallerIdentity; own buckets never need STS.
    expect(local.stack.sts.counters).toMatchObject({ getCallerIdentity: 1, assumeRole: 0 })
  })

  it("member buckets are read with the role assumed in that account: one AssumeRole per account across 48 events", async () => {
    const objects = await Promise.all(
      members.flatMap((account) => regions.flatMap((region) => Array.from({ length: 6 }, (_, i) => put(account, region, `member/${i}.pdf`))))
    )
    expect(objects).toHaveLength(24)
    // Half as concurrent single invocations (three shapes), half in one SQS batch; then all of it again (duplicates).
    const singles = objects.slice(0, 12).map(({ object }, i) => [cloudTrail, s3EventBridge, (o: ObjectRef) => cloudTrail(o, { keyAs: "encoded" })][i % 3]!(object))
    const batch = sqsBatch(objects.slice(12).map(({ object }) => sqsMessage(cloudTrail(object))))
    const [batchAnswer] = await Promise.all([app.invoke(batch), ...singles.map((event) => app.invoke(event))])
    expect(batchAnswer).toEqual({ batchItemFailures: [] })
    await Promise.all(objects.map(({ object }) => app.invoke(cloudTrail(object))))

    const memberOutcomes = app.outcomes().filter((o) => o.account !== own)
    expect(memberOutcomes.filter((o) => o.outcome === "submitted")).toHaveLength(24)
    expect(memberOutcomes.filter((o) => o.outcome === "duplicate")).toHaveLength(24)

    // Exactly one AssumeRole per member account, answered with credentials, for 48 events.
    expect(local.stack.sts.counters.assumedByAccount).toEqual(Object.fromEntries(members.map((m) => [m, 1])))
    expect(local.stack.sts.counters.assumeRole).toBe(members.length)
    expect(assumeRoleCalls().map((c) => [c.status, c.account, c.params["RoleArn"], c.params["ExternalId"]]).sort()).toEqual(
      members.map((m) => [200, own, `arn:aws:iam::${m}:role/${local.stack.roleName}`, local.stack.externalId]).sort()
    )
    // Each member's bucket was read only with that member's session.
    for (const { object } of objects) {
      const calls = getObjectCalls(local.stack, object.bucket, object.key)
      expect(calls.length).toBeGreaterThanOrEqual(2)
      for (const call of calls.filter((c) => c.status === 200)) {
        const session = local.stack.sts.sessions.find((s) => s.accessKeyId === call.accessKeyId)
        expect(session?.account).toBe(object.account)
        expect(session?.roleName).toBe(local.stack.roleName)
        expect(call.account).toBe(object.account)
      }
    }
  })

  it("a wrong-account read fails with AccessDenied, visibly: the invocation throws and the outcome says why", async () => {
    // A classic notification names no account: the bucket is taken to be ours, but it is a member's.
    const { object: memberObject, hash: memberHash } = await put(members[0]!, regions[0]!, "wrong/notified.pdf")
    const notified = await app.invokeFailing(notification([memberObject]))
    expect(notified.message).toMatch(/AccessDenied/)
    expect(notified.message).toContain("wrong/notified.pdf")
    expect(getObjectCalls(local.stack, memberObject.bucket, memberObject.key).map((c) => [c.status, c.code, c.account])).toEqual([
      [403, "AccessDenied", own]
    ])

    // CloudTrail names the wrong owner: member 0's role cannot read member 1's bucket.
    const { object: otherObject, hash: otherHash } = await put(members[1]!, regions[1]!, "wrong/claimed.pdf")
    const claimed = cloudTrail(otherObject, { claimedOwner: members[0]! })
    const claimedError = await app.invokeFailing(claimed)
    expect(claimedError.message).toMatch(/AccessDenied/)
    const claimedCalls = getObjectCalls(local.stack, otherObject.bucket, otherObject.key)
    expect(claimedCalls.map((c) => [c.status, c.code, c.account])).toEqual([[403, "AccessDenied", members[0]]])
    expect(app.outcomesOf(claimed.id)).toMatchObject([
      { outcome: "failed", account: members[0], bucket: otherObject.bucket, key: otherObject.key, error: { tag: "ObjectError", message: expect.stringMatching(/AccessDenied/) } }
    ])
    // Permanent: not retried, nothing sent to highvolt.
    expect(submissionsOf(local.stack, memberHash)).toHaveLength(0)
    expect(submissionsOf(local.stack, otherHash)).toHaveLength(0)
    expect(leakedSecrets(local.stack, [notified.message, claimedError.message])).toEqual([])
  })

  it("an account outside the organization: AssumeRole is denied, the event fails with CredentialsError, and the denial is not cached", async () => {
    const outside = local.stack.accounts.outside
    const { object } = await put(outside, regions[0]!, "outside/file.pdf")
    const deniedBefore = local.stack.sts.counters.denied
    const first = cloudTrail(object)
    const error = await app.invokeFailing(first)
    expect(error.message).toContain(`arn:aws:iam::${outside}:role/${local.stack.roleName}`)
    expect(app.outcomesOf(first.id)).toMatchObject([{ outcome: "failed", account: outside, error: { tag: "CredentialsError" } }])
    // The next event asks STS again (a role may be created meanwhile) — and is denied again.
    await app.invokeFailing(cloudTrail(object))
    expect(local.stack.sts.counters.denied - deniedBefore).toBe(2)
    expect(getObjectCalls(local.stack, object.bucket, object.key)).toHaveLength(0)
    // In an SQS batch, only that message fails.
    const good = await put(members[1]!, regions[0]!, "outside/neighbour.pdf")
    const bad = sqsMessage(cloudTrail(object))
    const answer = await app.invoke(sqsBatch([sqsMessage(cloudTrail(good.object)), bad]))
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] })
    expect(submissionsOf(local.stack, good.hash)).toHaveLength(1)
    expect(leakedSecrets(local.stack, [error.message])).toEqual([])
  })

  it("a member session that S3 rejects as expired is not reused: Lambda's retry of the event assumes the role again", async () => {
    const member = members[1]!
    const { object, hash } = await put(member, regions[1]!, "expired/session.pdf")
    const assumed = local.stack.sts.counters.assumedByAccount[member] ?? 0
    expect(assumed).toBeGreaterThanOrEqual(1)
    // STS's sessions end early (revoked, or a clock that runs behind): S3 answers ExpiredToken.
    local.stack.sts.expireSessions()
    const event = cloudTrail(object)
    const first = await app.invoke(event).then(() => "submitted", (e: Error) => e.message)
    // Lambda retries a failed event within minutes; the cached credentials are good for ~55 more.
    const retried = first === "submitted" ? first : await app.invoke(event).then(() => "submitted", (e: Error) => e.message)
    expect(retried, `first attempt: ${first}`).toBe("submitted")
    expect(local.stack.sts.counters.assumedByAccount[member]).toBe(assumed + 1)
    expect(submissionsOf(local.stack, hash)).toHaveLength(1)
  })
})

describe("connections to S3", () => {
  it("every account and region shares one keep-alive pool, closed with the container", async () => {
    const port = Number(new URL(local.stack.s3.url).port)
    const sockets: Array<net.Socket> = []
    const onSocket = ({ socket }: { socket: net.Socket }) => {
      socket.once("connect", () => socket.remotePort === port && sockets.push(socket))
    }
    const objects = await Promise.all([own, members[0]!].flatMap((account) => regions.map((region) => put(account, region, "pool/one.pdf"))))
    const container = local.container()
    diagnostics.subscribe("net.client.socket", onSocket as never)
    try {
      // One after another: four (account, region) clients, so four pools would open four sockets.
      for (const { object } of objects) await container.invoke(cloudTrail(object))
      expect(container.outcomes().map((o) => o.outcome)).toEqual(objects.map(() => "submitted"))
      expect(sockets).toHaveLength(1)
      expect(sockets[0]!.destroyed).toBe(false)
      await container.dispose()
      expect(sockets.every((socket) => socket.destroyed)).toBe(true)
    } finally {
      diagnostics.unsubscribe("net.client.socket", onSocket as never)
      await container.dispose()
    }
  })
})
