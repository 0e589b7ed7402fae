/**
 * terraform/README.md stays true: its inputs and outputs tables match the configuration, its
 * example terraform.tfvars parses and sets only declared variables (all the required ones), its
 * cost and rollout tables are recomputed here from what it states and the configuration, and
 * the schema checks' figures are the ones they compute.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { loadCfnSpec } from "./helpers/cfnSpec.js"
import { checkTemplate } from "./helpers/cfnSpecCheck.js"
import { type Configuration, loadConfiguration, parseHcl, terraformDir } from "./helpers/hcl.js"
import { loadProviderSchema } from "./helpers/providerSchema.js"
import { assumedMinutesPerStack, preferencesOf, rollout } from "./helpers/stacksetRollout.js"
import { checkTerraformSchema } from "./helpers/terraformSchemaCheck.js"

const readme = readFileSync(join(terraformDir, "README.md"), "utf8")

let config: Configuration
beforeAll(async () => {
  config = await loadConfiguration()
})

/** The rows of the first Markdown table after a heading, as arrays of trimmed cells. */
const tableAfter = (heading: string): ReadonlyArray<ReadonlyArray<string>> => {
  const start = readme.indexOf(`\n${heading}\n`)
  if (start < 0) throw new Error(`no heading ${heading}`)
  const lines = readme.slice(start).split("\n")
  const first = lines.findIndex((l) => l.startsWith("|"))
  const rows: Array<ReadonlyArray<string>> = []
  for (const line of lines.slice(first)) {
    if (!line.startsWith("|")) break
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()))
  }
  return rows.slice(2) // header and separator
}

const unquote = (cell: string) => cell.replace(/^`|`$/g, "")

describe("inputs and outputs tables", () => {
  it("list every variable once, with its type and default", () => {
    const rows = tableAfter("## Inputs")
    expect(rows.map((r) => unquote(r[0] ?? "")).sort()).toEqual([...config.variables.keys()].sort())
    for (const [name, type, def] of rows) {
      const v = config.variables.get(unquote(name ?? ""))?.body
      expect(unquote(type ?? ""), name).toBe(String(v?.["type"]).replace(/^\$\{|\}$/g, ""))
      const expected = v !== undefined && "default" in v ? `\`${v["default"] === null ? "null" : JSON.stringify(v["default"])}\`` : "required"
      expect(def, name).toBe(expected)
    }
  })

  it("list every output once", () => {
    const rows = tableAfter("## Outputs")
    expect(rows.map((r) => unquote(r[0] ?? "")).sort()).toEqual([...config.outputs.keys()].sort())
  })
})

