/**
 * CloudFormation templates read with `yaml` and the short-form intrinsic tags (`!Ref`, `!Sub`,
 * `!GetAtt`, ...) turned into their long form, plus a small resolver that evaluates the
 * intrinsics we use, so that the member templates' event patterns can be run like the central one.
 */
import { readFileSync } from "node:fs"
import { isMap, isNode, isScalar, isSeq, LineCounter, parse, parseDocument, type ScalarTag, type CollectionTag } from "yaml"

export type Cfn = string | number | boolean | null | ReadonlyArray<Cfn> | { readonly [key: string]: Cfn }

const functions = [
  "Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub", "Transform",
  "And", "Equals", "If", "Not", "Or", "Condition", "GetAtt", "Ref", "Length", "ToJsonString"
] as const

const longName = (name: string) => (name === "Ref" || name === "Condition" ? name : `Fn::${name}`)

/** `Resource.Attribute`; the attribute may hold dots itself (Endpoint.Address). */
const splitGetAtt = (value: string): ReadonlyArray<string> => {
  const dot = value.indexOf(".")
  return dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)]
}

const tags: Array<ScalarTag | CollectionTag> = functions.flatMap((name) => {
  const key = longName(name)
  const scalar: ScalarTag = {
    tag: `!${name}`,
    resolve: (value: string) =>
      name === "GetAtt" ? { [key]: splitGetAtt(value) } : { [key]: value }
  }
  const seq: CollectionTag = {
    tag: `!${name}`,
    collection: "seq",
    resolve: (value) => ({ [key]: (value as unknown as { toJSON: () => unknown }).toJSON() })
  }
  const map: CollectionTag = {
    tag: `!${name}`,
    collection: "map",
    resolve: (value) => ({ [key]: (value as unknown as { toJSON: () => unknown }).toJSON() })
  }
  return [scalar, seq, map]
})

export interface Template {
  readonly AWSTemplateFormatVersion?: string
  readonly Description?: string
  readonly Parameters?: { readonly [name: string]: { readonly Type: string; readonly Default?: Cfn; readonly [k: string]: Cfn | undefined } }
  readonly Conditions?: { readonly [name: string]: Cfn }
  readonly Resources: {
    readonly [logicalId: string]: { readonly Type: string; readonly Condition?: string; readonly Properties?: { readonly [k: string]: Cfn } }
  }
  readonly Outputs?: { readonly [name: string]: { readonly Value: Cfn; readonly Condition?: string } }
}

export const parseTemplate = (text: string): Template => {
  const doc = parse(text, { customTags: tags, strict: true, uniqueKeys: true }) as unknown
  if (typeof doc !== "object" || doc === null || !("Resources" in doc)) throw new Error("not a CloudFormation template (no Resources)")
  return doc as Template
}

export const loadTemplate = (path: string): Template => parseTemplate(readFileSync(path, "utf8"))

/**
 * The 1-based line where what a path names is written (`["Resources", "Rule", "Properties"]`: the
 * line of that key), or where its nearest written ancestor is (a path into a missing key or into
 * a function's argument).
 */
export const lineLocator = (text: string): ((path: ReadonlyArray<string | number>) => number) => {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { customTags: tags, lineCounter })
  const line = (node: unknown) => (isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined)
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true)
      const last = path[n - 1]
      const written = isMap(parent) ? parent.items.find((pair) => isScalar(pair.key) && pair.key.value === last)?.key
        : isSeq(parent) && typeof last === "number" ? parent.items[last]
        : undefined
      const found = line(written)
      if (found !== undefined) return found
    }
    return 1
  }
}

export const pseudoParameters: Readonly<Record<string, string>> = {
  "AWS::AccountId": "222233334444",
  "AWS::Region": "eu-west-1",
  "AWS::Partition": "aws",
  "AWS::StackName": "StackSet-test",
  "AWS::StackId": "arn:aws:cloudformation:eu-west-1:222233334444:stack/StackSet-test/1",
  "AWS::URLSuffix": "amazonaws.com",
  "AWS::NotificationARNs": ""
}

/** What `Ref: AWS::NoValue` resolves to before it is removed from its list or object. */
const noValue = "\u0000AWS::NoValue"

const isObject = (v: Cfn): v is { readonly [key: string]: Cfn } => typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * Evaluates the intrinsics of a value with the given parameters: Ref to a parameter gives its
 * value (a CommaDelimitedList gives a list), Ref/GetAtt to a resource give a recognisable ARN-like
 * placeholder, Sub/Join/Select/Split are computed.
 */
