/**
 * The floors the scanner is measured against: the same calls with none of the scanner around
 * them, so that what remains between a floor and the scanner is the scanner's own cost.
 *
 * - `floorReader`: one event's object through a bare SDK `S3Client` (the production client
 *   configuration), its body read as a plain Node stream and, with `hashes`, fed to the three
 *   hashes: what reading a body off a socket costs whatever the design.
 * - `bareEvents`: a small event's whole work done that way: the bare read and hashes, then
 *   highvolt's query and submit as plain `node:http` requests on one keep-alive agent, with the
 *   production body builder (`submissionBody`). No MIME detection, no Effect, no retries, no
 *   timeouts, no outcomes (an answer other than 200 ends the job): only what every design pays.
 */
import { GetObjectCommand, type GetObjectCommandOutput, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3"
import { Option, Redacted } from "effect"
import { createHash } from "node:crypto"
import { Agent, request } from "node:http"
import type { Readable } from "node:stream"
import type { DataOriginShape } from "../../src/DataOrigin.js"
import type { AccountId, Digests, Md5, ObjectCreated, Region, Sha1, Sha256 } from "../../src/Domain.js"
import { apiBase } from "../../src/internal/auth.js"
import type { ScannerConfigShape } from "../../src/ScannerConfig.js"
import { fieldsOf, submissionBody } from "../../src/Submission.js"

export interface FloorRead {
  readonly bytes: number
  readonly chunks: number
  readonly response: GetObjectCommandOutput
  /** The three digests, when the read hashed. */
  readonly digests?: Digests
  /** The body's chunks, when the read kept them. */
  readonly parts?: ReadonlyArray<Buffer>
}

/**
 * A bare reader, its clients kept for the job (per account and region), so that a measured read
 * reuses the warm-up's keep-alive connection, as the scanner's does. The body is drained in
 * flowing mode.
 */
export const floorReader = (configFor: (account: AccountId, region: Region) => S3ClientConfig) => {
  const clients = new Map<string, S3Client>()
  const read = async (event: ObjectCreated, options: { readonly hashes: boolean; readonly keep?: boolean }): Promise<FloorRead> => {
    const id = `${event.account}/${event.region}`
    const client = clients.get(id) ?? new S3Client(configFor(event.account, event.region))
    clients.set(id, client)
    const response = await client.send(new GetObjectCommand({ Bucket: event.bucket, Key: event.key.primary }))
    const body = response.Body as Readable
    const hashes = options.hashes ? [createHash("sha256"), createHash("sha1"), createHash("md5")] as const : undefined
    const parts: Array<Buffer> | undefined = options.keep === true ? [] : undefined
    let bytes = 0
    let chunks = 0
    await new Promise<void>((resolve, reject) => {
      body.on("data", (chunk: Buffer) => {
        bytes += chunk.length
        chunks++
        if (hashes !== undefined) for (const h of hashes) h.update(chunk)
        parts?.push(chunk)
      })
      body.once("end", resolve)
      body.once("error", reject)
    })
    const digests = hashes === undefined ? undefined : {
      sha256: hashes[0].digest("hex") as Sha256,
      sha1: hashes[1].digest("hex") as Sha1,
      md5: hashes[2].digest("hex") as Md5,
      bytes
    }
    return { bytes, chunks, response, ...(digests === undefined ? {} : { digests }), ...(parts === undefined ? {} : { parts }) }
  }
  return { read, destroy: () => clients.forEach((c) => c.destroy()) }
}

/** A JSON POST on a keep-alive agent; resolves with the status and the answer's text. */
const post = (agent: Agent, url: string, body: Uint8Array | string, jwt?: string) =>
  new Promise<{ readonly status: number; readonly text: string }>((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        ...(jwt === undefined ? {} : { authorization: `Bearer ${jwt}` })
      }
    }, (res) => {
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (d: string) => (text += d))
      res.once("end", () => resolve({ status: res.statusCode ?? 0, text }))
      res.once("error", reject)
    })
    req.once("error", reject)
    req.end(body)
  })

/**
 * Logs in to highvolt once (not measured), then returns the bare event: read and hash, query,
 * submit. It resolves with whether the file was submitted (false: highvolt knew it).
 */
export const bareEvents = async (
  reader: ReturnType<typeof floorReader>,
  config: ScannerConfigShape,
  dataOrigin: DataOriginShape
) => {
  const base = apiBase(config.highvolt.url, "/api/v1/highvolt")
  const agent = new Agent({ keepAlive: true })
  const login = await post(agent, `${base}/auth/token`, JSON.stringify({ token: Redacted.value(config.highvolt.pat) }))
  if (login.status !== 200) throw new Error(`highvolt login answered ${login.status}`)
  const jwt = (JSON.parse(login.text) as { access_token: string }).access_token
  const expect200 = (what: string, answer: { readonly status: number }) => {
    if (answer.status !== 200) throw new Error(`highvolt ${what} answered ${answer.status}`)
  }
  const scan = async (event: ObjectCreated): Promise<boolean> => {
    const { digests, parts, response } = await reader.read(event, { hashes: true, keep: true })
    const query = await post(agent, `${base}/query`, JSON.stringify({ sha256: digests!.sha256 }), jwt)
    expect200("query", query)
    if ((JSON.parse(query.text) as { code: number }).code === 200) return false
    const body = submissionBody(fieldsOf({
      event,
      opened: { key: event.key.primary, versionId: Option.fromNullable(response.VersionId), etag: Option.fromNullable(response.ETag) },
      mimetype: "application/octet-stream",
      digests: digests!,
      timestamp: new Date(),
      dataOrigin
    }), { _tag: "InMemory", bytes: digests!.bytes, chunks: parts! })
    if (body.whole === undefined) throw new Error("the bare event is for small objects (a body in one buffer)")
    expect200("submit", await post(agent, `${base}/submit`, body.whole, jwt))
    return true
  }
  return { scan, destroy: () => agent.destroy() }
}
