/**
 * A CloudFormation template against the resource specification (`cfnSpec.ts`), the checks
 * CloudFormation makes when a stack is created: template sections, parameter types, resource
 * types, every property (at every level of nesting) by name, type, enum and required flag, and
 * every intrinsic function: `Ref` and `Fn::Sub` names that are declared, `Fn::GetAtt` attributes
 * the resource type has, conditions declared, and lists where a list goes. Parameters and
 * conditions that nothing uses are named too.
 */
import { type Cfn, lineLocator, parseTemplate, pseudoParameters, type Template } from "./cfn.js"
import type { CfnSpec, SpecObject, SpecType } from "./cfnSpec.js"
import { didYouMean, type Finding } from "./finding.js"

export interface CfnSpecCounts {
  readonly resources: number
  /** Property names checked against the specification, at every level. */
  readonly properties: number
  /** Names checked: Ref, Fn::GetAtt, Fn::Sub variables, conditions, DependsOn. */
  readonly references: number
}

export interface CfnSpecReport {
  readonly findings: ReadonlyArray<Finding>
  readonly counts: CfnSpecCounts
}

type Path = ReadonlyArray<string | number>
/** What an intrinsic function gives, as far as its type goes. */
type Result = "scalar" | "list" | "absent" | "unknown"

const isObject = (v: Cfn | undefined): v is { readonly [key: string]: Cfn } => typeof v === "object" && v !== null && !Array.isArray(v)

const render = (path: Path): string => path.reduce<string>((s, p) => (typeof p === "number" ? `${s}[${p}]` : s === "" ? p : `${s}.${p}`), "")