export const resolve = (template: Template, params: Readonly<Record<string, Cfn>>, value: Cfn): Cfn => {
  const condition = (name: string): boolean => {
    const definition = template.Conditions?.[name]
    if (definition === undefined) throw new Error(`unknown condition ${name}`)
    const result = go(definition, {})
    if (typeof result !== "boolean") throw new Error(`condition ${name} is not a boolean`)
    return result
  }
  const paramValue = (name: string): Cfn => {
    if (name in pseudoParameters) return pseudoParameters[name] as string
    const declared = template.Parameters?.[name]
    if (declared !== undefined) {
      const given = name in params ? params[name] as Cfn : declared.Default
      if (given === undefined) throw new Error(`parameter ${name} has no value`)
      if (declared.Type === "CommaDelimitedList" || declared.Type.startsWith("List<")) {
        return Array.isArray(given) ? given : String(given).split(",")
      }
      return given
    }
    if (name in template.Resources) return `arn:aws:test:::${name}`
    throw new Error(`Ref to unknown name ${name}`)
  }
  const go = (v: Cfn, locals: Readonly<Record<string, Cfn>>): Cfn => {
    if (Array.isArray(v)) return v.map((x: Cfn) => go(x, locals))
    if (!isObject(v)) return v
    const keys = Object.keys(v)
    if (keys.length === 1) {
      const [key] = keys as [string]
      const arg = v[key] as Cfn
      switch (key) {
        case "Ref":
          if (arg === "AWS::NoValue") return noValue
          return typeof arg === "string" && arg in locals ? locals[arg] as Cfn : paramValue(String(arg))
        case "Fn::Equals": {
          const [a, b] = arg as [Cfn, Cfn]
          return JSON.stringify(go(a, locals)) === JSON.stringify(go(b, locals))
        }
        case "Fn::Not":
          return !(go((arg as [Cfn])[0], locals) as boolean)
        case "Fn::And":
          return (arg as ReadonlyArray<Cfn>).every((c) => go(c, locals) === true)
        case "Fn::Or":
          return (arg as ReadonlyArray<Cfn>).some((c) => go(c, locals) === true)
        case "Condition":
          return condition(String(arg))
        case "Fn::If": {
          const [name, whenTrue, whenFalse] = arg as [string, Cfn, Cfn]
          return go(condition(name) ? whenTrue : whenFalse, locals)
        }
        case "Fn::GetAtt": {
          const [id, attr] = arg as [string, string]
          if (!(id in template.Resources)) throw new Error(`GetAtt of unknown resource ${id}`)
          return `arn:aws:test:::${id}.${attr}`
        }
        case "Fn::Sub": {
          const [text, vars] = typeof arg === "string" ? [arg, {}] : (arg as [string, { readonly [k: string]: Cfn }])
          const scope: Record<string, Cfn> = { ...locals }
          for (const [k, x] of Object.entries(vars)) scope[k] = go(x, locals)
          return text.replace(/\$\{([^!}][^}]*)\}/g, (_, name: string) => {
            const [id, attr] = name.split(".")
            if (id !== undefined && attr !== undefined) return `arn:aws:test:::${id}.${attr}`
            return String(name in scope ? scope[name] : paramValue(name))
          })
        }
        case "Fn::Join": {
          const [sep, list] = arg as [string, Cfn]
          return (go(list, locals) as ReadonlyArray<Cfn>).map(String).join(sep)
        }
        case "Fn::Select": {
          const [index, list] = arg as [Cfn, Cfn]
          const items = go(list, locals) as ReadonlyArray<Cfn>
          const item = items[Number(go(index, locals))]
          if (item === undefined) throw new Error("Fn::Select out of range")
          return item
        }
        case "Fn::Split": {
          const [sep, text] = arg as [string, Cfn]
          return String(go(text, locals)).split(sep)
        }
        default:
          if (key.startsWith("Fn::")) throw new Error(`resolver does not know ${key}`)
      }
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, go(x, locals)]).filter(([, x]) => x !== noValue))
  }
  const strip = (v: Cfn): Cfn =>
    Array.isArray(v) ? v.filter((x: Cfn) => x !== noValue).map(strip)
      : isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]))
      : v
  return strip(go(value, {}))
}

/** The template as CloudFormation would create it: resources whose condition is false removed. */
export const activeResources = (template: Template, params: Readonly<Record<string, Cfn>>): Template["Resources"] =>
  Object.fromEntries(Object.entries(template.Resources).filter(([, r]) =>
    r.Condition === undefined || resolve(template, params, { Condition: r.Condition }) === true
  ))
