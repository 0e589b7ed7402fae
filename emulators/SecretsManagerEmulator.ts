/**
 * The Secrets Manager emulator (JSON 1.1, `X-Amz-Target: secretsmanager.GetSecretValue`), with
 * secrets of the own account only. Errors come as the service sends them: `__type` in the body
 * and `x-amzn-ErrorType`, HTTP 400.
 */
import { randomBytes, randomUUID } from "node:crypto"
import type * as http from "node:http"
import { Effect, type Scope } from "effect"
import { type AwsCallRecord, type AwsError, jsonAuthError, makeErrorQueue, requestId } from "./internal/awsProtocol.js"
import { isRecord, parseJson, readBody } from "./internal/jsonHttp.js"
import { listen } from "./internal/loopbackServer.js"
import { sha256Hex } from "./internal/sigv4.js"
import type { Iam } from "./IamEmulator.js"

/** A secret's value: text, or bytes (served as `SecretBinary`). */
export type SecretValue = string | Uint8Array

export interface SecretsCounters {
  getSecretValue: number
  notFound: number
  denied: number
}

export interface SecretsEmulator {
  readonly url: string
  readonly counters: Readonly<SecretsCounters>
  readonly calls: ReadonlyArray<AwsCallRecord>
  /** Creates or replaces a secret (a new version). */
  readonly put: (name: string, value: SecretValue) => void
  readonly remove: (name: string) => void
  /** GetSecretValue of `name` answers AccessDeniedException until `allow`. */
  readonly deny: (name: string) => void
  readonly allow: (name: string) => void
  /** The next `times` calls answer this error (e.g. `{status: 400, code: "AccessDeniedException", …}`). */
  readonly failNext: (error: AwsError, times?: number) => void
  readonly clearFaults: () => void
}

interface Stored {
  readonly value: SecretValue
  readonly versionId: string
  readonly arn: string
  readonly createdAt: number
}

export const start = (options: {
  readonly iam: Iam
  readonly region: string
  readonly secrets?: Readonly<Record<string, SecretValue>>
}): Effect.Effect<SecretsEmulator, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { iam, region } = options
    const secrets = new Map<string, Stored>()
    const denied = new Set<string>()
    const injected = makeErrorQueue()
    const calls: Array<AwsCallRecord> = []
    const counters: SecretsCounters = { getSecretValue: 0, notFound: 0, denied: 0 }

    const put = (name: string, value: SecretValue) => {
      secrets.set(name, {
        value,
        versionId: randomUUID(),
        // Real ARNs end in a dash and six random characters.
        arn: `arn:aws:secretsmanager:${region}:${iam.ownAccount}:secret:${name}-${randomBytes(3).toString("hex")}`,
        createdAt: Date.now()
      })
    }
    for (const [name, value] of Object.entries(options.secrets ?? {})) put(name, value)

    const find = (id: string) => {
      const byName = secrets.get(id)
      if (byName !== undefined) return [id, byName] as const
      for (const [name, stored] of secrets) if (stored.arn === id) return [name, stored] as const
      return undefined
    }

    const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      const body = await readBody(req, 1024 * 1024)
      const rawUrl = req.url ?? "/"
      const target = String(req.headers["x-amz-target"] ?? "")
      const action = target.replace(/^secretsmanager\./, "")
      const auth = iam.authenticate({ method: req.method ?? "", rawUrl, headers: req.headers, payloadHash: sha256Hex(body) })
      const input = parseJson(body.toString("utf8"))
      const entry: AwsCallRecord = {
        at: Date.now(),
        action,
        accessKeyId: auth.ok ? auth.caller.accessKeyId : auth.accessKeyId,
        account: auth.ok ? auth.caller.account : undefined,
        headers: { ...req.headers },
        params: isRecord(input) ? input : {},
        status: 0
      }
      calls.push(entry)
      const answer = (status: number, json: unknown, code?: string) => {
        entry.status = status
        const text = JSON.stringify(json)
        const headers: Record<string, string | number> = {
          "Content-Type": "application/x-amz-json-1.1",
          "Content-Length": Buffer.byteLength(text),
          "x-amzn-RequestId": requestId()
        }
        if (code !== undefined) {
          entry.code = code
          headers["x-amzn-ErrorType"] = code
        }
        res.writeHead(status, headers)
        res.end(text)
      }
      const fail = (error: AwsError) => answer(error.status, { __type: error.code, Message: error.message }, error.code)

      if (!auth.ok) return fail(jsonAuthError(auth.failure))
      if (action !== "GetSecretValue") {
        return fail({ status: 400, code: "UnknownOperationException", message: `Unknown operation ${target}` })
      }
      counters.getSecretValue += 1
      const id = isRecord(input) && typeof input.SecretId === "string" ? input.SecretId : ""
      const deniedError: AwsError = {
        status: 400,
        code: "AccessDeniedException",
        message: `User: ${auth.caller.arn} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id} because no identity-based policy allows the secretsmanager:GetSecretValue action`
      }
      const error = injected.take(action)
      if (error !== undefined) return fail(error)
      // Secrets live in the own account; another account's identity is not allowed to read them.
      if (denied.has(id) || auth.caller.account !== iam.ownAccount) {
        counters.denied += 1
        return fail(deniedError)
      }
      const found = find(id)
      if (found === undefined) {
        counters.notFound += 1
        return fail({ status: 400, code: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." })
      }
      const [name, stored] = found
      answer(200, {
        ARN: stored.arn,
        Name: name,
        VersionId: stored.versionId,
        ...(typeof stored.value === "string"
          ? { SecretString: stored.value }
          : { SecretBinary: Buffer.from(stored.value).toString("base64") }),
        VersionStages: ["AWSCURRENT"],
        CreatedDate: stored.createdAt / 1000
      })
    }

    const server = yield* listen((req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent && !req.destroyed) {
          res.writeHead(500, { "Content-Type": "application/x-amz-json-1.1" })
          res.end(JSON.stringify({ __type: "InternalServiceError", Message: "internal error" }))
        }
      })
    })

    return {
      url: server.url,
      counters,
      calls,
      put,
      remove: (name) => {
        secrets.delete(name)
      },
      deny: (name) => {
        denied.add(name)
      },
      allow: (name) => {
        denied.delete(name)
      },
      failNext: (error, times = 1) => injected.inject(error, times),
      clearFaults: injected.clear
    } satisfies SecretsEmulator
  })
