/** Bits the AWS emulators (STS, Secrets Manager, the S3 gate) share. */
import { randomUUID } from "node:crypto"
import type * as http from "node:http"
import type { AuthFailure, AuthResult } from "../IamEmulator.js"

export const xmlEscape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;")

export const requestId = () => randomUUID()

/** One call to an AWS emulator as it saw it (for call counts and leak tests). */
export interface AwsCallRecord {
  readonly at: number
  /** `AssumeRole`, `GetSecretValue`, `GetObject`, … */
  readonly action: string
  readonly accessKeyId: string | undefined
  /** The caller's account, when authenticated. */
  readonly account: string | undefined
  readonly headers: Readonly<http.IncomingHttpHeaders>
  /** Request parameters (STS form fields, Secrets Manager JSON); never an S3 body. */
  readonly params: Readonly<Record<string, unknown>>
  status: number
  /** The error code answered, if any. */
  code?: string
}

/** The record of a call as it arrives (its status set when answered). */
export const callRecord = (
  action: string,
  auth: AuthResult,
  headers: Readonly<http.IncomingHttpHeaders>,
  params: Readonly<Record<string, unknown>>
): AwsCallRecord => ({
  at: Date.now(),
  action,
  accessKeyId: auth.ok ? auth.caller.accessKeyId : auth.accessKeyId,
  account: auth.ok ? auth.caller.account : undefined,
  headers: { ...headers },
  params,
  status: 0
})

/** An error an AWS emulator answers, in the service's own words. */
export interface AwsError {
  readonly status: number
  readonly code: string
  readonly message: string
}

/** How STS (and other Query/XML services) word authentication failures. */
export const queryAuthError = (failure: AuthFailure): AwsError => {
  switch (failure) {
    case "missing":
      return { status: 403, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token" }
    case "unknown-key":
    case "bad-token":
      return { status: 403, code: "InvalidClientTokenId", message: "The security token included in the request is invalid." }
    case "expired":
      return { status: 400, code: "ExpiredToken", message: "The security token included in the request is expired" }
    case "bad-signature":
      return {
        status: 403,
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
      }
  }
}

/** How JSON-protocol services (Secrets Manager) word them. */
export const jsonAuthError = (failure: AuthFailure): AwsError => {
  switch (failure) {
    case "missing":
      return { status: 400, code: "MissingAuthenticationTokenException", message: "Missing Authentication Token" }
    case "unknown-key":
    case "bad-token":
      return { status: 400, code: "UnrecognizedClientException", message: "The security token included in the request is invalid." }
    case "expired":
      return { status: 400, code: "ExpiredTokenException", message: "The security token included in the request is expired" }
    case "bad-signature":
      return {
        status: 400,
        code: "InvalidSignatureException",
        message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
      }
  }
}

/** Armed error answers for the next N calls (optionally of one action), consumed as they fire. */
export const makeErrorQueue = () => {
  const armed: Array<{ action: string | undefined; error: AwsError; left: number }> = []
  return {
    inject: (error: AwsError, times = 1, action?: string) => {
      if (times > 0) armed.push({ action, error, left: times })
    },
    clear: () => {
      armed.length = 0
    },
    take: (action: string): AwsError | undefined => {
      const index = armed.findIndex((a) => a.action === undefined || a.action === action)
      const entry = armed[index]
      if (entry === undefined) return undefined
      entry.left -= 1
      if (entry.left <= 0) armed.splice(index, 1)
      return entry.error
    }
  }
}
