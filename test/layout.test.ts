/**
 * The layout rules a newcomer relies on: the scanner (`src/`) and its test doubles
 * (`emulators/`) are separate packages of code. The scanner never reaches into the emulators
 * (only the CLI's `local`, `demo` and `--local` start them), the emulators never import the
 * scanner (they stand in for servers that know nothing of it), and no emulator file shares a
 * name with a scanner file.
 */
import { readdirSync, readFileSync } from "node:fs"
import { basename, dirname, join, relative, resolve } from "node:path"
import { describe, expect, it } from "vitest"

const root = resolve(import.meta.dirname, "..")

const sources = (folder: string): Array<string> =>
  readdirSync(join(root, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => /\.(ts|mjs)$/.test(file))
    .map((file) => join(folder, file))

/** Every relative import of a file, resolved to a path from the repository's root. */
const importsOf = (file: string): Array<string> =>
  [...readFileSync(join(root, file), "utf8").matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)]
    .map((match) => relative(root, resolve(root, dirname(file), match[1]!)))

describe("layout", () => {
  it("the scanner imports no emulator, except the CLI that starts the local stack", () => {
    const offending = sources("src")
      .filter((file) => !file.startsWith("src/cli/"))
      .flatMap((file) => importsOf(file).filter((target) => target.startsWith("emulators/")).map((target) => `${file} → ${target}`))
    expect(offending).toEqual([])
    // The rule has something to hold: the CLI does start the emulators.
    expect(sources("src/cli").some((file) => importsOf(file).some((target) => target.startsWith("emulators/")))).toBe(true)
  })

  it("the emulators import nothing from the scanner", () => {
    const offending = sources("emulators")
      .flatMap((file) => importsOf(file).filter((target) => target.startsWith("src/")).map((target) => `${file} → ${target}`))
    expect(offending).toEqual([])
  })

  it("no emulator file shares a name with a scanner file", () => {
    const scannerNames = new Set(sources("src").map((file) => basename(file)))
    const emulatorFiles = sources("emulators")
    expect(emulatorFiles.length).toBeGreaterThan(10)
    expect(emulatorFiles.filter((file) => scannerNames.has(basename(file)))).toEqual([])
  })
})
