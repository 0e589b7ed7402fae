/**
 * The STS emulator (AWS Query protocol, XML answers as AWS words them): `GetCallerIdentity` and
 * `AssumeRole`. A role may be assumed only in the organization's member accounts, only under
 * the configured role name, and only with the configured external id; anything else is
 * `AccessDenied`, as AWS answers when the trust policy does not allow it.
 */
import type * as http from "node:http"
import { Effect, type Scope } from "effect"
import { type AwsCallRecord, type AwsError, makeErrorQueue, queryAuthError, requestId, xmlEscape } from "./internal/awsProtocol.js"
import { readBody } from "./internal/jsonHttp.js"
import { sha256Hex } from "./internal/sigv4.js"
import { listen } from "./internal/loopbackServer.js"
import type { Iam, Session } from "./IamEmulator.js"

export interface StsOptions {
  readonly iam: Iam
  /** Accounts whose role may be assumed (the organization's members). */
  readonly memberAccounts: ReadonlyArray<string>
  /** The role name that exists in each member account. */
  readonly roleName: string
  /** Required by the roles' trust policy, when set. */
  readonly externalId: string | undefined
  /** Forces the lifetime of issued sessions (seconds), whatever DurationSeconds asks: for expiry tests. */
  readonly sessionTtlSeconds?: number
}

export interface StsCounters {
  getCallerIdentity: number
  assumeRole: number
  /** AssumeRole calls answered AccessDenied. */
  denied: number
  /** Calls answered with an injected error (throttling and others). */
  injected: number
  /** Successful AssumeRole calls per target account. */
  readonly assumedByAccount: Record<string, number>
}

export interface StsEmulator {
  readonly url: string
  readonly counters: Readonly<StsCounters>
  readonly calls: ReadonlyArray<AwsCallRecord>
  /** Sessions issued so far (shared with the S3 gate). */
  readonly sessions: ReadonlyArray<Session>
  /** The role no longer exists in `account` (or its trust policy changed): AssumeRole there is denied. */
  readonly denyAccount: (account: string) => void
  readonly allowAccount: (account: string) => void
  /** The next `times` calls (of `action`, or any) answer `Throttling: Rate exceeded`. */
  readonly throttleNext: (times?: number, action?: "AssumeRole" | "GetCallerIdentity") => void
  /** The next `times` calls answer this error. */
  readonly failNext: (error: AwsError, times?: number, action?: "AssumeRole" | "GetCallerIdentity") => void
  readonly clearFaults: () => void
  /** Forces the lifetime of sessions issued from now on; `undefined` restores DurationSeconds (default 3600). */
  readonly setSessionTtl: (seconds: number | undefined) => void
  /** Makes every session issued so far expire now. */
  readonly expireSessions: () => void
}

const ns = "https://sts.amazonaws.com/doc/2011-06-15/"
const roleArnPattern = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/
const sessionNamePattern = /^[\w+=,.@-]{2,64}$/

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z")

const sendXml = (res: http.ServerResponse, status: number, xml: string, id: string) => {
  res.writeHead(status, { "Content-Type": "text/xml", "Content-Length": Buffer.byteLength(xml), "x-amzn-RequestId": id })
  res.end(xml)
}

const errorXml = (error: AwsError, id: string) =>
  `<ErrorResponse xmlns="${ns}">\n  <Error>\n    <Type>${error.status >= 500 ? "Receiver" : "Sender"}</Type>\n` +
  `    <Code>${xmlEscape(error.code)}</Code>\n    <Message>${xmlEscape(error.message)}</Message>\n  </Error>\n` +
  `  <RequestId>${id}</RequestId>\n</ErrorResponse>\n`

const validation = (message: string): AwsError => ({ status: 400, code: "ValidationError", message })

