/**
 * The spool files a process holds. They are unlinked as soon as they are open, so no directory
 * lists them: only the process's file descriptors do (Linux `/proc/<pid>/fd`).
 */
import { readdirSync, readlinkSync, statSync } from "node:fs"

export interface OpenSpoolFile {
  /** The name the file had, as the kernel reports it (`…/highvolt-spool-XXXXXX/spool (deleted)`). */
  readonly target: string
  /** Bytes it holds now. */
  readonly size: number
}

const spoolTarget = /\/highvolt-spool-[^/]+\/spool \(deleted\)$/

/** The spool files open in process `pid` (default: this one). */
export const openSpoolFiles = (pid: number | "self" = "self"): ReadonlyArray<OpenSpoolFile> => {
  const dir = `/proc/${pid}/fd`
  return readdirSync(dir).flatMap((fd) => {
    try {
      const target = readlinkSync(`${dir}/${fd}`)
      return spoolTarget.test(target) ? [{ target, size: statSync(`${dir}/${fd}`).size }] : []
    } catch {
      return [] // closed meanwhile
    }
  })
}
