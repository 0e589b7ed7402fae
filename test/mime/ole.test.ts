/** OLE sub-typing on synthetic compound files: root CLSID, root-level stream names, hostile chains. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Mime from "../../src/Mime.js"

const SECTOR = 512
const END = 0xfffffffe
const FREE = 0xffffffff
const NONE = 0xffffffff

interface Entry {
  readonly name: string
  readonly type: 1 | 2 | 5
  readonly left?: number
  readonly right?: number
  readonly child?: number
  readonly clsid?: string
}

/**
 * A version-3 compound file: header, one FAT sector (sector 0), the directory from sector 1
 * on (four entries per sector, chained by `fat`, consecutive by default).
 */
const compoundFile = (entries: ReadonlyArray<Entry>, options: { fat?: ReadonlyArray<number> } = {}): Uint8Array => {
  const dirSectors = Math.ceil(entries.length / 4)
  const file = new Uint8Array(SECTOR * (2 + dirSectors))
  const view = new DataView(file.buffer)
  file.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])
  view.setUint16(24, 0x3e, true)
  view.setUint16(26, 3, true)
  view.setUint16(28, 0xfffe, true)
  view.setUint16(30, 9, true)
  view.setUint16(32, 6, true)
  view.setUint32(44, 1, true)
  view.setUint32(48, 1, true)
  view.setUint32(56, 4096, true)
  view.setUint32(60, END, true)
  view.setUint32(68, END, true)
  for (let i = 0; i < 109; i++) view.setUint32(76 + 4 * i, i === 0 ? 0 : FREE, true)
  const fat = options.fat ?? [0xfffffffd, ...Array.from({ length: dirSectors }, (_, i) => (i === dirSectors - 1 ? END : i + 2))]
  for (let i = 0; i < SECTOR / 4; i++) view.setUint32(SECTOR + 4 * i, fat[i] ?? FREE, true)
  entries.forEach((e, i) => {
    const at = SECTOR * 2 + 128 * i
    for (let c = 0; c < e.name.length; c++) view.setUint16(at + 2 * c, e.name.charCodeAt(c), true)
    view.setUint16(at + 64, 2 * (e.name.length + 1), true)
    file[at + 66] = e.type
    view.setUint32(at + 68, e.left ?? NONE, true)
    view.setUint32(at + 72, e.right ?? NONE, true)
    view.setUint32(at + 76, e.child ?? NONE, true)
    if (e.clsid !== undefined) file.set(Uint8Array.from(e.clsid.match(/../g)!, (h) => parseInt(h, 16)), at + 80)
  })
  return file
}

const detect = (file: Uint8Array) => Effect.runPromise(Mime.detect(file))

describe("OLE compound files", () => {
  it("go by the root CLSID first", async () => {
    const file = compoundFile([
      { name: "Root Entry", type: 5, child: 1, clsid: "0b0d020000000000c000000000000046" },
      { name: "WordDocument", type: 2 }
    ])
    expect(await detect(file)).toBe("application/vnd.ms-outlook")
  })

  it("go by the streams directly under the root, not those of embedded objects", async () => {
    // WordDocument and an ObjectPool holding an embedded workbook; the directory spans two sectors.
    const file = compoundFile([
      { name: "Root Entry", type: 5, child: 1 },
      { name: "WordDocument", type: 2, left: 2, right: 3 },
      { name: "1Table", type: 2 },
      { name: "ObjectPool", type: 1, child: 4 },
      { name: "Workbook", type: 2 }
    ])
    expect(await detect(file)).toBe("application/msword")
  })

  it.each([
    ["Workbook", "application/vnd.ms-excel"],
    ["Book", "application/vnd.ms-excel"],
    ["PowerPoint Document", "application/vnd.ms-powerpoint"],
    ["__substg1.0_0037001F", "application/vnd.ms-outlook"],
    ["__properties_version1.0", "application/vnd.ms-outlook"]
  ])("take a root stream named %j for %s", async (name, mime) => {
    expect(await detect(compoundFile([{ name: "Root Entry", type: 5, child: 1 }, { name, type: 2 }]))).toBe(mime)
  })

  it("stay generic when nothing identifies the application", async () => {
    const file = compoundFile([{ name: "Root Entry", type: 5, child: 1 }, { name: "Contents", type: 2 }])
    expect(await detect(file)).toBe("application/x-ole-storage")
  })

  it("survive cyclic sibling pointers and FAT chains", async () => {
    const siblings = compoundFile([
      { name: "Root Entry", type: 5, child: 1 },
      { name: "Contents", type: 2, left: 1, right: 2 },
      { name: "Data", type: 2, left: 1 }
    ])
    expect(await detect(siblings)).toBe("application/x-ole-storage")
    const loop = compoundFile([{ name: "Root Entry", type: 5, child: 1 }, { name: "WordDocument", type: 2 }], {
      fat: [0xfffffffd, 1]
    })
    expect(await detect(loop)).toBe("application/msword")
  })

  it("stay generic when the head stops before the directory", async () => {
    const file = compoundFile([{ name: "Root Entry", type: 5, child: 1 }, { name: "WordDocument", type: 2 }])
    expect(await detect(file.subarray(0, 600))).toBe("application/x-ole-storage")
  })
})
