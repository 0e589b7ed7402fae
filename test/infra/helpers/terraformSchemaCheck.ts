/**
 * `terraform validate`'s schema half, offline: every resource, data source and provider block of
 * the configuration, and every block nested in them, checked against its provider's schema
 * (`providerSchema.ts`): unknown arguments and blocks, missing required ones, literal values of
 * the wrong type, blocks given more often than `max_items` = 1 allows or not at all when
 * required, and the meta-arguments (`lifecycle` and its `ignore_changes` names, `count` with
 * `for_each`). Values that are expressions are only known at plan time and are not typed here.
 */
import type { Finding } from "./finding.js"
import { didYouMean, lineAt } from "./finding.js"
import { type Block, type Configuration, expressionsOf, type Json } from "./hcl.js"
import type { ArgumentSchema, BlockSchema, NestedBlockSchema, ProviderSchema, SchemaKind, ValueType } from "./providerSchema.js"

export interface TerraformSchemaCounts {
  readonly resources: number
  readonly dataSources: number
  readonly providerBlocks: number
  /** Nested block instances checked (dynamic blocks' content included). */
  readonly blocks: number
  /** Arguments checked against a schema, at every level. */
  readonly arguments: number
  /** Of those, the ones whose value is a literal, and so type-checked. */
  readonly literals: number
}

export interface TerraformSchemaReport {
  readonly findings: ReadonlyArray<Finding>
  readonly counts: TerraformSchemaCounts
  /** Provider local name -> the schema used, or undefined when none is installed. */
  readonly providers: ReadonlyMap<string, ProviderSchema | undefined>
}

const isRecord = (v: Json | undefined): v is Block => typeof v === "object" && v !== null && !Array.isArray(v)

/** A string that is one `${...}` and nothing else: an expression of any type. */
const isExpression = (s: string): boolean => {
  const inner = expressionsOf(s)
  return inner.length === 1 && s === `\${${inner[0]}}`
}
/** A string with interpolations or directives: a string, whose content is known at plan time. */
const isTemplate = (s: string): boolean => expressionsOf(s).length > 0 || s.includes("%{")

const describe = (v: Json): string =>
  Array.isArray(v) ? "a list" : isRecord(v) ? "an object" : typeof v === "string" ? `"${v.length > 40 ? `${v.slice(0, 40)}...` : v}"` : String(v)

const typeName = (t: ValueType): string =>
  t.kind === "list" || t.kind === "map" ? `${t.kind}(${typeName(t.element)})` : t.kind

/** Why a literal cannot be converted to the type (Terraform's conversions), or undefined. */
export const literalMismatch = (value: Json, type: ValueType): string | undefined => {
  if (value === null || type.kind === "any" || (typeof value === "string" && isExpression(value))) return undefined
  const expected = `expects ${typeName(type)}, got ${describe(value)}`
  switch (type.kind) {
    case "string":
      return typeof value === "object" ? expected : undefined
    case "number":
      if (typeof value === "number") return undefined
      return typeof value === "string" && (isTemplate(value) || (value.trim() !== "" && Number.isFinite(Number(value)))) ? undefined : expected
    case "bool":
      if (typeof value === "boolean") return undefined
      return typeof value === "string" && (isTemplate(value) || value === "true" || value === "false") ? undefined : expected
    case "list": {
      if (!Array.isArray(value)) return expected
      for (const [i, element] of value.entries()) {
        const inner = literalMismatch(element, type.element)
        if (inner !== undefined) return `element ${i} ${inner}`
      }
      return undefined
    }
    case "map": {
      if (!isRecord(value)) return expected
      for (const [key, element] of Object.entries(value)) {
        const inner = literalMismatch(element, type.element)
        if (inner !== undefined) return `key "${key}" ${inner}`
      }
      return undefined
    }
    case "object": {
      if (!isRecord(value)) return expected
      for (const [key, element] of Object.entries(value)) {
        const attribute = type.attributes.get(key)
        if (attribute === undefined) return `has no attribute "${key}"${didYouMean(key, type.attributes.keys())}`
        const inner = literalMismatch(element, attribute)
        if (inner !== undefined) return `attribute "${key}" ${inner}`
      }
      return undefined
    }
  }
}

