/** Real AWS SDK v3 clients and plain node:http calls aimed at a running local stack. */
import { S3Client } from "@aws-sdk/client-s3"
import { S3ControlClient } from "@aws-sdk/client-s3-control"
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager"
import { STSClient } from "@aws-sdk/client-sts"
import * as http from "node:http"
import type { LocalStackHandle } from "../../emulators/LocalStack.js"

export interface Creds {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string
}

/** An S3 client configured the way the scanner configures its own (path style, checksums only when required). */
export const s3Client = (stack: LocalStackHandle, region: string, credentials: Creds = stack.ownCredentials) =>
  new S3Client({
    region,
    endpoint: stack.env.AWS_ENDPOINT_URL_S3,
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1
  })

/** An S3 Control client; the emulator's URL used as it is (S3 Control's rules would put the account id in front of 127.0.0.1). */
export const s3ControlClient = (stack: LocalStackHandle, region: string = stack.regions[0]!, credentials: Creds = stack.ownCredentials) =>
  new S3ControlClient({ region, credentials, maxAttempts: 1, endpointProvider: () => ({ url: new URL(stack.env.AWS_ENDPOINT_URL_S3_CONTROL) }) })

export const stsClient = (stack: LocalStackHandle, credentials: Creds = stack.ownCredentials) =>
  new STSClient({ region: stack.regions[0]!, endpoint: stack.env.AWS_ENDPOINT_URL_STS, credentials, maxAttempts: 1 })

export const secretsClient = (stack: LocalStackHandle, credentials: Creds = stack.ownCredentials) =>
  new SecretsManagerClient({
    region: stack.regions[0]!,
    endpoint: stack.env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
    credentials,
    maxAttempts: 1
  })

export interface HttpAnswer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly text: string
  readonly json: any
}

/** One node:http request (which, unlike fetch, sends a body with GET). */
export const request = (
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer } = {}
): Promise<HttpAnswer> =>
  new Promise((resolve, reject) => {
    const body = options.body
    const req = http.request(url, {
      method: options.method ?? "GET",
      agent: false,
      headers: {
        ...(body === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }),
        ...options.headers
      }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
      res.on("error", reject)
    })
    req.on("error", reject)
    req.end(body)
  })

export const postJson = (url: string, body: unknown, jwt?: string) =>
  request(url, {
    method: "POST",
    body: JSON.stringify(body),
    headers: jwt === undefined ? {} : { Authorization: `Bearer ${jwt}` }
  })

/** Logs in to highvolt or JSONAir (`service` is `highvolt` or `jsonair`) and returns the JWT. */
export const login = async (baseUrl: string, service: "highvolt" | "jsonair", pat: string): Promise<string> => {
  const answer = await postJson(`${baseUrl}/api/v1/${service}/auth/token`, { token: pat })
  if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${answer.text}`)
  return answer.json.access_token as string
}
