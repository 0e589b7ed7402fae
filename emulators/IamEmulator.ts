/**
 * Who is calling: the identities the emulated AWS services share. The Lambda's own access key
 * belongs to the own account; `AssumeRole` (STS emulator) issues session credentials that
 * belong to the member account of the role. Every AWS emulator authenticates a request here:
 * the access key id names the identity, the SigV4 signature proves the secret.
 */
import { randomBytes } from "node:crypto"
import type { IncomingHttpHeaders } from "node:http"
import { parseSigned, verifySignature } from "./internal/sigv4.js"

export interface AccessKey {
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

/** Temporary credentials issued by `AssumeRole`. */
export interface Session extends AccessKey {
  readonly sessionToken: string
  readonly account: string
  readonly roleName: string
  readonly sessionName: string
  readonly arn: string
  readonly issuedAt: number
  expiresAt: number
}

export interface Caller {
  readonly account: string
  readonly arn: string
  readonly userId: string
  readonly accessKeyId: string
  readonly session: Session | undefined
}

export type AuthFailure = "missing" | "unknown-key" | "bad-token" | "expired" | "bad-signature"

export type AuthResult =
  | { readonly ok: true; readonly caller: Caller; readonly region: string; readonly service: string }
  | { readonly ok: false; readonly failure: AuthFailure; readonly accessKeyId?: string }

export interface Iam {
  readonly ownAccount: string
  readonly ownKey: AccessKey
  /** The ARN `GetCallerIdentity` reports for the own key: the Lambda's execution role session. */
  readonly ownArn: string
  /** Every session issued so far, oldest first. */
  readonly sessions: ReadonlyArray<Session>
  readonly issue: (account: string, roleName: string, sessionName: string, ttlSeconds: number) => Session
  /** Makes every session issued so far expire now (the next call with one fails with ExpiredToken). */
  readonly expireSessions: () => void
  readonly authenticate: (request: {
    readonly method: string
    readonly rawUrl: string
    readonly headers: IncomingHttpHeaders
    /** Hex sha256 of the body, for services that do not send `x-amz-content-sha256`. */
    readonly payloadHash: string
  }) => AuthResult
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
const keyId = (prefix: string) =>
  prefix + Array.from(randomBytes(16), (b) => alnum[b % alnum.length]).join("")

export const makeIam = (options: {
  readonly ownAccount: string
  readonly ownKey: AccessKey
  readonly lambdaRoleName: string
  readonly verifySignatures: boolean
}): Iam => {
  const sessions: Array<Session> = []
  const byKey = new Map<string, Session>()
  const ownArn = `arn:aws:sts::${options.ownAccount}:assumed-role/${options.lambdaRoleName}/${options.lambdaRoleName}`
  const ownCaller: Caller = {
    account: options.ownAccount,
    arn: ownArn,
    userId: `AROA${options.ownAccount}LAMBDA:${options.lambdaRoleName}`,
    accessKeyId: options.ownKey.accessKeyId,
    session: undefined
  }

  return {
    ownAccount: options.ownAccount,
    ownKey: options.ownKey,
    ownArn,
    sessions,
    issue: (account, roleName, sessionName, ttlSeconds) => {
      const now = Date.now()
      const session: Session = {
        accessKeyId: keyId("ASIA"),
        // Recognisable test values: leak tests grep for the "hvtest" marker.
        secretAccessKey: `hvtestSessionSecret/${randomBytes(15).toString("base64url")}`,
        sessionToken: `hvtest-session-token-${randomBytes(48).toString("base64")}`,
        account,
        roleName,
        sessionName,
        arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
        issuedAt: now,
        expiresAt: now + ttlSeconds * 1000
      }
      sessions.push(session)
      byKey.set(session.accessKeyId, session)
      return session
    },
    expireSessions: () => {
      const now = Date.now()
      for (const s of sessions) s.expiresAt = Math.min(s.expiresAt, now)
    },
    authenticate: (request) => {
      const url = new URL(request.rawUrl, "http://localhost")
      const signed = parseSigned(request.headers, url.searchParams)
      if (signed === undefined) return { ok: false, failure: "missing" }
      const accessKeyId = signed.accessKeyId
      const session = byKey.get(accessKeyId)
      const secret = accessKeyId === options.ownKey.accessKeyId ? options.ownKey.secretAccessKey : session?.secretAccessKey
      if (secret === undefined) return { ok: false, failure: "unknown-key", accessKeyId }
      if (session !== undefined) {
        // AWS does not know a temporary key id without its token, and rejects a token of another session.
        if (signed.sessionToken === undefined) return { ok: false, failure: "unknown-key", accessKeyId }
        if (signed.sessionToken !== session.sessionToken) return { ok: false, failure: "bad-token", accessKeyId }
        if (Date.now() >= session.expiresAt) return { ok: false, failure: "expired", accessKeyId }
      }
      if (options.verifySignatures && !verifySignature(signed, secret, request)) {
        return { ok: false, failure: "bad-signature", accessKeyId }
      }
      const caller: Caller = session === undefined ? ownCaller : {
        account: session.account,
        arn: session.arn,
        userId: `AROA${session.account}ROLE:${session.sessionName}`,
        accessKeyId,
        session
      }
      return { ok: true, caller, region: signed.region, service: signed.service }
    }
  }
}