// --- Terraform's own meta-arguments ------------------------------------------------------------

const arg = (type: ValueType, required = false): ArgumentSchema => ({ required, type })
const anyType: ValueType = { kind: "any" }
const conditionBlock: NestedBlockSchema = {
  required: false,
  single: false,
  body: { arguments: new Map([["condition", arg(anyType, true)], ["error_message", arg({ kind: "string" }, true)]]), blocks: new Map() }
}
const conditions = new Map([["precondition", conditionBlock], ["postcondition", conditionBlock]])
const lifecycleOf: Readonly<Record<SchemaKind, BlockSchema>> = {
  resource: {
    arguments: new Map([
      ["create_before_destroy", arg({ kind: "bool" })],
      ["prevent_destroy", arg({ kind: "bool" })],
      ["ignore_changes", arg(anyType)],
      ["replace_triggered_by", arg({ kind: "list", element: anyType })]
    ]),
    blocks: conditions
  },
  data: { arguments: new Map(), blocks: conditions },
  provider: { arguments: new Map(), blocks: new Map() }
}
/** Meta-arguments other than `lifecycle`, whose values are references Terraform itself resolves. */
const metaArguments: Readonly<Record<SchemaKind, ReadonlySet<string>>> = {
  resource: new Set(["count", "for_each", "provider", "depends_on", "provisioner", "connection"]),
  data: new Set(["count", "for_each", "provider", "depends_on"]),
  provider: new Set(["alias", "version"])
}

// --- The walk ----------------------------------------------------------------------------------

interface Site {
  readonly file: string
  readonly text: string
  /** Character offset of the top-level block's header. */
  readonly start: number
  /** Its address, the start of every `where` inside it. */
  readonly address: string
}

/**
 * The line of what `where` names: each step of its path (`statement[2]`, `dynamic "vpc_config"`,
 * `content`, `subnet_ids`) looked for in turn after the previous one, inside the top-level block.
 * A step that is not written (a missing argument) leaves the line of the last one found.
 */
