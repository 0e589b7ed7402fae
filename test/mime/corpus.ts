/**
 * The mimetype conformance files (../shared/conformance/mimetype from the repo root, outside
 * the repo; CI has the same layout) with every name a listed mimetype version gave each file.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
export const conformanceDir = join(repoRoot, "..", "shared", "conformance", "mimetype")

export interface Sample {
  readonly name: string
  readonly bytes: Uint8Array
  /** The names listed for this file (each version's answer); a detection may match any. */
  readonly expected: ReadonlyArray<string>
}

interface ExpectedFile {
  readonly files: Readonly<Record<string, Readonly<Record<string, string>>>>
}

/** Throws (never skips) when the folder is absent, so a broken checkout fails the suite loudly. */
const requireDir = (): void => {
  if (!existsSync(conformanceDir)) {
    throw new Error(`mimetype conformance folder not found at ${conformanceDir} (expected ../shared/conformance/mimetype from the repo root)`)
  }
}

const load = (folder: string, expected: Readonly<Record<string, Readonly<Record<string, string>>>>, fields: ReadonlyArray<string>): ReadonlyArray<Sample> =>
  readdirSync(join(conformanceDir, folder)).sort().map((name) => {
    const entry = expected[name]
    if (entry === undefined) throw new Error(`${folder}/${name} has no expected entry`)
    const names = fields.flatMap((f) => (entry[f] === undefined ? [] : [entry[f]]))
    return { name, bytes: readFileSync(join(conformanceDir, folder, name)), expected: names }
  })

/** The 210 files of mimetype's own test data, with `expected.json`'s names. */
export const loadCorpus = (): ReadonlyArray<Sample> => {
  requireDir()
  const json = JSON.parse(readFileSync(join(conformanceDir, "expected.json"), "utf8")) as ExpectedFile
  return load("corpus", json.files, ["full", "essence", "go_debian_1.4.1", "go_head"])
}

/** The short edge-case inputs of mimetype's test table, with `expected-stubs.json`'s names. */
export const loadStubs = (): ReadonlyArray<Sample> => {
  requireDir()
  const json = JSON.parse(readFileSync(join(conformanceDir, "expected-stubs.json"), "utf8")) as ExpectedFile["files"]
  return load("stubs", json, ["expected", "head_detect", "go_debian_1.4.1"])
}

/** mimetype's alias groups, read from the conformance folder (independently of our embedded copy). */
export const loadAliasGroups = (): ReadonlyArray<ReadonlyArray<string>> => {
  requireDir()
  return (JSON.parse(readFileSync(join(conformanceDir, "aliases.json"), "utf8")) as { groups: ReadonlyArray<ReadonlyArray<string>> }).groups
}
