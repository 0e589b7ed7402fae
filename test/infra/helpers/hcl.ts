/**
 * Offline reading of the Terraform configuration: every `.tf` of `terraform/` parsed with
 * `@cdktf/hcl2json`, the declarations indexed, and the references of every expression listed.
 * There is no terraform binary here, so this is what stands between a typo and a failed apply.
 */
import { parse } from "@cdktf/hcl2json"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

export const repoRoot = join(import.meta.dirname, "..", "..", "..")
export const terraformDir = join(repoRoot, "terraform")

/** hcl2json's JSON: blocks are arrays of objects, expressions are `${...}` strings. */
export type Json = string | number | boolean | null | ReadonlyArray<Json> | { readonly [key: string]: Json }
export type Block = { readonly [key: string]: Json }

export interface TfFile {
  readonly name: string
  readonly text: string
  readonly json: { readonly [kind: string]: Json }
}

/** One block of the configuration, e.g. resource aws_sqs_queue.target_dlq, with its file. */
export interface Declared {
  readonly file: string
  readonly address: string
  readonly body: Block
}

export interface Configuration {
  readonly files: ReadonlyArray<TfFile>
  readonly variables: ReadonlyMap<string, Declared>
  readonly locals: ReadonlyMap<string, Declared>
  readonly outputs: ReadonlyMap<string, Declared>
  /** Keyed `type.name`. */
  readonly resources: ReadonlyMap<string, Declared>
  /** Keyed `data.type.name`. */
  readonly data: ReadonlyMap<string, Declared>
}

export const parseHcl = (name: string, text: string): Promise<{ readonly [kind: string]: Json }> => parse(name, text)

const isRecord = (value: Json | undefined): value is Block =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const firstBlock = (value: Json | undefined): Block => {
  if (Array.isArray(value) && value.length === 1 && isRecord(value[0])) return value[0]
  throw new Error(`expected exactly one block, got ${JSON.stringify(value)}`)
}

/** The blocks named `key` inside a block (hcl2json always gives a list). */
export const blocks = (body: Block, key: string): ReadonlyArray<Block> => {
  const value = body[key]
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new Error(`${key} is not a block list`)
  return value.filter(isRecord)
}

export const block = (body: Block, key: string): Block => firstBlock(body[key])

export const str = (body: Block, key: string): string => {
  const value = body[key]
  if (typeof value !== "string") throw new Error(`${key} is not a string: ${JSON.stringify(value)}`)
  return value
}

export const loadConfiguration = async (dir: string = terraformDir): Promise<Configuration> => {
  const names = readdirSync(dir).filter((f) => f.endsWith(".tf")).sort()
  const files: Array<TfFile> = []
  for (const name of names) {
    const text = readFileSync(join(dir, name), "utf8")
    files.push({ name, text, json: await parseHcl(name, text) })
  }
  const variables = new Map<string, Declared>()
  const locals = new Map<string, Declared>()
  const outputs = new Map<string, Declared>()
  const resources = new Map<string, Declared>()
  const data = new Map<string, Declared>()
  const add = (map: Map<string, Declared>, key: string, declared: Declared) => {
    if (map.has(key)) throw new Error(`${key} is declared twice (${map.get(key)?.file} and ${declared.file})`)
    map.set(key, declared)
  }
  for (const file of files) {
    const { json } = file
    const vars = json["variable"]
    if (isRecord(vars)) for (const [name, body] of Object.entries(vars)) add(variables, name, { file: file.name, address: `var.${name}`, body: firstBlock(body) })
    const outs = json["output"]
    if (isRecord(outs)) for (const [name, body] of Object.entries(outs)) add(outputs, name, { file: file.name, address: `output.${name}`, body: firstBlock(body) })
    const localBlocks = json["locals"]
    if (Array.isArray(localBlocks)) {
      for (const localBlock of localBlocks) {
        if (!isRecord(localBlock)) continue
        for (const [name, value] of Object.entries(localBlock)) add(locals, name, { file: file.name, address: `local.${name}`, body: { value } })
      }
    }
    for (const [kind, map, prefix] of [["resource", resources, ""], ["data", data, "data."]] as const) {
      const byType = json[kind]
      if (!isRecord(byType)) continue
      for (const [type, byName] of Object.entries(byType)) {
        if (!isRecord(byName)) continue
        for (const [name, body] of Object.entries(byName)) {
          add(map, `${prefix}${type}.${name}`, { file: file.name, address: `${prefix}${type}.${name}`, body: firstBlock(body) })
        }
      }
    }
  }
  return { files, variables, locals, outputs, resources, data }
}

// ---------------------------------------------------------------------------------------------
// Expressions and their references
// ---------------------------------------------------------------------------------------------

/** End index (exclusive) of the `${ ... }` whose body starts at `start`, minding nested strings. */
const interpolationEnd = (s: string, start: number): number => {
  let depth = 1
  let i = start
  while (i < s.length) {
    const c = s[i]
    if (c === '"') {
      i = stringEnd(s, i + 1)
      continue
    }
    if (c === "{") depth++
    if (c === "}") {
      depth--
      if (depth === 0) return i
    }
    i++
  }
  throw new Error(`unterminated interpolation in ${s}`)
}

