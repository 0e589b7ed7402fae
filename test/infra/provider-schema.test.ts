/**
 * Every resource, data source and provider block of terraform/, and every block nested in them,
 * against the schema of the provider version the configuration admits (the prebuilt CDKTF
 * bindings, generated from `terraform providers schema -json`): the schema half of
 * `terraform validate`, without a terraform binary. Known-bad snippets prove that each kind of
 * defect is named, with its file, line and address.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { formatFinding } from "./helpers/finding.js"
import { type Block, blocks, type Configuration, loadConfiguration, repoRoot } from "./helpers/hcl.js"
import { bindingsPackage, loadProviderSchema } from "./helpers/providerSchema.js"
import { checkTerraformSchema, providerSources, type TerraformSchemaReport } from "./helpers/terraformSchemaCheck.js"
import { admits } from "./helpers/versionConstraint.js"

let config: Configuration
let report: TerraformSchemaReport
beforeAll(async () => {
  config = await loadConfiguration()
  report = checkTerraformSchema(config, loadProviderSchema)
})

const scratch = mkdtempSync(join(tmpdir(), "highvolt-tf-schema-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The findings of a snippet, as one configuration file `snippet.tf`. */
const findingsOf = async (snippet: string): Promise<ReadonlyArray<string>> => {
  const dir = mkdtempSync(join(scratch, "case-"))
  writeFileSync(join(dir, "snippet.tf"), snippet)
  return checkTerraformSchema(await loadConfiguration(dir), loadProviderSchema).findings.map(formatFinding)
}

const requiredProviders = (): ReadonlyArray<readonly [string, Block]> => {
  const terraform = config.files.flatMap((f) => (Array.isArray(f.json["terraform"]) ? f.json["terraform"] as ReadonlyArray<Block> : []))
  return terraform.flatMap((t) => blocks(t, "required_providers")).flatMap((r) => Object.entries(r) as Array<[string, Block]>)
}

describe("the schemas", () => {
  it("come from bindings of a provider version that versions.tf admits, pinned exactly in package.json", () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { devDependencies: Record<string, string> }
    expect(requiredProviders().length).toBeGreaterThan(0)
    for (const [name, spec] of requiredProviders()) {
      const source = String(spec["source"])
      const schema = loadProviderSchema(source)
      expect(schema, `${name}: ${bindingsPackage(source)} is not installed`).toBeDefined()
      expect(admits(String(spec["version"]), schema?.version ?? ""), `${name} ${String(spec["version"])} vs ${schema?.version}`).toBe(true)
      expect(manifest.devDependencies[bindingsPackage(source)], name).toBe(schema?.packageVersion)
    }
  })

  it("versions.tf admits no provider older than the schema checked against (an older one may lack an argument used here)", () => {
    for (const [name, spec] of requiredProviders()) {
      const version = loadProviderSchema(String(spec["source"]))?.version ?? ""
      const [major, minor] = version.split(".")
      expect(spec["version"], name).toBe(`~> ${major}.${minor}`)
    }
  })

  it("the constraint reader follows Terraform's operators", () => {
    expect(admits("~> 6.25", "6.25.0")).toBe(true)
    expect(admits("~> 6.25", "6.99.1")).toBe(true)
    expect(admits("~> 6.25", "6.24.9")).toBe(false)
    expect(admits("~> 6.25", "7.0.0")).toBe(false)
    expect(admits("~> 6.25.1", "6.26.0")).toBe(false)
    expect(admits(">= 1.5.0, < 2.0.0", "1.9.3")).toBe(true)
    expect(admits(">= 1.5.0, < 2.0.0", "2.0.0")).toBe(false)
    expect(admits("6.25.0", "6.25.1")).toBe(false)
  })

  it("a provider without installed bindings is named, not skipped", () => {
    expect(loadProviderSchema("hashicorp/archive")).toBeUndefined()
  })
})

describe("the landed configuration", () => {
  it("has no finding, and every resource, data source and provider block was checked", () => {
    const { counts } = report
    console.info(
      `provider schema check: ${counts.resources} resources, ${counts.dataSources} data sources, ${counts.providerBlocks} provider block(s), ` +
        `${counts.blocks} nested blocks, ${counts.arguments} arguments (${counts.literals} literal values type-checked) against ` +
        [...report.providers].map(([name, p]) => `${name}: ${p === undefined ? "no schema" : `${p.source} ${p.version} (${p.packageName} ${p.packageVersion})`}`).join(", ")
    )
    expect(report.findings.map(formatFinding)).toEqual([])
    expect(counts.resources).toBe(config.resources.size)
    expect(counts.dataSources).toBe(config.data.size)
    expect(counts.providerBlocks).toBe(config.files.filter((f) => f.json["provider"] !== undefined).length)
    // Every provider used is declared in required_providers (so its version is pinned, and checked above).
    expect([...report.providers.keys()].sort()).toEqual(requiredProviders().map(([name]) => name).sort())
    expect(providerSources(config).get("aws")).toBe("hashicorp/aws")
  })
})

