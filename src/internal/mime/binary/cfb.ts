/**
 * A reader for the directory of a Compound File Binary (OLE2) container: just enough to list
 * the root storage's CLSID and the names of its direct children, from a possibly truncated
 * head. Whatever lies beyond the head, or loops, is ignored rather than trusted.
 */
import { u16le, u32le } from "../bytes.js"

export interface CfbDirectory {
  /** The root storage's class id, 16 bytes as stored. */
  readonly rootClsid: Uint8Array
  /** Names of the streams and storages directly under the root (nested objects excluded). */
  readonly names: ReadonlyArray<string>
}

const ENTRY = 128
const NO_STREAM = 0xffffffff
const HEADER_FAT_SECTORS = 109
/** Sector ids at or above this are markers (free, end of chain, FAT/DIFAT sectors). */
const MAX_SECTOR = 0xfffffffa

export const isCfb = (head: Uint8Array): boolean =>
  head.length >= 512 && u32le(head, 0) === 0xe011cfd0 && u32le(head, 4) === 0xe11ab1a1

/** The sector chain starting at `first`, following the FAT from the header's DIFAT (no DIFAT sectors). */
const chain = (head: Uint8Array, sectorSize: number, first: number): ReadonlyArray<number> => {
  const perFatSector = sectorSize / 4
  const next = (sector: number): number | undefined => {
    const fatIndex = Math.floor(sector / perFatSector)
    if (fatIndex >= HEADER_FAT_SECTORS) return undefined
    const fatSector = u32le(head, 76 + 4 * fatIndex)
    const at = (fatSector + 1) * sectorSize + 4 * (sector % perFatSector)
    return fatSector < MAX_SECTOR && at + 4 <= head.length ? u32le(head, at) : undefined
  }
  const sectors: Array<number> = []
  const seen = new Set<number>()
  for (let s: number | undefined = first; s !== undefined && s < MAX_SECTOR && !seen.has(s); s = next(s)) {
    if ((s + 1) * sectorSize >= head.length) break
    seen.add(s)
    sectors.push(s)
  }
  return sectors
}

/** The directory of `head`, or undefined when the head holds no root entry. */
export const readDirectory = (head: Uint8Array): CfbDirectory | undefined => {
  if (!isCfb(head)) return undefined
  const shift = u16le(head, 30)
  if (shift < 7 || shift > 16) return undefined
  const sectorSize = 1 << shift
  const entries = chain(head, sectorSize, u32le(head, 48)).flatMap((sector) => {
    const start = (sector + 1) * sectorSize
    const end = Math.min(start + sectorSize, head.length)
    return Array.from({ length: Math.floor((end - start) / ENTRY) }, (_, i) => head.subarray(start + i * ENTRY, start + (i + 1) * ENTRY))
  })
  const root = entries[0]
  if (root === undefined || root[66] !== 5) return undefined
  const names: Array<string> = []
  // Direct children form a binary tree hanging from the root's child pointer (left/right siblings).
  const pending = [u32le(root, 76)]
  const visited = new Set<number>()
  while (pending.length > 0) {
    const id = pending.pop()!
    const entry = entries[id]
    if (id === NO_STREAM || visited.has(id) || entry === undefined) continue
    visited.add(id)
    const nameBytes = Math.min(u16le(entry, 64), 64)
    names.push(String.fromCharCode(...Array.from({ length: Math.max(0, Math.floor(nameBytes / 2) - 1) }, (_, i) => u16le(entry, 2 * i))))
    pending.push(u32le(entry, 68), u32le(entry, 72))
  }
  return { rootClsid: root.subarray(80, 96), names }
}
