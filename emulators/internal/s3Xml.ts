/** S3's XML error documents and the errors the gate answers, in S3's own words. */
import type * as http from "node:http"
import { randomBytes } from "node:crypto"
import type { AuthFailure } from "../IamEmulator.js"
import { xmlEscape } from "./awsProtocol.js"

export interface S3Error {
  readonly status: number
  readonly code: string
  readonly message: string
  /** Extra elements of the error document (`Region`, `StorageClass`, `Key`, …). */
  readonly details?: Readonly<Record<string, string>>
  /** Extra response headers (`x-amz-bucket-region`, `x-amz-delete-marker`, …). */
  readonly headers?: Readonly<Record<string, string>>
}

export const sendS3Error = (req: http.IncomingMessage, res: http.ServerResponse, error: S3Error) => {
  if (res.headersSent || res.destroyed) return
  const requestId = randomBytes(8).toString("hex").toUpperCase()
  const details = Object.entries(error.details ?? {}).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join("")
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>` +
    `${details}<RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString("base64")}</HostId></Error>`
  const headers = { "x-amz-request-id": requestId, "Content-Type": "application/xml", ...error.headers }
  // HEAD answers carry no body: the SDK then knows the error only by its status.
  if (req.method === "HEAD") {
    res.writeHead(error.status, headers)
    return res.end()
  }
  res.writeHead(error.status, { ...headers, "Content-Length": Buffer.byteLength(xml) })
  res.end(xml)
}

export const accessDenied: S3Error = { status: 403, code: "AccessDenied", message: "Access Denied" }

export const authError = (failure: AuthFailure): S3Error => {
  switch (failure) {
    case "missing":
      return accessDenied
    case "unknown-key":
      return { status: 403, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records." }
    case "bad-token":
      return { status: 400, code: "InvalidToken", message: "The provided token is malformed or otherwise invalid." }
    case "expired":
      return { status: 400, code: "ExpiredToken", message: "The provided token has expired." }
    case "bad-signature":
      return {
        status: 403,
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided. Check your key and signing method."
      }
  }
}

export const wrongRegion = (given: string, expected: string): S3Error => ({
  status: 400,
  code: "AuthorizationHeaderMalformed",
  message: `The authorization header is malformed; the region '${given}' is wrong; expecting '${expected}'`,
  details: { Region: expected },
  headers: { "x-amz-bucket-region": expected }
})

export const noSuchBucket = (bucket: string): S3Error => ({
  status: 404,
  code: "NoSuchBucket",
  message: "The specified bucket does not exist",
  details: { BucketName: bucket }
})

export const slowDown: S3Error = { status: 503, code: "SlowDown", message: "Please reduce your request rate." }
export const internalError: S3Error = { status: 500, code: "InternalError", message: "We encountered an internal error. Please try again." }

export const invalidObjectState = (storageClass: string): S3Error => ({
  status: 403,
  code: "InvalidObjectState",
  message: "The operation is not valid for the object's storage class",
  details: { StorageClass: storageClass }
})

export const sseCRequired: S3Error = {
  status: 400,
  code: "InvalidRequest",
  message: "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."
}
