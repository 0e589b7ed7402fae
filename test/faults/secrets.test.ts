/**
 * The JSONAir PAT in Secrets Manager, at cold start, with the production layers: an unknown
 * secret, access denied, a binary secret, JSON without `JSONAIR_PAT`, empty values, a wrong
 * PAT, and transient errors (retried). Every permanent problem fails the cold start at once
 * (one GetSecretValue, no JSONAir call) with a message naming the secret — never its value.
 */
import { describe, expect, it } from "vitest"
import {
  answer,
  cloudTrail,
  expectClean,
  expectOneOutcome,
  printedSince,
  printMark,
  rejection,
  seed,
  useStack
} from "./helpers.js"

const local = useStack({
  afterEach: (stack) => {
    const secretName = stack.env.JSONAIR_SECRET_NAME
    stack.secretsManager.clearFaults()
    stack.secretsManager.allow(secretName)
    stack.secretsManager.put(secretName, JSON.stringify({ JSONAIR_PAT: stack.jsonairPat }))
  }
})
const secretName = () => local.stack.env.JSONAIR_SECRET_NAME

/** Values put into secrets by these tests: recognisable, and never to be printed either. */
const canaries = {
  lowercaseKey: "hvtest-canary-lowercase-key-value-1a2b3c",
  otherKey: "hvtest-canary-other-key-value-4d5e6f",
  binary: "hvtest-canary-binary-secret-7a8b9c",
  wrongPat: "hvtest-canary-wrong-pat-0d1e2f"
}

const coldStart = async (label: string) => {
  const app = local.container()
  const stack = local.stack
  const s = await seed(stack, `secrets/${label}.pdf`)
  const event = cloudTrail(s.object)
  const reads = stack.secretsManager.counters.getSecretValue
  const jsonairAuth = stack.jsonair.counters.authRequests
  const mark = printMark()
  const invoked = await app.settle(event, 20_000)
  return {
    app,
    event,
    invoked,
    reads: () => stack.secretsManager.counters.getSecretValue - reads,
    jsonairLogins: () => stack.jsonair.counters.authRequests - jsonairAuth,
    printed: () => printedSince(mark)
  }
}

const expectNoCanary = (texts: ReadonlyArray<string>) => {
  for (const canary of Object.values(canaries)) expect(texts.filter((t) => t.includes(canary))).toEqual([])
}

describe("permanent problems fail the cold start at once, naming the secret, never its value", () => {
  const cases: ReadonlyArray<readonly [string, () => void, RegExp]> = [
    ["an unknown secret", () => local.stack.secretsManager.remove(secretName()), /ResourceNotFoundException/],
    ["access denied", () => local.stack.secretsManager.deny(secretName()), /AccessDeniedException: User: .* is not authorized to perform: secretsmanager:GetSecretValue/],
    ["a binary secret", () => local.stack.secretsManager.put(secretName(), Buffer.from(JSON.stringify({ JSONAIR_PAT: canaries.binary }))), /the secret is binary; store the PAT as a string/],
    [
      "JSON without JSONAIR_PAT (other keys hold values)",
      () => local.stack.secretsManager.put(secretName(), JSON.stringify({ jsonair_pat: canaries.lowercaseKey, other: canaries.otherKey })),
      /the secret is a JSON object without a non-empty string JSONAIR_PAT/
    ],
    ["JSONAIR_PAT a number", () => local.stack.secretsManager.put(secretName(), JSON.stringify({ JSONAIR_PAT: 12345678, other: canaries.otherKey })), /without a non-empty string JSONAIR_PAT/],
    ["JSONAIR_PAT empty", () => local.stack.secretsManager.put(secretName(), JSON.stringify({ JSONAIR_PAT: "  " })), /without a non-empty string JSONAIR_PAT/],
    ["an empty secret string", () => local.stack.secretsManager.put(secretName(), "  \n"), /the secret string is empty/]
  ]

  it.each(cases)("%s", async (_, arrange, detail) => {
    arrange()
    const run = await coldStart(`permanent-${Math.random()}`)
    const message = rejection(run.invoked).message
    expect(message.startsWith(`secret ${secretName()}: `), message).toBe(true)
    expect(message).toMatch(detail)
    expect(run.reads()).toBe(1)
    expect(run.jsonairLogins()).toBe(0)
    expect(run.app.outcomes()).toEqual([])
    expectNoCanary([message, ...run.printed()])
    expectClean(local.stack, run.app, [message])
  })

  it("a wrong PAT: JSONAir refuses the login (401), not retried, the PAT not printed", async () => {
    local.stack.secretsManager.put(secretName(), JSON.stringify({ JSONAIR_PAT: canaries.wrongPat }))
    const rejected = local.stack.jsonair.counters.loginsRejected
    const run = await coldStart("wrong-pat")
    const message = rejection(run.invoked).message
    expect(message).toBe("jsonair login failed (HTTP 401): Session expired or invalid")
    expect(local.stack.jsonair.counters.loginsRejected - rejected).toBe(1)
    expect(run.jsonairLogins()).toBe(1)
    expectNoCanary([message, ...run.printed()])
    expectClean(local.stack, run.app, [message])
  })
})

describe("what works", () => {
  it("the plain PAT as the whole secret string", async () => {
    local.stack.secretsManager.put(secretName(), `  ${local.stack.jsonairPat}\n`)
    const run = await coldStart("plain")
    answer(run.invoked)
    expectOneOutcome(run.app, run.event.id, "submitted")
    expectClean(local.stack, run.app)
  })

  it("InternalServiceError ×2 and a throttle: retried, the cold start succeeds", async () => {
    local.stack.secretsManager.failNext({ status: 500, code: "InternalServiceError", message: "An error occurred on the server side." }, 2)
    local.stack.secretsManager.failNext({ status: 400, code: "ThrottlingException", message: "Rate exceeded" }, 1)
    const run = await coldStart("transient")
    answer(run.invoked)
    expect(run.reads()).toBe(4)
    expectOneOutcome(run.app, run.event.id, "submitted")
    expectClean(local.stack, run.app)
  })
})
