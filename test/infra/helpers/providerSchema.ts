/**
 * The Terraform provider schemas, offline, from the prebuilt CDKTF bindings on npm
 * (`@cdktf/provider-<name>`). The bindings are generated from `terraform providers schema -json`
 * of one provider version (named in the package's `cdktf.provider`), and their TypeScript
 * declarations keep what a configuration is checked against: every settable argument (required
 * or optional, computed-only ones left out) with its type, and every nested block, required
 * (`min_items` >= 1) or not, single (`max_items` = 1) or repeatable, with its own schema.
 *
 * Only the declaration file of a type that is used is parsed (with the TypeScript compiler),
 * never the package's 130 MB `.jsii`: a schema costs milliseconds, not seconds.
 */
import { readdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import ts from "typescript"

export type ValueType =
  | { readonly kind: "string" | "number" | "bool" | "any" }
  | { readonly kind: "list" | "map"; readonly element: ValueType }
  | { readonly kind: "object"; readonly attributes: ReadonlyMap<string, ValueType> }

export interface ArgumentSchema {
  readonly required: boolean
  readonly type: ValueType
}

export interface NestedBlockSchema {
  /** min_items >= 1. */
  readonly required: boolean
  /** max_items = 1 (the bindings keep no other bound). */
  readonly single: boolean
  readonly body: BlockSchema
}

export interface BlockSchema {
  readonly arguments: ReadonlyMap<string, ArgumentSchema>
  readonly blocks: ReadonlyMap<string, NestedBlockSchema>
}

export type SchemaKind = "resource" | "data" | "provider"

export interface ProviderSchema {
  /** e.g. registry.terraform.io/hashicorp/aws */
  readonly source: string
  /** The provider version the bindings were generated from, e.g. 6.25.0. */
  readonly version: string
  readonly packageName: string
  readonly packageVersion: string
  /** undefined: the provider has no such resource or data source type. */
  readonly schemaOf: (kind: SchemaKind, type: string) => BlockSchema | undefined
}

const require = createRequire(import.meta.url)

/** The CDKTF package that holds a provider's bindings: hashicorp/aws -> @cdktf/provider-aws. */
export const bindingsPackage = (source: string): string => `@cdktf/provider-${source.split("/").pop() ?? source}`

/**
 * The schema of a provider (`hashicorp/aws`), or undefined when no bindings for it are installed
 * or the installed package was generated from another provider.
 */
export const loadProviderSchema = (source: string): ProviderSchema | undefined => {
  if (!loaded.has(source)) loaded.set(source, load(source))
  return loaded.get(source)
}

const loaded = new Map<string, ProviderSchema | undefined>()

const load = (source: string): ProviderSchema | undefined => {
  const packageName = bindingsPackage(source)
  let manifestPath: string
  try {
    manifestPath = require.resolve(`${packageName}/package.json`)
  } catch {
    return undefined
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    readonly version: string
    readonly cdktf?: { readonly provider?: { readonly name?: string; readonly version?: string } }
  }
  const provider = manifest.cdktf?.provider
  const fullSource = `registry.terraform.io/${source}`
  if (provider?.name !== fullSource || provider.version === undefined) return undefined
  const lib = join(dirname(manifestPath), "lib")
  const index = typeIndex(lib)
  const cache = new Map<string, BlockSchema | undefined>()
  return {
    source: fullSource,
    version: provider.version,
    packageName,
    packageVersion: manifest.version,
    schemaOf: (kind, type) => {
      const key = `${kind}:${type}`
      if (!cache.has(key)) {
        const dir = index.get(key)
        cache.set(key, dir === undefined ? undefined : parseBindings(readFileSync(join(lib, dir, "index.d.ts"), "utf8")))
      }
      return cache.get(key)
    }
  }
}

/**
 * `kind:type` -> binding directory, read from each binding's `tfResourceType`, since the
 * directory names follow no rule that holds for every provider (random_string is `string-resource`).
 */
const typeIndex = (lib: string): ReadonlyMap<string, string> => {
  const out = new Map<string, string>()
  for (const dir of readdirSync(lib, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue
    let text: string
    try {
      text = readFileSync(join(lib, dir.name, "index.d.ts"), "utf8")
    } catch {
      continue
    }
    const base = /export declare class \w+ extends cdktf\.(TerraformResource|TerraformDataSource|TerraformProvider)\b/.exec(text)?.[1]
    const type = /static readonly tfResourceType = "([^"]+)"/.exec(text)?.[1]
    if (base === undefined || type === undefined) continue
    const kind: SchemaKind = base === "TerraformResource" ? "resource" : base === "TerraformDataSource" ? "data" : "provider"
    out.set(`${kind}:${kind === "provider" ? "" : type}`, dir.name)
  }
  return out
}

