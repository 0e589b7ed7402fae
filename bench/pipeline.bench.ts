/**
 * Issue 14 item 2 (after issue 7 item 4) — pipelining: wall time of a large scan (new file: the largest submittable
 * object, 767 MiB, see `internal/gib.ts`) against the slowest stage
 * alone — S3 read (GetObject, drained), digest (3 hashes + spool write over bytes from memory),
 * upload (spool read, base64, POST to the emulator, which verifies every byte) — each measured
 * in its own scanner process in the same rounds (see `internal/gib.ts`).
 *
 * The design bounds this: the submission must wait for the query with the full SHA256, so the
 * upload cannot overlap the read. What can overlap is read with digest (one pass), and within
 * the upload, spool read with base64 with the socket; the best it can do is
 * max(read, digest) + upload.
 */
import { BigBytes, bigName, gibSuite, rounds } from "./internal/gib.js"
import { fixed, median } from "./internal/stats.js"
import type { Bench } from "./types.js"

const bench: Bench = async () => {
  const suite = await gibSuite()
  const rs = suite.rounds
  const per = rs.map((r) => {
    const read = r.read.read.wallS
    const digest = r.digestSubmit.digest.wallS
    const upload = r.digestSubmit.submit.wallS
    const scan = r.new.scan.wallS
    const duplicate = r.duplicate.scan.wallS
    return { read, digest, upload, scan, duplicate, slowest: Math.max(read, digest, upload), bound: Math.max(read, digest) + upload }
  })
  const m = (f: (p: (typeof per)[number]) => number) => median(per.map(f))
  const scan = m((p) => p.scan)
  const row = (what: string, f: (p: (typeof per)[number]) => number) => ({
    what,
    "wall s": fixed(m(f)),
    "MB/s of the object": Math.round(BigBytes / 1e6 / m(f)),
    "÷ scan (new)": fixed(m((p) => f(p) / p.scan))
  })
  const slowestRatio = m((p) => p.slowest / p.scan)
  const newOverBound = m((p) => p.scan / p.bound)
  const duplicateOverOverlap = m((p) => p.duplicate / Math.max(p.read, p.digest))
  const boundRatio = m((p) => p.bound / p.scan)
  const slowestName = (["read", "digest", "upload"] as const)
    .map((k) => [k, m((p) => p[k])] as const)
    .sort((a, b) => b[1] - a[1])[0]![0]
  return {
    id: "pipeline",
    title: `Pipelining: ${bigName} scan against its stages alone, wall time (median of ${rounds} rounds)`,
    rows: [
      row("stage alone: S3 read (GetObject, drained)", (p) => p.read),
      row("stage alone: digest (3 hashes + spool write)", (p) => p.digest),
      row("stage alone: upload (spool read, base64, POST, emulator verifies)", (p) => p.upload),
      row("scan, duplicate: read ∥ digest, then query", (p) => p.duplicate),
      row("scan, new file: read ∥ digest, query, then upload", (p) => p.scan),
      row("design bound: max(read, digest) + upload", (p) => p.bound)
    ],
    targets: [
      { name: "scan (new file) / (max(read, digest) + upload)", value: newOverBound, target: "≤ 1.25", met: newOverBound <= 1.25 },
      { name: "scan (duplicate) / max(read, digest): read and digest overlap", value: duplicateOverOverlap, target: "≤ 1.1", met: duplicateOverOverlap <= 1.1 }
    ],
    notes: [
      `slowest stage alone: ${slowestName}, ${fixed(slowestRatio)} of the scan; the scan takes ${scan.toFixed(1)} s; ` +
      `the design bound max(read, digest) + upload is ${fixed(boundRatio)} of the scan`,
      "the upload cannot overlap the read: highvolt must be queried with the full SHA256 before submitting, so a new file " +
      "is read twice in time (S3 → spool, spool → highvolt): the targets measure the scan against that bound, and a duplicate " +
      "(no upload) against read and digest overlapping perfectly",
      "the upload stage includes the emulator, in the stack process, decoding the base64 and hashing it to verify the digests; " +
      "S3 reads are served by s3rver from its temp directory through the account-aware gate (same stack process)",
      `the S3 body arrives in chunks of ${(median(rs.map((r) => r.read.bytes / r.read.chunks)) / 1024).toFixed(0)} KiB on average; ` +
      `load average (1 min) ${suite.loadBefore.toFixed(1)} before the large-object rounds, ${suite.loadAfter.toFixed(1)} after`,
      "wall times on a 2-core machine shared with other work: ratios are per round, then the median; stages run in separate processes " +
      "in rotating order"
    ]
  }
}

export default bench
