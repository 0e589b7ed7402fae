import { GetCallerIdentityCommand } from "@aws-sdk/client-sts"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as net from "node:net"
import { LocalStack } from "../../emulators/LocalStack.js"
import { stsClient } from "./clients.js"

const port = (url: string) => Number(new URL(url).port)

// `it.effect` runs on the TestClock: fine here, these tests wait only on real I/O, never on Effect.sleep.
layer(LocalStack.layer({ ownAccount: "123456789012", memberAccounts: ["210987654321"], externalId: null }))("LocalStack.layer", (it) => {
  it.effect("serves one stack to the tests of a file; env says where everything is", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack
      expect(stack.env).toMatchObject({
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: stack.ownCredentials.accessKeyId,
        JSONAIR_SECRET_NAME: "highvolt/jsonair-pat",
        JSONAIR_TYPE: "aws-s3-lambda",
        JSONAIR_NAME: "scanner",
        CROSS_ACCOUNT_ROLE: "OrganizationAccountAccessRole"
      })
      expect(stack.env).not.toHaveProperty("CROSS_ACCOUNT_EXTERNAL_ID")
      const urls = [stack.env.AWS_ENDPOINT_URL_S3, stack.env.AWS_ENDPOINT_URL_STS, stack.env.AWS_ENDPOINT_URL_SECRETS_MANAGER, stack.env.JSONAIR_URL, stack.highvolt.url]
      for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(new Set(urls.map(port)).size).toBe(urls.length)
      const me = yield* Effect.promise(() => stsClient(stack).send(new GetCallerIdentityCommand({})))
      expect(me.Account).toBe("123456789012")
      // Every fake secret is recognisable.
      for (const secret of stack.secretValues()) expect(secret).toMatch(/hvtest|^eyJ/)
    }))

  it.effect("listens on loopback only", () =>
    Effect.gen(function*() {
      const stack = yield* LocalStack
      // The servers are bound to 127.0.0.1: another local address of this host is refused.
      const refused = yield* Effect.promise(() =>
        new Promise<string>((resolve) => {
          const socket = net.connect({ host: "127.0.0.2", port: port(stack.highvolt.url) })
          socket.on("connect", () => {
            socket.destroy()
            resolve("connected")
          })
          socket.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"))
        })
      )
      expect(refused).toBe("ECONNREFUSED")
    }))
})