describe("example terraform.tfvars", () => {
  const example = (() => {
    const at = readme.indexOf("## Example terraform.tfvars")
    const match = /```hcl\n([\s\S]*?)```/.exec(readme.slice(at))
    if (match?.[1] === undefined) throw new Error("no hcl block after the example heading")
    return match[1]
  })()

  it("parses, sets only declared variables, and every required one", async () => {
    const tfvars = await parseHcl("terraform.tfvars", example)
    expect(Object.keys(tfvars).filter((k) => !config.variables.has(k))).toEqual([])
    const required = [...config.variables.values()].filter((v) => !("default" in v.body)).map((v) => v.address.slice(4))
    expect(required.filter((k) => !(k in tfvars))).toEqual([])
  })

  it("uses values the validations accept", async () => {
    const tfvars = await parseHcl("terraform.tfvars", example) as Record<string, unknown>
    expect(tfvars["org_id"]).toMatch(/^o-[a-z0-9]{10,32}$/)
    expect(tfvars["org_root_id"]).toMatch(/^r-[0-9a-z]{4,32}$/)
    expect(tfvars["jsonair_url"]).toMatch(/^https:\/\//)
    for (const r of tfvars["monitored_regions"] as ReadonlyArray<string>) expect(r).toMatch(/^[a-z]{2}(-[a-z]+)+-[0-9]$/)
    expect(Number(tfvars["lambda_ephemeral_storage_mb"])).toBeGreaterThanOrEqual(Number(tfvars["max_file_size_mb"]))
  })
})

describe("cost model", () => {
  // The prices the README states (US East), and its model.
  const price = { armGbSecond: 0.0000133334, x86GbSecond: 0.0000166667, requestsPerMillion: 0.2, cloudTrailPerMillion: 1, eventBridgePerMillion: 1, logsPerGb: 0.5 }
  const model = { t0Ms: 150, cpuMsPerMb: 9.0, fullVcpuMb: 1769, memoryMb: 1024, logKbPerObject: 1.2 }

  it("states the prices and the model it computes with", () => {
    for (const text of ["$0.0000133334 per GB-second", "$0.0000166667", "$0.10 per 100,000 events", "$1.00 per million", "$0.20 per million", "$0.50 per GB", "9.0 ms of CPU per MB", "150 ms", "1769"]) {
      expect(readme).toContain(text)
    }
  })

  it("corrects the product page's figure: 256 MB x 5 s per million files", () => {
    const gbSeconds = (256 / 1024) * 5 * 1_000_000
    expect(gbSeconds).toBe(1_250_000)
    expect(readme).toContain(`$${(gbSeconds * price.x86GbSecond).toFixed(2)}`)
    expect(readme).toContain(`$${(gbSeconds * price.armGbSecond).toFixed(2)}`)
    expect((gbSeconds * price.x86GbSecond).toFixed(0)).toBe("21")
  })

  it("has the arithmetic of every row of the per-million table right", () => {
    const rows = tableAfter("Per **million objects**, 1024 MB, arm64, every object new (a duplicate costs about a quarter less")
    expect(rows.length).toBe(4)
    const logs = ((model.logKbPerObject * 1_000_000) / 1024 / 1024) * price.logsPerGb
    for (const row of rows) {
      const [size, duration, gbs, compute, requests, trail, events, logCost, total] = row.map((c) => Number(c.replace(/,/g, "")))
      const ms = model.t0Ms + (size as number) * model.cpuMsPerMb * (model.fullVcpuMb / model.memoryMb)
      const gbSeconds = (model.memoryMb / 1024) * (ms / 1000) * 1_000_000
      const lambda = gbSeconds * price.armGbSecond
      expect(duration, `duration of ${size} MB`).toBeCloseTo(ms, 1)
      expect(gbs, `GB-s of ${size} MB`).toBeCloseTo(gbSeconds, -1)
      expect(compute).toBeCloseTo(lambda, 2)
      expect(requests).toBe(price.requestsPerMillion)
      expect(trail).toBe(price.cloudTrailPerMillion)
      expect(events).toBe(price.eventBridgePerMillion)
      expect(logCost).toBeCloseTo(logs, 2)
      expect(total).toBeCloseTo(lambda + price.requestsPerMillion + price.cloudTrailPerMillion + price.eventBridgePerMillion + logs, 1)
    }
  })

  it("counts the fixed monthly alarms and metrics of 200 accounts x 6 Regions as the configuration creates them", () => {
    expect(readme).toContain("1,200 × $0.10 = $120.00")
    // Central alarms (the for_each over two queues counts twice) + one per management Region.
    const central = [...config.resources.keys()].filter((k) => k.startsWith("aws_cloudwatch_metric_alarm.") && !k.endsWith("management_forwarder_dlq")).length + 1
    expect(`${central + 6} central and management-account alarms`).toBe("13 central and management-account alarms")
    const reasons = (config.locals.get("skip_reasons")?.body["value"] as ReadonlyArray<string>).length
    const outcomes = (config.locals.get("outcomes")?.body["value"] as ReadonlyArray<string>).length
    expect(3 * (1 + outcomes + reasons) + 1).toBe(40)
    expect(readme).toContain("40 custom metrics")
  })
})

describe("schema checks", () => {
  it("state the figures the provider schema check computes, and the versions it checks against", () => {
    const { counts, providers } = checkTerraformSchema(config, loadProviderSchema)
    const stated = /\*\*(\d+) resources, (\d+) data sources, (\d+) provider blocks?, (\d+) nested blocks, (\d+) arguments\s+\((\d+) literal values type-checked\)\*\*/.exec(readme)
    expect(stated?.slice(1).map(Number)).toEqual([counts.resources, counts.dataSources, counts.providerBlocks, counts.blocks, counts.arguments, counts.literals])
    for (const p of providers.values()) {
      expect(readme).toContain(`${p?.source.replace("registry.terraform.io/", "")} **${p?.version}**`)
      expect(readme).toContain(`\`${p?.packageName}\` ${p?.packageVersion}`)
    }
  })

  it("state the figures the CloudFormation specification check computes", () => {
    const spec = loadCfnSpec()
    const dir = join(terraformDir, "stacksets")
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"))
    const totals = files.map((f) => checkTemplate(f, readFileSync(join(dir, f), "utf8"), spec).counts)
      .reduce((a, c) => ({ resources: a.resources + c.resources, properties: a.properties + c.properties, references: a.references + c.references }))
    const stated = /\*\*(\d+) templates, (\d+) resources,\s+(\d+) properties, (\d+) references\*\*/.exec(readme)
    expect(stated?.slice(1).map(Number)).toEqual([files.length, totals.resources, totals.properties, totals.references])
    expect(readme).toContain(`\`@aws-cdk/aws-service-spec\` ${spec.packageVersion}`)
  })
})

describe("StackSet rollout", () => {
  it("has the arithmetic of every row right, from the configuration's operation preferences", () => {
    const rows = tableAfter("### StackSet rollout: 200 accounts, 6 Regions")
    expect(rows.length).toBe(4)
    for (const [, resource, mode, atOnce, rounds, perStack, regions, minutes] of rows) {
      const body = config.resources.get(unquote(resource ?? ""))?.body
      expect(body, resource).toBeDefined()
      const prefs = preferencesOf(config, body ?? {})
      const template = /stacksets\/([\w.-]+)"/.exec(String(config.resources.get(`aws_cloudformation_stack_set.${unquote(resource ?? "").split(".")[1]}`)?.body["template_body"]))?.[1] ?? ""
      const regionCount = Number((regions ?? "").split(" ")[0])
      expect(regionCount > 1 ? `${regionCount} in parallel` : "1", resource).toBe(regions)
      expect(prefs.parallelRegions || regionCount === 1, resource).toBe(true)
      const computed = rollout(200, regionCount, prefs, assumedMinutesPerStack[template] ?? Number.NaN)
      expect([mode, Number(atOnce), Number(rounds), Number(perStack), Number(minutes)], resource).toEqual([
        prefs.strict ? "strict" : "soft", computed.concurrency, computed.waves, assumedMinutesPerStack[template], computed.minutes
      ])
    }
  })
})