export const start = (options: StsOptions): Effect.Effect<StsEmulator, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { iam } = options
    const members = new Set(options.memberAccounts)
    const denied = new Set<string>()
    let sessionTtl = options.sessionTtlSeconds
    const injected = makeErrorQueue()
    const calls: Array<AwsCallRecord> = []
    const counters: StsCounters = { getCallerIdentity: 0, assumeRole: 0, denied: 0, injected: 0, assumedByAccount: {} }

    const assumeRole = (params: URLSearchParams, callerArn: string, id: string): AwsError | string => {
      const roleArn = params.get("RoleArn") ?? ""
      const sessionName = params.get("RoleSessionName") ?? ""
      const match = roleArnPattern.exec(roleArn)
      if (match === null) return validation(`${roleArn} is invalid`)
      if (!sessionNamePattern.test(sessionName)) {
        return validation(
          `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`
        )
      }
      const duration = params.has("DurationSeconds") ? Number(params.get("DurationSeconds")) : 3600
      if (!Number.isInteger(duration) || duration < 900) {
        return validation("1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")
      }
      if (duration > 3600) return validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
      const [, account, roleName] = match as unknown as [string, string, string]
      const trusted = members.has(account) && !denied.has(account) && roleName === options.roleName &&
        (options.externalId === undefined || params.get("ExternalId") === options.externalId)
      if (!trusted) {
        counters.denied += 1
        return {
          status: 403,
          code: "AccessDenied",
          message: `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`
        }
      }
      const session = iam.issue(account, roleName, sessionName, sessionTtl ?? duration)
      counters.assumedByAccount[account] = (counters.assumedByAccount[account] ?? 0) + 1
      return `<AssumeRoleResponse xmlns="${ns}">\n  <AssumeRoleResult>\n    <AssumedRoleUser>\n` +
        `      <AssumedRoleId>AROA${account}ROLE:${xmlEscape(sessionName)}</AssumedRoleId>\n` +
        `      <Arn>${xmlEscape(session.arn)}</Arn>\n    </AssumedRoleUser>\n    <Credentials>\n` +
        `      <AccessKeyId>${session.accessKeyId}</AccessKeyId>\n` +
        `      <SecretAccessKey>${xmlEscape(session.secretAccessKey)}</SecretAccessKey>\n` +
        `      <SessionToken>${xmlEscape(session.sessionToken)}</SessionToken>\n` +
        `      <Expiration>${iso(session.expiresAt)}</Expiration>\n    </Credentials>\n  </AssumeRoleResult>\n` +
        `  <ResponseMetadata>\n    <RequestId>${id}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n`
    }

    const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      const id = requestId()
      const body = await readBody(req, 1024 * 1024)
      const rawUrl = req.url ?? "/"
      const params = new URLSearchParams(rawUrl.includes("?") ? rawUrl.slice(rawUrl.indexOf("?") + 1) : "")
      for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params.set(k, v)
      const action = params.get("Action") ?? ""
      const auth = iam.authenticate({ method: req.method ?? "", rawUrl, headers: req.headers, payloadHash: sha256Hex(body) })
      const entry: AwsCallRecord = {
        at: Date.now(),
        action,
        accessKeyId: auth.ok ? auth.caller.accessKeyId : auth.accessKeyId,
        account: auth.ok ? auth.caller.account : undefined,
        headers: { ...req.headers },
        params: Object.fromEntries(params),
        status: 0
      }
      calls.push(entry)
      const answer = (status: number, xml: string, code?: string) => {
        entry.status = status
        if (code !== undefined) entry.code = code
        sendXml(res, status, xml, id)
      }
      const fail = (error: AwsError) => answer(error.status, errorXml(error, id), error.code)

      if (!auth.ok) return fail(queryAuthError(auth.failure))
      if (action === "GetCallerIdentity") counters.getCallerIdentity += 1
      if (action === "AssumeRole") counters.assumeRole += 1
      const error = injected.take(action)
      if (error !== undefined) {
        counters.injected += 1
        return fail(error)
      }
      switch (action) {
        case "GetCallerIdentity":
          return answer(
            200,
            `<GetCallerIdentityResponse xmlns="${ns}">\n  <GetCallerIdentityResult>\n` +
              `    <Arn>${xmlEscape(auth.caller.arn)}</Arn>\n    <UserId>${xmlEscape(auth.caller.userId)}</UserId>\n` +
              `    <Account>${auth.caller.account}</Account>\n  </GetCallerIdentityResult>\n` +
              `  <ResponseMetadata>\n    <RequestId>${id}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`
          )
        case "AssumeRole": {
          const result = assumeRole(params, auth.caller.arn, id)
          return typeof result === "string" ? answer(200, result) : fail(result)
        }
        default:
          return fail({ status: 400, code: "InvalidAction", message: `Could not find operation ${action} for version 2011-06-15` })
      }
    }

    const server = yield* listen((req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent && !req.destroyed) sendXml(res, 500, errorXml({ status: 500, code: "InternalFailure", message: "internal error" }, requestId()), "")
      })
    })

    return {
      url: server.url,
      counters,
      calls,
      sessions: iam.sessions,
      denyAccount: (account) => {
        denied.add(account)
      },
      allowAccount: (account) => {
        denied.delete(account)
      },
      throttleNext: (times = 1, action) => injected.inject({ status: 400, code: "Throttling", message: "Rate exceeded" }, times, action),
      failNext: (error, times = 1, action) => injected.inject(error, times, action),
      clearFaults: injected.clear,
      setSessionTtl: (seconds) => {
        sessionTtl = seconds
      },
      expireSessions: iam.expireSessions
    } satisfies StsEmulator
  })