/** Index just past the closing quote of the string literal whose content starts at `start`. */
const stringEnd = (s: string, start: number): number => {
  let i = start
  while (i < s.length) {
    const c = s[i]
    if (c === "\\") {
      i += 2
      continue
    }
    if (c === "$" && s[i + 1] === "{") {
      i = interpolationEnd(s, i + 2) + 1
      continue
    }
    if (c === '"') return i + 1
    i++
  }
  throw new Error(`unterminated string in ${s}`)
}

/** The expressions (`${...}` bodies) of a template string, as hcl2json renders attribute values. */
export const expressionsOf = (template: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  let i = 0
  while (i < template.length) {
    if (template.startsWith("$${", i)) {
      i += 3
      continue
    }
    if (template.startsWith("${", i)) {
      const end = interpolationEnd(template, i + 2)
      out.push(template.slice(i + 2, end))
      i = end + 1
      continue
    }
    i++
  }
  return out
}

/** Traversals (`a.b.c`) of an expression, outside its string literals (whose interpolations count). */
export const traversalsOf = (expression: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  let code = ""
  let i = 0
  while (i < expression.length) {
    const c = expression[i]
    if (c === '"') {
      const end = stringEnd(expression, i + 1)
      for (const inner of expressionsOf(expression.slice(i + 1, end - 1))) out.push(...traversalsOf(inner))
      code += " "
      i = end
      continue
    }
    code += c
    i++
  }
  for (const m of code.matchAll(/(?<![\w.])[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[^\]]*\])*/g)) {
    out.push(m[0])
    // Index expressions (`queue[var.x]`) hold references of their own.
    for (const index of m[0].matchAll(/\[([^\]]*)\]/g)) out.push(...traversalsOf(index[1] ?? ""))
  }
  return out
}

/** Every expression string anywhere under a JSON value. */
export const allExpressions = (value: Json | undefined): ReadonlyArray<string> => {
  if (typeof value === "string") return expressionsOf(value)
  if (Array.isArray(value)) return value.flatMap((v: Json) => allExpressions(v))
  if (isRecord(value)) return Object.entries(value).flatMap(([k, v]) => [...expressionsOf(k), ...allExpressions(v)])
  return []
}

export type Reference =
  | { readonly kind: "var" | "local"; readonly name: string; readonly text: string }
  | { readonly kind: "resource" | "data"; readonly name: string; readonly text: string }

/** Roots that are not declarations (meta-arguments, iterators, function-free keywords). */
const ignoredRoots = new Set(["each", "count", "path", "self", "terraform", "true", "false", "null", "for", "in", "if"])

export const referencesOf = (expression: string): ReadonlyArray<Reference> => {
  const out: Array<Reference> = []
  for (const traversal of traversalsOf(expression)) {
    const parts = traversal.replace(/\[[^\]]*\]/g, "").split(".")
    const [root, second, third] = parts
    if (root === undefined || ignoredRoots.has(root) || second === undefined) continue
    if (root === "var" || root === "local") out.push({ kind: root, name: second, text: traversal })
    else if (root === "data" && third !== undefined) out.push({ kind: "data", name: `data.${second}.${third}`, text: traversal })
    else if (/^(aws|random)_[a-z0-9_]+$/.test(root)) out.push({ kind: "resource", name: `${root}.${second}`, text: traversal })
    else if (root === "module") out.push({ kind: "resource", name: `module.${second}`, text: traversal })
  }
  return out
}

/** References made by every block except `variable` blocks (a variable used only by its own validation is unused). */
export const usages = (config: Configuration): ReadonlyArray<Reference & { readonly where: string }> => {
  const out: Array<Reference & { readonly where: string }> = []
  const scan = (where: string, value: Json | undefined) => {
    for (const expression of allExpressions(value)) for (const ref of referencesOf(expression)) out.push({ ...ref, where })
  }
  for (const d of config.locals.values()) scan(d.address, d.body)
  for (const d of config.outputs.values()) scan(d.address, d.body)
  for (const d of config.resources.values()) scan(d.address, d.body)
  for (const d of config.data.values()) scan(d.address, d.body)
  for (const file of config.files) {
    scan(`${file.name} provider`, file.json["provider"])
    scan(`${file.name} terraform`, file.json["terraform"])
  }
  return out
}

/** References made inside `variable` blocks (their validations). */
export const variableSelfReferences = (config: Configuration): ReadonlyArray<Reference & { readonly where: string }> =>
  [...config.variables.values()].flatMap((d) =>
    allExpressions(d.body).flatMap((e) => referencesOf(e).map((ref) => ({ ...ref, where: d.address })))
  )

/** Renders a pattern template the way `templatefile` does for our only directive, `${jsonencode(name)}`. */
export const renderJsonTemplate = (template: string, vars: Readonly<Record<string, unknown>>): unknown => {
  const rendered = template.replace(/\$\{jsonencode\(([A-Za-z_][\w]*)\)\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`template variable ${name} not given`)
    return JSON.stringify(vars[name])
  })
  if (/[$%]\{/.test(rendered)) throw new Error(`template uses a directive this renderer does not know: ${rendered}`)
  return JSON.parse(rendered)
}