describe("known-bad snippets are named with file, line and address", () => {
  it.each([
    {
      defect: "a misspelled argument",
      snippet: 'resource "aws_sqs_queue" "q" {\n  name = "q"\n  mesage_retention_seconds = 60\n}\n',
      expected: 'snippet.tf:3: aws_sqs_queue.q.mesage_retention_seconds: unknown argument or block "mesage_retention_seconds" (did you mean message_retention_seconds?)'
    },
    {
      defect: "a block in the wrong place",
      snippet: 'resource "aws_cloudwatch_event_target" "t" {\n  rule = "r"\n  arn  = "a"\n  retry_policy {\n    dead_letter_config {\n      arn = "d"\n    }\n  }\n}\n',
      expected: 'snippet.tf:5: aws_cloudwatch_event_target.t.retry_policy[0].dead_letter_config: unknown argument or block "dead_letter_config"'
    },
    {
      defect: "a number argument given a word",
      snippet: 'resource "aws_sqs_queue" "q" {\n  delay_seconds = "soon"\n}\n',
      expected: 'snippet.tf:2: aws_sqs_queue.q.delay_seconds: delay_seconds expects number, got "soon"'
    },
    {
      defect: "a bool argument given a number",
      snippet: 'resource "aws_sqs_queue" "q" {\n  fifo_queue = 1\n}\n',
      expected: "snippet.tf:2: aws_sqs_queue.q.fifo_queue: fifo_queue expects bool, got 1"
    },
    {
      defect: "a map argument given a list",
      snippet: 'resource "aws_sqs_queue" "q" {\n  tags = ["owner"]\n}\n',
      expected: "snippet.tf:2: aws_sqs_queue.q.tags: tags expects map(string), got a list"
    },
    {
      defect: "a list element of the wrong type",
      snippet: 'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  role          = "r"\n  architectures = [["arm64"]]\n}\n',
      expected: "snippet.tf:4: aws_lambda_function.f.architectures: architectures element 0 expects string, got a list"
    },
    {
      defect: "a block written as an argument",
      snippet: 'resource "aws_cloudwatch_event_target" "t" {\n  rule = "r"\n  arn  = "a"\n  retry_policy = "x"\n}\n',
      expected: 'snippet.tf:4: aws_cloudwatch_event_target.t.retry_policy: "retry_policy" is a block: write retry_policy { ... }, not retry_policy = "x"'
    },
    {
      defect: "a missing required argument",
      snippet: 'resource "aws_cloudwatch_event_target" "t" {\n  rule = "r"\n}\n',
      expected: 'snippet.tf:1: aws_cloudwatch_event_target.t: missing required argument "arn"'
    },
    {
      defect: "a missing required argument of a nested block",
      snippet: 'data "aws_iam_policy_document" "p" {\n  statement {\n    principals {\n      type = "AWS"\n    }\n  }\n}\n',
      expected: 'snippet.tf:3: data.aws_iam_policy_document.p.statement[0].principals[0]: missing required argument "identifiers"'
    },
    {
      defect: "a missing required block",
      snippet: 'resource "aws_cloudtrail" "t" {\n  name           = "t"\n  s3_bucket_name = "b"\n  advanced_event_selector {\n    name = "writes"\n  }\n}\n',
      expected: 'snippet.tf:4: aws_cloudtrail.t.advanced_event_selector[0]: missing required block "field_selector" (at least one)'
    },
    {
      defect: "a block given twice where the schema allows one",
      snippet: 'resource "aws_cloudwatch_event_target" "t" {\n  rule = "r"\n  arn  = "a"\n  retry_policy {\n    maximum_retry_attempts = 1\n  }\n  retry_policy {\n    maximum_retry_attempts = 2\n  }\n}\n',
      expected: 'snippet.tf:4: aws_cloudwatch_event_target.t.retry_policy: block "retry_policy" is given 2 times; the schema allows at most one'
    },
    {
      defect: "an unknown resource type",
      snippet: 'resource "aws_sqs_qeue" "q" {\n  name = "q"\n}\n',
      expected: 'snippet.tf:1: aws_sqs_qeue.q: registry.terraform.io/hashicorp/aws 6.25.0 has no resource type "aws_sqs_qeue"'
    },
    {
      defect: "a resource type used as a data source",
      snippet: 'data "aws_sqs_queue_policy" "p" {\n  queue_url = "u"\n}\n',
      expected: 'snippet.tf:1: data.aws_sqs_queue_policy.p: registry.terraform.io/hashicorp/aws 6.25.0 has no data source type "aws_sqs_queue_policy"'
    },
    {
      defect: "a provider whose schema is not installed",
      snippet: 'data "archive_file" "zip" {\n  type = "zip"\n}\n',
      expected: "snippet.tf:1: data.archive_file.zip: no offline schema for provider hashicorp/archive: its CDKTF bindings are not installed, so this block is not checked"
    },
    {
      defect: "a dynamic block the schema does not have",
      snippet: 'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  role          = "r"\n  dynamic "vpc" {\n    for_each = []\n    content {}\n  }\n}\n',
      expected: 'snippet.tf:4: aws_lambda_function.f.dynamic "vpc": no such block "vpc" (did you mean vpc_config?)'
    },
    {
      defect: "an unknown argument inside a dynamic block's content",
      snippet: 'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  role          = "r"\n  dynamic "vpc_config" {\n    for_each = var.subnets\n    content {\n      subnet_ids         = var.subnets\n      security_group_ids = []\n      subnet             = "s"\n    }\n  }\n}\n',
      expected: 'snippet.tf:9: aws_lambda_function.f.dynamic "vpc_config".content.subnet: unknown argument or block "subnet" (did you mean subnet_ids?)'
    },
    {
      defect: "ignore_changes naming no argument",
      snippet: 'resource "aws_sqs_queue" "q" {\n  name = "q"\n  lifecycle {\n    ignore_changes = [tag]\n  }\n}\n',
      expected: 'snippet.tf:4: aws_sqs_queue.q.lifecycle.ignore_changes: ignore_changes names "tag", which is not an argument (did you mean tags?)'
    },
    {
      defect: "an unknown lifecycle argument",
      snippet: 'resource "aws_sqs_queue" "q" {\n  lifecycle {\n    prevent_destroyed = true\n  }\n}\n',
      expected: 'snippet.tf:3: aws_sqs_queue.q.lifecycle[0].prevent_destroyed: unknown argument or block "prevent_destroyed" (did you mean prevent_destroy?)'
    },
    {
      defect: "count with for_each",
      snippet: 'resource "aws_sqs_queue" "q" {\n  count    = 1\n  for_each = toset([])\n}\n',
      expected: "snippet.tf:3: aws_sqs_queue.q.for_each: count and for_each are mutually exclusive"
    },
    {
      defect: "an unknown provider argument",
      snippet: 'provider "aws" {\n  region = "us-east-1"\n  default_tag {\n    tags = {}\n  }\n}\n',
      expected: 'snippet.tf:3: provider.aws.default_tag: unknown argument or block "default_tag" (did you mean default_tags?)'
    },
    {
      defect: "a misspelled argument in a file of several blocks, comments and blank lines (the line is its own)",
      snippet: '# Queues.\n\nresource "aws_sqs_queue" "a" {\n  name = "a"\n}\n\n\nresource "aws_sqs_queue" "b" {\n  name = "b"\n\n  delay_seconds = 1\n  delay_secs    = 1\n}\n',
      expected: 'snippet.tf:12: aws_sqs_queue.b.delay_secs: unknown argument or block "delay_secs" (did you mean delay_seconds?)'
    },
    {
      defect: "a defect in the second of several nested blocks (the line is that block's)",
      snippet: 'data "aws_iam_policy_document" "p" {\n  statement {\n    actions = ["s3:GetObject"]\n  }\n\n  statement {\n    actions = ["s3:GetObject"]\n    condition {\n      test     = "StringEquals"\n      variable = "aws:ResourceAccount"\n    }\n  }\n}\n',
      expected: 'snippet.tf:8: data.aws_iam_policy_document.p.statement[1].condition[0]: missing required argument "values"'
    },
    {
      defect: "an argument of the random provider's resource misspelled",
      snippet: 'resource "random_string" "s" {\n  lenght = 8\n}\n',
      expected: 'snippet.tf:2: random_string.s.lenght: unknown argument or block "lenght" (did you mean length?)'
    }
  ])("$defect", async ({ snippet, expected }) => {
    expect(await findingsOf(snippet)).toContain(expected)
  })

  it("a correct snippet, with expressions and templates where types are only known at plan time, has no finding", async () => {
    const snippet = [
      'resource "aws_sqs_queue" "q" {',
      "  for_each                  = toset(var.regions)",
      "  region                    = each.key",
      '  name                      = "dlq-${each.key}"',
      '  message_retention_seconds = "1209600"',
      '  fifo_queue                = "false"',
      "  delay_seconds             = var.delay",
      '  tags                      = { owner = "security", count = 2 }',
      "  lifecycle {",
      '    ignore_changes = [tags["owner"]]',
      "  }",
      "}",
      'resource "random_uuid" "id" {}',
      ""
    ].join("\n")
    expect(await findingsOf(snippet)).toEqual([])
  })
})