interface Member {
  readonly name: string
  readonly optional: boolean
  readonly type: ts.TypeNode
  /** The binding documents blocks as "<name> block". */
  readonly isBlock: boolean
}

/** The schema of the one construct a binding file declares, from its config interface. */
export const parseBindings = (text: string): BlockSchema => {
  const file = ts.createSourceFile("index.d.ts", text, ts.ScriptTarget.Latest, true)
  const interfaces = new Map<string, ReadonlyArray<Member>>()
  let configName: string | undefined
  const visit = (node: ts.Node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, members(text, node))
    if (ts.isConstructorDeclaration(node)) {
      const config = node.parameters.find((p) => p.name.getText() === "config")?.type
      if (config !== undefined && ts.isTypeReferenceNode(config)) configName = config.typeName.getText()
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  if (configName === undefined) throw new Error("binding without a config interface")
  const blockOf = (name: string): BlockSchema => {
    const list = interfaces.get(name)
    if (list === undefined) throw new Error(`binding refers to an undeclared interface ${name}`)
    const args = new Map<string, ArgumentSchema>()
    const nested = new Map<string, NestedBlockSchema>()
    for (const m of list) {
      const struct = structOf(m.type)
      if (m.isBlock && struct !== undefined) {
        nested.set(m.name, { required: !m.optional, single: !struct.repeated, body: blockOf(struct.name) })
      } else {
        args.set(m.name, { required: !m.optional, type: valueType(m.type, objectOf) })
      }
    }
    return { arguments: args, blocks: nested }
  }
  const objectOf = (name: string): ValueType => {
    const list = interfaces.get(name) ?? []
    return { kind: "object", attributes: new Map(list.map((m) => [m.name, valueType(m.type, objectOf)])) }
  }
  return blockOf(configName)
}

/** Properties of an interface under their Terraform names (the anchor of their registry link). */
const members = (text: string, node: ts.InterfaceDeclaration): ReadonlyArray<Member> =>
  node.members.filter(ts.isPropertySignature).flatMap((p) => {
    if (p.type === undefined) return []
    const doc = (ts.getLeadingCommentRanges(text, p.getFullStart()) ?? []).map((r) => text.slice(r.pos, r.end)).join("\n")
    const name = /\{@link https:\/\/registry\.terraform\.io\/\S+#(\w+) /.exec(doc)?.[1]
    if (name === undefined) return []
    return [{ name, optional: p.questionToken !== undefined, type: p.type, isBlock: new RegExp(`^\\s*\\*\\s*${name} block\\s*$`, "m").test(doc) }]
  })

const isResolvable = (t: ts.TypeNode) => ts.isTypeReferenceNode(t) && t.typeName.getText() === "cdktf.IResolvable"

/** `X`, `X[]`, `X[] | cdktf.IResolvable` for an interface X of the file. */
const structOf = (t: ts.TypeNode): { readonly name: string; readonly repeated: boolean } | undefined => {
  if (ts.isUnionTypeNode(t)) {
    const rest = t.types.filter((u) => !isResolvable(u))
    return rest.length === 1 && rest[0] !== undefined ? structOf(rest[0]) : undefined
  }
  if (ts.isArrayTypeNode(t)) {
    const inner = structOf(t.elementType)
    return inner === undefined ? undefined : { name: inner.name, repeated: true }
  }
  if (ts.isTypeReferenceNode(t) && !t.typeName.getText().includes(".")) return { name: t.typeName.getText(), repeated: false }
  return undefined
}

const valueType = (t: ts.TypeNode, objectOf: (name: string) => ValueType): ValueType => {
  if (ts.isUnionTypeNode(t)) {
    const rest = t.types.filter((u) => !isResolvable(u))
    return rest.length === 1 && rest[0] !== undefined ? valueType(rest[0], objectOf) : { kind: "any" }
  }
  switch (t.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { kind: "string" }
    case ts.SyntaxKind.NumberKeyword:
      return { kind: "number" }
    case ts.SyntaxKind.BooleanKeyword:
      return { kind: "bool" }
  }
  if (ts.isArrayTypeNode(t)) return { kind: "list", element: valueType(t.elementType, objectOf) }
  if (ts.isTypeLiteralNode(t)) {
    const index = t.members.find(ts.isIndexSignatureDeclaration)
    if (index !== undefined) return { kind: "map", element: valueType(index.type, objectOf) }
  }
  if (ts.isTypeReferenceNode(t) && !t.typeName.getText().includes(".")) return objectOf(t.typeName.getText())
  return { kind: "any" }
}
