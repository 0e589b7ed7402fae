/**
 * TLS towards JSONAir and highvolt-server. TLS-terminating proxies with a self-signed
 * certificate for 127.0.0.1 (generated at test time with openssl; a test-only key in a
 * temporary directory, removed afterwards) stand in front of the two emulators. By default the
 * certificate is refused and the cold start fails with an error that says so; with
 * `TLS_SKIP_VERIFY=true` everything works and one loud warning is logged per container.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import { join } from "node:path"
import * as tls from "node:tls"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { LocalStackHandle } from "../../emulators/LocalStack.js"
import type { EnvOverrides } from "../helpers/localStackHarness.js"
import {
  answer,
  cloudTrail,
  expectClean,
  expectOneOutcome,
  leakedSecrets,
  printedSince,
  printMark,
  rejection,
  runCli,
  seed,
  submissionsOf,
  useStack
} from "./helpers.js"

let certDir: string
const proxies: Array<tls.Server> = []
let httpsJsonAir: string
let httpsHighvolt: string

const local = useStack({ afterEach: (stack) => useHighvolt(stack, stack.highvolt.url) })
const container = (overrides: EnvOverrides = {}) => local.container({ env: overrides })

/** A self-signed certificate for 127.0.0.1, valid one day. */
const selfSigned = () => {
  certDir = mkdtempSync(join(os.tmpdir(), "hv-tls-"))
  const key = join(certDir, "key.pem")
  const cert = join(certDir, "cert.pem")
  execFileSync("/usr/bin/openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"
  ], { stdio: "ignore" })
  return { key: readFileSync(key), cert: readFileSync(cert) }
}

/** An HTTPS endpoint on 127.0.0.1 that forwards the decrypted bytes to `target` (an http URL). */
const tlsProxy = (credentials: { key: Buffer; cert: Buffer }, target: string) =>
  new Promise<string>((resolve) => {
    const { port } = new URL(target)
    const server = tls.createServer(credentials, (secure) => {
      const upstream = net.connect(Number(port), "127.0.0.1")
      secure.pipe(upstream).pipe(secure)
      const close = () => {
        secure.destroy()
        upstream.destroy()
      }
      secure.on("error", close)
      upstream.on("error", close)
    })
    proxies.push(server)
    server.listen(0, "127.0.0.1", () => resolve(`https://127.0.0.1:${(server.address() as net.AddressInfo).port}`))
  })

/** The JSONAir profile, pointing at highvolt through `highvoltUrl`. */
const useHighvolt = (stack: LocalStackHandle, highvoltUrl: string) =>
  stack.jsonair.setProfile(stack.profile.type, stack.profile.name, { ...(stack.config as object), highvolt: { url: highvoltUrl, pat: stack.highvoltPat } })

const warnings = (lines: ReadonlyArray<string>) => lines.filter((l) => l.includes("are NOT verified"))

beforeAll(async () => {
  const credentials = selfSigned()
  httpsJsonAir = await tlsProxy(credentials, local.stack.env.JSONAIR_URL)
  httpsHighvolt = await tlsProxy(credentials, local.stack.highvolt.url)
})

afterAll(() => {
  for (const proxy of proxies) proxy.close()
  if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true })
})

describe("a self-signed certificate", () => {
  it("JSONAir over HTTPS, verification on (the default): the cold start fails at once with an error naming the certificate problem", async () => {
    const app = container({ JSONAIR_URL: httpsJsonAir })
    const s = await seed(local.stack, "tls/jsonair.pdf")
    const logins = local.stack.jsonair.counters.authRequests
    const invoked = await app.settle(cloudTrail(s.object), 10_000)
    const message = rejection(invoked).message
    expect(message).toMatch(/^jsonair login failed: the server.s TLS certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT: self[- ]signed certificate\)/)
    expect(message).toMatch(/TLS_SKIP_VERIFY/)
    // A certificate does not fix itself: no retry until the deadline.
    expect(invoked.ms).toBeLessThan(2_000)
    expect(local.stack.jsonair.counters.authRequests - logins).toBe(0)
    expect(warnings(printedSince())).toEqual([])
    expectClean(local.stack, app, [message])
  })

  it("highvolt over HTTPS (from the profile), verification on: the cold start fails naming highvolt and the certificate", async () => {
    useHighvolt(local.stack, httpsHighvolt)
    const app = container()
    const s = await seed(local.stack, "tls/highvolt.pdf")
    const invoked = await app.settle(cloudTrail(s.object), 10_000)
    expect(rejection(invoked).message).toMatch(/^highvolt login failed: .*self[- ]signed certificate/)
    expect(invoked.ms).toBeLessThan(2_000)
    expectClean(local.stack, app)
  })

  it("TLS_SKIP_VERIFY=true: both over HTTPS work; one loud warning for the container, not one per invocation", async () => {
    useHighvolt(local.stack, httpsHighvolt)
    const app = container({ JSONAIR_URL: httpsJsonAir, TLS_SKIP_VERIFY: "true" })
    const mark = printMark()
    const seeded = await Promise.all([0, 1, 2].map((i) => seed(local.stack, `tls/skip-${i}.pdf`)))
    for (const s of seeded) {
      const event = cloudTrail(s.object)
      answer(await app.settle(event))
      expectOneOutcome(app, event.id, "submitted")
      expect(submissionsOf(local.stack, s.hash).filter((r) => r.accepted)).toHaveLength(1)
    }
    const warned = warnings(printedSince(mark))
    expect(warned).toHaveLength(1)
    expect(JSON.parse(warned[0]!)).toMatchObject({
      logLevel: "WARN",
      message: expect.stringMatching(/TLS_SKIP_VERIFY=true: TLS certificates of JSONAir and highvolt-server are NOT verified\. Never use this in production\./)
    })
    expectClean(local.stack, app)
  })

  it("the CLI: refuses the certificate by default (exit 2, saying why); with TLS_SKIP_VERIFY=true it scans and warns once on stderr", async () => {
    const s = await seed(local.stack, "tls/cli.pdf")
    const input = JSON.stringify(cloudTrail(s.object))
    const refused = await runCli(local.env, ["replay", "-"], { input, env: { JSONAIR_URL: httpsJsonAir } })
    expect(refused.code, refused.stderr).toBe(2)
    expect(refused.stderr).toMatch(/cannot start: jsonair login failed: .*self[- ]signed certificate/)
    const skipped = await runCli(local.env, ["replay", "--json", "-"], { input, env: { JSONAIR_URL: httpsJsonAir, TLS_SKIP_VERIFY: "true" } })
    expect(skipped.code, skipped.stderr).toBe(0)
    // stdout holds the outcome line and nothing else; the warning goes to stderr, once.
    expect(skipped.stdout.trim().split("\n").map((l) => JSON.parse(l))).toMatchObject([{ outcome: "submitted" }])
    expect(warnings(skipped.stderr.split("\n"))).toHaveLength(1)
    expect(leakedSecrets(local.stack, [refused.stdout, refused.stderr, skipped.stdout, skipped.stderr])).toEqual([])
  }, 60_000)
})