const sections = ["AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Transform", "Resources", "Outputs"]
const parameterKeys = ["Type", "Default", "Description", "AllowedPattern", "AllowedValues", "ConstraintDescription", "MaxLength", "MinLength", "MaxValue", "MinValue", "NoEcho"]
const parameterType = /^(String|Number|List<Number>|CommaDelimitedList|AWS::SSM::Parameter::(Name|Value<.+>)|(List<)?AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+>?)$/
const listParameterType = /^(CommaDelimitedList|List<.+>|AWS::SSM::Parameter::Value<List<.+>>)$/
const resourceKeys = ["Type", "Properties", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata", "CreationPolicy", "UpdatePolicy"]
const deletionPolicies = ["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"]
const outputKeys = ["Description", "Value", "Export", "Condition"]
const conditionFunctions = ["Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition"]
const tag: SpecObject = {
  name: "Tag",
  properties: { Key: { required: true, type: { type: "string" } }, Value: { required: true, type: { type: "string" } } }
}

const alternatives = (types: ReadonlyArray<SpecType>): ReadonlyArray<SpecType> =>
  types.flatMap((t) => (t.type === "union" ? alternatives(t.types) : [t]))

const typeName = (t: SpecType, spec: CfnSpec): string => {
  switch (t.type) {
    case "array":
      return `a list of ${typeName(t.element, spec)}`
    case "map":
      return `a map of ${typeName(t.element, spec)}`
    case "ref":
      return `an object (${spec.typeDefinition(t.reference).name})`
    case "tag":
      return "a tag {Key, Value}"
    case "union":
      return t.types.map((u) => typeName(u, spec)).join(" or ")
    case "string":
    case "integer":
      return t.allowedValues === undefined ? t.type : `one of ${t.allowedValues.join(", ")}`
    default:
      return t.type
  }
}

const isNumeric = (v: Cfn) => (typeof v === "number" || typeof v === "string") && String(v).trim() !== "" && Number.isFinite(Number(v))

/** Whether a literal scalar is one CloudFormation converts to the type. */
const scalarFits = (v: Cfn, t: SpecType): boolean => {
  switch (t.type) {
    case "string":
      return typeof v !== "object" && (t.allowedValues === undefined || t.allowedValues.includes(String(v)))
    case "integer":
      return typeof v !== "boolean" && isNumeric(v) && Number.isInteger(Number(v)) && (t.allowedValues === undefined || t.allowedValues.includes(Number(v)))
    case "number":
      return typeof v !== "boolean" && isNumeric(v)
    case "boolean":
      return typeof v === "boolean" || (typeof v === "string" && /^(true|false)$/i.test(v))
    case "date-time":
      return typeof v === "string"
    default:
      return false
  }
}

const describe = (v: Cfn): string =>
  Array.isArray(v) ? "a list" : isObject(v) ? "an object" : typeof v === "string" ? `"${v.length > 40 ? `${v.slice(0, 40)}...` : v}"` : String(v)

class Check {
  readonly findings: Array<Finding> = []
  resources = 0
  properties = 0
  references = 0
  private readonly usedParameters = new Set<string>()
  private readonly usedConditions = new Set<string>()
  private readonly locate: (path: Path) => number

  constructor(
    private readonly file: string,
    text: string,
    private readonly t: Template,
    private readonly spec: CfnSpec
  ) {
    this.locate = lineLocator(text)
  }

  report(path: Path, message: string) {
    this.findings.push({ file: this.file, line: this.locate(path), where: render(path), message })
  }

  run() {
    const t = this.t as unknown as { readonly [key: string]: Cfn }
    for (const key of Object.keys(t)) if (!sections.includes(key)) this.report([key], `unknown template section "${key}"${didYouMean(key, sections)}`)
    for (const [name, p] of Object.entries(this.t.Parameters ?? {})) this.parameter(name, p as unknown as Cfn)
    for (const [name, c] of Object.entries(this.t.Conditions ?? {})) this.condition(c, ["Conditions", name])
    for (const [id, r] of Object.entries(this.t.Resources)) this.resource(id, r as unknown as Cfn)
    for (const [name, o] of Object.entries(this.t.Outputs ?? {})) this.output(name, o as unknown as Cfn)
    for (const name of Object.keys(this.t.Parameters ?? {})) {
      if (!this.usedParameters.has(name)) this.report(["Parameters", name], `parameter "${name}" is declared but never used`)
    }
    for (const name of Object.keys(this.t.Conditions ?? {})) {
      if (!this.usedConditions.has(name)) this.report(["Conditions", name], `condition "${name}" is declared but never used`)
    }
  }

  parameter(name: string, p: Cfn) {
    const path = ["Parameters", name]
    if (!isObject(p)) return this.report(path, "a parameter is an object with a Type")
    for (const key of Object.keys(p)) if (!parameterKeys.includes(key)) this.report([...path, key], `unknown parameter attribute "${key}"${didYouMean(key, parameterKeys)}`)
    if (typeof p["Type"] !== "string" || !parameterType.test(p["Type"])) this.report([...path, "Type"], `parameter type ${describe(p["Type"] ?? null)} is not a CloudFormation parameter type`)
  }

  resource(id: string, r: Cfn) {
    const path = ["Resources", id]
    this.resources++
    if (!isObject(r) || typeof r["Type"] !== "string") return this.report(path, "a resource is an object with a Type")
    for (const key of Object.keys(r)) if (!resourceKeys.includes(key)) this.report([...path, key], `unknown resource attribute "${key}"${didYouMean(key, resourceKeys)}`)
    if (r["Condition"] !== undefined) this.conditionName(r["Condition"], [...path, "Condition"])
    for (const [i, target] of (Array.isArray(r["DependsOn"]) ? r["DependsOn"] : r["DependsOn"] === undefined ? [] : [r["DependsOn"]]).entries()) {
      this.references++
      if (typeof target !== "string" || !(target in this.t.Resources) || target === id) this.report([...path, "DependsOn", i], `DependsOn ${describe(target)}: no other resource of that name`)
    }
    for (const key of ["DeletionPolicy", "UpdateReplacePolicy"]) {
      if (r[key] !== undefined && !deletionPolicies.includes(String(r[key]))) this.report([...path, key], `${key} must be one of ${deletionPolicies.join(", ")}`)
    }
    const type = this.spec.resource(r["Type"])
    if (type === undefined) {
      this.report([...path, "Type"], `unknown resource type "${r["Type"]}"`)
      this.value(r["Properties"] ?? {}, undefined, [...path, "Properties"])
      return
    }
    const properties = r["Properties"] ?? {}
    if (isObject(properties)) this.object(properties, type, [...path, "Properties"])
    else this.report([...path, "Properties"], `Properties must be an object, got ${describe(properties)}`)
  }

  output(name: string, o: Cfn) {
    const path = ["Outputs", name]
    if (!isObject(o) || o["Value"] === undefined) return this.report(path, "an output is an object with a Value")
    for (const key of Object.keys(o)) if (!outputKeys.includes(key)) this.report([...path, key], `unknown output attribute "${key}"${didYouMean(key, outputKeys)}`)
    if (o["Condition"] !== undefined) this.conditionName(o["Condition"], [...path, "Condition"])
    this.value(o["Value"], [{ type: "string" }, { type: "array", element: { type: "string" } }], [...path, "Value"])
    if (o["Export"] !== undefined) this.value(o["Export"], undefined, [...path, "Export"])
  }

  /** An object against a resource's or nested type's properties. */
  object(v: { readonly [key: string]: Cfn }, def: SpecObject, path: Path) {
    for (const [key, x] of Object.entries(v)) {
      this.properties++
      const property = def.properties[key]
      if (property === undefined) {
        this.report([...path, key], `${def.name} has no property "${key}"${didYouMean(key, Object.keys(def.properties))}`)
        this.value(x, undefined, [...path, key])
      } else {
        this.value(x, [property.type, ...(property.previousTypes ?? [])], [...path, key])
      }
    }
    for (const [name, property] of Object.entries(def.properties)) {
      if (property.required === true && !(name in v)) this.report(path, `${def.name}: missing required property "${name}"`)
    }
  }

  /** A value against the types it may have (undefined: any, only its intrinsics are checked). */
  value(v: Cfn, types: ReadonlyArray<SpecType> | undefined, path: Path): void {
    const fn = isObject(v) && Object.keys(v).length === 1 ? Object.keys(v)[0] : undefined
    if (fn !== undefined && (fn === "Ref" || fn.startsWith("Fn::"))) {
      const arg = (v as { readonly [key: string]: Cfn })[fn] as Cfn
      if (fn === "Fn::If") return this.ifValue(arg, types, [...path, fn])
      const result = this.intrinsic(fn, arg, [...path, fn], false)
      if (types !== undefined && !this.fits(result, types)) {
        this.report(path, `expects ${alternatives(types).map((t) => typeName(t, this.spec)).join(" or ")}, but ${fn} gives a ${result === "list" ? "list" : "single value"}`)
      }
      return
    }
    if (types === undefined) {
      if (Array.isArray(v)) v.forEach((x: Cfn, i: number) => this.value(x, undefined, [...path, i]))
      else if (isObject(v)) for (const [k, x] of Object.entries(v)) this.value(x, undefined, [...path, k])
      return
    }
    if (v === null) return
    const alts = alternatives(types)
    const mismatch = () => this.report(path, `expects ${alts.map((t) => typeName(t, this.spec)).join(" or ")}, got ${describe(v)}`)
    if (Array.isArray(v)) {
      const list = alts.find((t) => t.type === "array")
      if (list?.type === "array") return v.forEach((x: Cfn, i: number) => this.value(x, [list.element], [...path, i]))
      return alts.some((t) => t.type === "json") ? this.value(v, undefined, path) : mismatch()
    }
    if (isObject(v)) {
      const shape = ["ref", "tag", "map", "json"].map((kind) => alts.find((t) => t.type === kind)).find((t) => t !== undefined)
      if (shape?.type === "ref") return this.object(v, this.spec.typeDefinition(shape.reference), path)
      if (shape?.type === "tag") return this.object(v, tag, path)
      if (shape?.type === "map") return Object.entries(v).forEach(([k, x]) => this.value(x, [shape.element], [...path, k]))
      return shape?.type === "json" ? this.value(v, undefined, path) : mismatch()
    }
    if (!alts.some((t) => scalarFits(v, t))) mismatch()
  }

  /** Fn::If: the condition is declared, and each branch fits where the value goes. */
  ifValue(arg: Cfn, types: ReadonlyArray<SpecType> | undefined, path: Path): void {
    if (!Array.isArray(arg) || arg.length !== 3) return this.report(path, "Fn::If takes [condition, value if true, value if false]")
    this.conditionName(arg[0] as Cfn, [...path, 0])
    for (const i of [1, 2]) this.value(arg[i] as Cfn, types, [...path, i])
  }

  fits(result: Result, types: ReadonlyArray<SpecType>): boolean {
    const alts = alternatives(types)
    if (result === "list") return alts.some((t) => t.type === "array" || t.type === "json")
    if (result === "scalar") return alts.some((t) => !["array", "map", "ref", "tag"].includes(t.type))
    return true
  }

  intrinsic(fn: string, arg: Cfn, path: Path, inConditions: boolean): Result {
    switch (fn) {
      case "Ref":
        return this.ref(arg, path, inConditions)
      case "Fn::GetAtt":
        return this.getAtt(arg, path)
      case "Fn::Sub":
        this.sub(arg, path)
        return "scalar"
      case "Fn::Join": {
        if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== "string") this.report(path, "Fn::Join takes [delimiter, list]")
        else this.value(arg[1] as Cfn, [{ type: "array", element: { type: "string" } }], [...path, 1])
        return "scalar"
      }
      case "Fn::Select":
      case "Fn::Split":
      case "Fn::Cidr":
      case "Fn::GetAZs":
        this.value(arg, undefined, path)
        return fn === "Fn::Select" ? "unknown" : "list"
      case "Fn::Base64":
      case "Fn::ImportValue":
      case "Fn::Length":
      case "Fn::ToJsonString":
        this.value(arg, undefined, path)
        return "scalar"
      case "Fn::FindInMap": {
        const map = Array.isArray(arg) ? arg[0] : undefined
        this.references++
        if (typeof map === "string" && !(map in ((this.t as unknown as { Mappings?: object }).Mappings ?? {}))) this.report(path, `Fn::FindInMap: no mapping "${map}"`)
        this.value(arg, undefined, path)
        return "unknown"
      }
      case "Fn::Transform":
        return "unknown"
      default:
        this.report(path, conditionFunctions.includes(fn) ? `${fn} is a condition function: declare it in Conditions and use it with Fn::If` : `unknown intrinsic function ${fn}`)
        return "unknown"
    }
  }

  /** Ref to a parameter, resource or pseudo parameter (in Conditions: no resource). */
  ref(name: Cfn, path: Path, inConditions: boolean): Result {
    this.references++
    if (typeof name !== "string") {
      this.report(path, "Ref takes a name")
      return "unknown"
    }
    if (name === "AWS::NoValue") return "absent"
    if (name in pseudoParameters) return name === "AWS::NotificationARNs" ? "list" : "scalar"
    const parameter = this.t.Parameters?.[name]
    if (parameter !== undefined) {
      this.usedParameters.add(name)
      return listParameterType.test(parameter.Type) ? "list" : "scalar"
    }
    if (name in this.t.Resources && !inConditions) return "scalar"
    const known = [...Object.keys(this.t.Parameters ?? {}), ...(inConditions ? [] : Object.keys(this.t.Resources))]
    this.report(path, `Ref to "${name}", which is not a declared ${inConditions ? "parameter" : "parameter or resource"}${didYouMean(name, known)}`)
    return "unknown"
  }

  getAtt(arg: Cfn, path: Path): Result {
    this.references++
    const [id, attribute] = Array.isArray(arg) ? arg : []
    if (typeof id !== "string" || attribute === undefined) {
      this.report(path, "Fn::GetAtt takes Resource.Attribute")
      return "unknown"
    }
    const resource = this.t.Resources[id]
    if (resource === undefined) {
      this.report(path, `Fn::GetAtt of "${id}", which is not a declared resource${didYouMean(id, Object.keys(this.t.Resources))}`)
      return "unknown"
    }
    if (typeof attribute !== "string") return "unknown"
    const attributes = this.spec.resource(resource.Type)?.attributes
    if (attributes === undefined) return "unknown"
    const found = attributes[attribute]
    if (found === undefined) {
      this.report(path, `${resource.Type} has no attribute "${attribute}" (it has ${Object.keys(attributes).sort().join(", ") || "none"})`)
      return "unknown"
    }
    return found.type.type === "array" ? "list" : "scalar"
  }

  sub(arg: Cfn, path: Path) {
    const [text, vars] = typeof arg === "string" ? [arg, {}] : Array.isArray(arg) ? [arg[0], arg[1] ?? {}] : [undefined, {}]
    if (typeof text !== "string" || !isObject(vars)) return this.report(path, "Fn::Sub takes a string or [string, {variables}]")
    for (const [k, x] of Object.entries(vars)) this.value(x, undefined, [...path, 1, k])
    for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
      const name = (m[1] ?? "").trim()
      if (name in vars) {
        this.references++
        continue
      }
      const dot = name.indexOf(".")
      if (dot > 0 && !(name in pseudoParameters)) {
        this.getAtt([name.slice(0, dot), name.slice(dot + 1)], path)
        continue
      }
      if (this.ref(name, path, false) === "list") this.report(path, `Fn::Sub cannot insert "${name}", a list parameter: join it first`)
    }
  }

  condition(c: Cfn, path: Path) {
    const fn = isObject(c) && Object.keys(c).length === 1 ? Object.keys(c)[0] : undefined
    const arg = fn === undefined ? undefined : (c as { readonly [key: string]: Cfn })[fn]
    const list = Array.isArray(arg) ? arg : []
    switch (fn) {
      case "Fn::Equals":
        if (list.length !== 2) this.report(path, "Fn::Equals takes two values")
        list.forEach((x: Cfn, i: number) => this.conditionOperand(x, [...path, fn, i]))
        return
      case "Fn::And":
      case "Fn::Or":
        if (list.length < 2 || list.length > 10) this.report(path, `${fn} takes 2 to 10 conditions`)
        list.forEach((x: Cfn, i: number) => this.condition(x, [...path, fn, i]))
        return
      case "Fn::Not":
        if (list.length !== 1) this.report(path, "Fn::Not takes one condition")
        list.forEach((x: Cfn, i: number) => this.condition(x, [...path, fn, i]))
        return
      case "Condition":
        return this.conditionName(arg ?? null, [...path, fn])
      default:
        this.report(path, "a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition")
    }
  }

  conditionOperand(v: Cfn, path: Path) {
    const fn = isObject(v) && Object.keys(v).length === 1 ? Object.keys(v)[0] : undefined
    if (!isObject(v) || fn === undefined) return
    if (fn === "Ref") this.ref(v[fn] as Cfn, [...path, fn], true)
    else if (fn.startsWith("Fn::")) this.intrinsic(fn, v[fn] as Cfn, [...path, fn], true)
  }

  conditionName(name: Cfn, path: Path) {
    this.references++
    if (typeof name === "string" && name in (this.t.Conditions ?? {})) {
      this.usedConditions.add(name)
      return
    }
    this.report(path, `condition ${describe(name)} is not declared${typeof name === "string" ? didYouMean(name, Object.keys(this.t.Conditions ?? {})) : ""}`)
  }
}

/** Checks one template (its text, for the lines of what it finds). */
export const checkTemplate = (file: string, text: string, spec: CfnSpec): CfnSpecReport => {
  const check = new Check(file, text, parseTemplate(text), spec)
  check.run()
  return { findings: check.findings, counts: { resources: check.resources, properties: check.properties, references: check.references } }
}