const lineOf = (site: Site, where: string): number => {
  const from = site.text.slice(site.start)
  const nextTop = from.slice(1).search(/\n(resource|data|provider|module|variable|output|locals|terraform|check)\b/)
  const scope = nextTop < 0 ? from : from.slice(0, nextTop + 1)
  let at = 0
  const steps = where.slice(site.address.length + 1).split(/\.(?=(?:[^"]*"[^"]*")*[^"]*$)/).filter((s) => s !== "")
  for (const step of steps) {
    const m = /^(?:dynamic "(\w+)"|(\w+))(?:\[(\d+)\])?$/.exec(step)
    const name = m?.[1] ?? m?.[2]
    if (name === undefined) break
    const pattern = new RegExp(`\\n[ \\t]*(${name}\\s*[={]|dynamic\\s+"${name}")`, "g")
    let found = -1
    pattern.lastIndex = at
    for (let n = Number(m?.[3] ?? 0); n >= 0; n--) {
      const hit = pattern.exec(scope)
      if (hit === null) break
      found = hit.index + 1
    }
    if (found < 0) break
    at = found
  }
  return lineAt(site.text, site.start + at)
}

class Walk {
  readonly findings: Array<Finding> = []
  blocks = 0
  arguments = 0
  literals = 0

  report(site: Site, where: string, message: string) {
    this.findings.push({ file: site.file, line: lineOf(site, where), where, message })
  }

  /** Checks one block body against its schema; `meta` lists what Terraform (not the provider) reads there. */
  body(site: Site, where: string, body: Block, schema: BlockSchema, meta: ReadonlySet<string> = new Set(), lifecycle?: BlockSchema) {
    const given = new Set<string>()
    for (const [key, value] of Object.entries(body)) {
      const at = `${where}.${key}`
      if (meta.has(key)) continue
      if (key === "lifecycle" && lifecycle !== undefined) {
        this.nested(site, at, key, value, { required: false, single: true, body: lifecycle })
        for (const l of Array.isArray(value) ? value : []) if (isRecord(l)) this.ignoreChanges(site, `${at}.ignore_changes`, l["ignore_changes"], schema)
        continue
      }
      if (key === "dynamic") {
        this.dynamic(site, where, value, schema, given)
        continue
      }
      given.add(key)
      const argument = schema.arguments.get(key)
      const nested = schema.blocks.get(key)
      if (argument !== undefined) this.argument(site, at, key, value, argument)
      else if (nested !== undefined) this.nested(site, at, key, value, nested)
      else this.report(site, at, `unknown argument or block "${key}"${didYouMean(key, [...schema.arguments.keys(), ...schema.blocks.keys()])}`)
    }
    if (body["count"] !== undefined && body["for_each"] !== undefined && meta.has("count")) {
      this.report(site, `${where}.for_each`, "count and for_each are mutually exclusive")
    }
    for (const [name, a] of schema.arguments) {
      if (a.required && (!given.has(name) || body[name] === null)) this.report(site, where, `missing required argument "${name}"`)
    }
    for (const [name, b] of schema.blocks) {
      if (b.required && !given.has(name)) this.report(site, where, `missing required block "${name}" (at least one)`)
    }
  }

  argument(site: Site, where: string, name: string, value: Json, schema: ArgumentSchema) {
    this.arguments++
    if (typeof value === "string" && isExpression(value)) return
    this.literals++
    const problem = literalMismatch(value, schema.type)
    if (problem !== undefined) this.report(site, where, `${name} ${problem}`)
  }

  nested(site: Site, where: string, name: string, value: Json, schema: NestedBlockSchema) {
    const instances = Array.isArray(value) ? value : []
    if (!Array.isArray(value) || !instances.every(isRecord)) {
      this.report(site, where, `"${name}" is a block: write ${name} { ... }, not ${name} = ${describe(value)}`)
      return
    }
    if (schema.single && instances.length > 1) this.report(site, where, `block "${name}" is given ${instances.length} times; the schema allows at most one`)
    for (const [i, instance] of instances.entries()) {
      this.blocks++
      this.body(site, `${where}[${i}]`, instance as Block, schema.body)
    }
  }

  dynamic(site: Site, where: string, value: Json, schema: BlockSchema, given: Set<string>) {
    if (!isRecord(value)) return
    for (const [name, generators] of Object.entries(value)) {
      const at = `${where}.dynamic "${name}"`
      given.add(name)
      const nested = schema.blocks.get(name)
      if (nested === undefined) {
        this.report(site, at, `no such block "${name}"${didYouMean(name, schema.blocks.keys())}`)
        continue
      }
      for (const generator of Array.isArray(generators) ? generators.filter(isRecord) : []) {
        const unknown = Object.keys(generator).filter((k) => !["for_each", "iterator", "labels", "content"].includes(k))
        for (const k of unknown) this.report(site, `${at}.${k}`, `dynamic blocks take for_each, iterator, labels and content, not "${k}"`)
        if (generator["for_each"] === undefined) this.report(site, at, `dynamic "${name}" has no for_each`)
        const content = generator["content"]
        if (!Array.isArray(content) || content.length !== 1 || !isRecord(content[0])) {
          this.report(site, at, `dynamic "${name}" needs exactly one content block`)
          continue
        }
        this.blocks++
        this.body(site, `${at}.content`, content[0], nested.body)
      }
    }
  }

  /** `ignore_changes` names arguments of the resource itself, else it silently ignores nothing. */
  ignoreChanges(site: Site, where: string, value: Json | undefined, schema: BlockSchema) {
    if (value === undefined || value === "all" || value === "${all}") return
    for (const item of Array.isArray(value) ? value : [value]) {
      const root = typeof item === "string" ? /^\$\{([A-Za-z_][\w-]*)/.exec(item)?.[1] : undefined
      if (root !== undefined && !schema.arguments.has(root) && !schema.blocks.has(root)) {
        this.report(site, where, `ignore_changes names "${root}", which is not an argument${didYouMean(root, [...schema.arguments.keys(), ...schema.blocks.keys()])}`)
      }
    }
  }
}

/** Provider local name -> source address, from `required_providers` (Terraform's default: hashicorp/<name>). */
export const providerSources = (config: Configuration): ReadonlyMap<string, string> => {
  const out = new Map<string, string>()
  for (const file of config.files) {
    for (const terraform of Array.isArray(file.json["terraform"]) ? file.json["terraform"] : []) {
      if (!isRecord(terraform)) continue
      for (const required of Array.isArray(terraform["required_providers"]) ? terraform["required_providers"] : []) {
        if (!isRecord(required)) continue
        for (const [name, spec] of Object.entries(required)) {
          if (isRecord(spec) && typeof spec["source"] === "string") out.set(name, spec["source"])
        }
      }
    }
  }
  return out
}

/** Checks the whole configuration; `load` gives a provider's schema by source (hashicorp/aws). */
export const checkTerraformSchema = (config: Configuration, load: (source: string) => ProviderSchema | undefined): TerraformSchemaReport => {
  const sources = providerSources(config)
  const providers = new Map<string, ProviderSchema | undefined>()
  const providerOf = (name: string) => {
    if (!providers.has(name)) providers.set(name, load(sources.get(name) ?? `hashicorp/${name}`))
    return providers.get(name)
  }
  const walk = new Walk()
  let resources = 0
  let dataSources = 0
  let providerBlocks = 0
  const check = (site: Site, where: string, kind: SchemaKind, localName: string, type: string, body: Block) => {
    const provider = providerOf(localName)
    if (provider === undefined) {
      const source = sources.get(localName) ?? `hashicorp/${localName}`
      walk.report(site, where, `no offline schema for provider ${source}: its CDKTF bindings are not installed, so this block is not checked`)
      return
    }
    const schema = provider.schemaOf(kind, type)
    if (schema === undefined) {
      walk.report(site, where, `${provider.source} ${provider.version} has no ${kind === "data" ? "data source" : kind} type "${type}"`)
      return
    }
    walk.body(site, where, body, schema, metaArguments[kind], lifecycleOf[kind])
  }
  for (const file of config.files) {
    const site = (header: RegExp, address: string): Site => ({ file: file.name, text: file.text, start: Math.max(0, file.text.search(header)), address })
    for (const [kind, key] of [["resource", "resource"], ["data", "data"]] as const) {
      const byType = file.json[key]
      if (!isRecord(byType)) continue
      for (const [type, byName] of Object.entries(byType)) {
        if (!isRecord(byName)) continue
        for (const [name, bodies] of Object.entries(byName)) {
          for (const body of Array.isArray(bodies) ? bodies.filter(isRecord) : []) {
            kind === "resource" ? resources++ : dataSources++
            const explicit = typeof body["provider"] === "string" ? /^\$\{(\w+)/.exec(body["provider"])?.[1] : undefined
            const where = `${kind === "data" ? "data." : ""}${type}.${name}`
            check(site(new RegExp(`^[ \\t]*${key}\\s+"${type}"\\s+"${name}"`, "m"), where), where, kind, explicit ?? type.split("_")[0] ?? type, type, body)
          }
        }
      }
    }
    const providerBlocksOfFile = file.json["provider"]
    if (!isRecord(providerBlocksOfFile)) continue
    for (const [name, bodies] of Object.entries(providerBlocksOfFile)) {
      for (const body of Array.isArray(bodies) ? bodies.filter(isRecord) : []) {
        providerBlocks++
        check(site(new RegExp(`^[ \\t]*provider\\s+"${name}"`, "m"), `provider.${name}`), `provider.${name}`, "provider", name, "", body)
      }
    }
  }
  return {
    findings: walk.findings,
    counts: { resources, dataSources, providerBlocks, blocks: walk.blocks, arguments: walk.arguments, literals: walk.literals },
    providers
  }
}
