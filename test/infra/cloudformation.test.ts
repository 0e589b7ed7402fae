/**
 * The StackSet templates: they parse with the CloudFormation tags, every parameter is set by
 * Terraform, they resolve completely with what it passes, and a template that
 * Terraform deploys to several Regions of an account holds no global name (the first thing that
 * breaks when the second Region's stack is created).
 */
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { activeResources, type Cfn, loadTemplate, parseTemplate, resolve, type Template } from "./helpers/cfn.js"
import { block, type Configuration, loadConfiguration, terraformDir } from "./helpers/hcl.js"

const stacksetsDir = join(terraformDir, "stacksets")
const templateFiles = readdirSync(stacksetsDir).filter((f) => f.endsWith(".yaml")).sort()
const templates = new Map(templateFiles.map((f) => [f, loadTemplate(join(stacksetsDir, f))]))
const template = (file: string): Template => {
  const t = templates.get(file)
  if (t === undefined) throw new Error(`${file} missing`)
  return t
}

let config: Configuration
beforeAll(async () => {
  config = await loadConfiguration()
})

/** Properties that name an account-wide (global) resource: one per account, whatever the Region. */
const globalNameProperties: Readonly<Record<string, ReadonlyArray<string>>> = {
  "AWS::IAM::Role": ["RoleName"],
  "AWS::IAM::ManagedPolicy": ["ManagedPolicyName"],
  "AWS::IAM::InstanceProfile": ["InstanceProfileName"],
  "AWS::IAM::User": ["UserName"],
  "AWS::IAM::Group": ["GroupName"],
  "AWS::S3::Bucket": ["BucketName"]
}

const globalNames = (t: Template): ReadonlyArray<string> =>
  Object.entries(t.Resources).flatMap(([id, r]) =>
    (globalNameProperties[r.Type] ?? []).filter((p) => r.Properties?.[p] !== undefined).map((p) => `${id}.${p}`)
  )

/** What Terraform passes, for a plausible organization. */
const sampleParameters: Readonly<Record<string, string>> = {
  CentralEventBusArn: "arn:aws:events:us-east-1:111122223333:event-bus/highvolt-org-s3-events",
  ExcludedBucketNames: "highvolt-org-trail-111122223333-us-east-1,backups",
  ForwarderAlarmPrefix: "highvolt-s3-forwarder-dlq",
  TargetRetryAttempts: "185",
  TargetMaxEventAgeSeconds: "86400",
  DeadLetterRetentionSeconds: "1209600",
  ScannerRoleArn: "arn:aws:iam::111122223333:role/highvolt-aws-s3-lambda-role",
  ExternalId: "0f8fad5b-d9cb-469f-a165-70867728950e",
  ReaderRoleName: "highvolt-s3-scanner-reader",
  EnableBackfill: "true",
  CreateDeadLetterAlarm: "true"
}

/** The template file each StackSet uses, and the Regions Terraform deploys it to. */
const deployments = () =>
  ["forwarding", "reader"].map((name) => {
    const set = config.resources.get(`aws_cloudformation_stack_set.${name}`)
    const instances = config.resources.get(`aws_cloudformation_stack_instances.${name}`)
    if (set === undefined || instances === undefined) throw new Error(`StackSet ${name} incomplete`)
    const file = /stacksets\/([\w.-]+\.yaml)/.exec(String(set.body["template_body"]))?.[1] ?? ""
    const regions = instances.body["regions"]
    const multiRegion = !(Array.isArray(regions) && regions.length === 1)
    return { name, file, set: set.body, multiRegion }
  })

describe.each(templateFiles)("%s", (file) => {
  const t = template(file)

  it("is a CloudFormation template with a description", () => {
    expect(t.AWSTemplateFormatVersion).toBe("2010-09-09")
    expect(String(t.Description).length).toBeGreaterThan(40)
    expect(Object.keys(t.Resources).length).toBeGreaterThan(0)
  })

  it("gives every parameter a description, and defaults that satisfy its constraints", () => {
    for (const [name, p] of Object.entries(t.Parameters ?? {})) {
      expect(String(p["Description"] ?? "").length, name).toBeGreaterThan(10)
      if (p.Default === undefined) continue
      if (typeof p["AllowedPattern"] === "string") expect(String(p.Default), name).toMatch(new RegExp(p["AllowedPattern"]))
      if (typeof p["MinValue"] === "number") expect(Number(p.Default), name).toBeGreaterThanOrEqual(p["MinValue"])
      if (typeof p["MaxValue"] === "number") expect(Number(p.Default), name).toBeLessThanOrEqual(p["MaxValue"])
    }
  })

  it("resolves completely with the parameters Terraform gives it", () => {
    const deployment = deployments().find((d) => d.file === file)
    expect(deployment, `no StackSet deploys ${file}`).toBeDefined()
    const params = Object.fromEntries(Object.keys(deployment?.set["parameters"] as object).map((k) => {
      const value = sampleParameters[k]
      expect(value, `no sample value for ${k}`).toBeDefined()
      const pattern = t.Parameters?.[k]?.["AllowedPattern"]
      if (typeof pattern === "string") expect(value, k).toMatch(new RegExp(pattern))
      return [k, value as string]
    }))
    const resolved = JSON.stringify(resolve(t, params, t.Resources as unknown as Cfn))
    expect(resolved).not.toMatch(/"(Ref|Fn::\w+)"/)
  })
})

describe("StackSets and their templates", () => {
  it("Terraform sets exactly the template's parameters (the provider requires all of them)", () => {
    for (const d of deployments()) {
      const t = template(d.file)
      expect(Object.keys(d.set["parameters"] as object).sort(), d.name).toEqual(Object.keys(t.Parameters ?? {}).sort())
    }
  })

  it("a template deployed to several Regions of an account holds no global name", () => {
    const multi = deployments().filter((d) => d.multiRegion)
    expect(multi.map((d) => d.file)).toEqual(["member-forwarding.yaml"])
    for (const d of multi) expect(globalNames(template(d.file)), d.file).toEqual([])
  })

  it("the global-name check does catch a RoleName (or a BucketName)", () => {
    const t = template("member-forwarding.yaml")
    const withName = parseTemplate(JSON.stringify({
      ...t,
      Resources: {
        ...t.Resources,
        ForwarderRole: { ...t.Resources["ForwarderRole"], Properties: { ...t.Resources["ForwarderRole"]?.Properties, RoleName: "highvolt-forwarder" } },
        Bucket: { Type: "AWS::S3::Bucket", Properties: { BucketName: "fixed" } }
      }
    }))
    expect(globalNames(withName)).toEqual(["ForwarderRole.RoleName", "Bucket.BucketName"])
  })

  it("the named reader role is in a template deployed to one Region only", () => {
    const reader = deployments().find((d) => d.name === "reader")
    expect(reader?.multiRegion).toBe(false)
    expect(globalNames(template(reader?.file ?? ""))).toEqual(["ReaderRole.RoleName"])
  })

  it("each StackSet declares the capability its IAM resources need", () => {
    for (const d of deployments()) {
      const t = template(d.file)
      const hasIam = Object.values(t.Resources).some((r) => r.Type.startsWith("AWS::IAM::"))
      const named = globalNames(t).length > 0
      const expected = !hasIam ? [] : named ? ["CAPABILITY_NAMED_IAM"] : ["CAPABILITY_IAM"]
      expect(d.set["capabilities"] ?? [], d.name).toEqual(expected)
    }
  })

  it("the forwarder names agree with Terraform's (rules, role path, trust policy)", () => {
    const t = template("member-forwarding.yaml")
    const ruleName = (id: string) => t.Resources[id]?.Properties?.["Name"]
    expect(ruleName("ObjectCreatedRule")).toBe(config.locals.get("forward_rule_name")?.body["value"])
    expect(ruleName("AlarmForwardRule")).toBe(config.locals.get("alarm_forward_rule_name")?.body["value"])
    expect(t.Resources["ForwarderRole"]?.Properties?.["Path"]).toBe(config.locals.get("forwarder_role_path")?.body["value"])
    const trust = resolve(t, { ExcludedBucketNames: "x", CentralEventBusArn: "x" }, t.Resources["ForwarderRole"]?.Properties?.["AssumeRolePolicyDocument"] as Cfn)
    const sourceArns = JSON.stringify(trust)
    for (const id of ["ObjectCreatedRule", "AlarmForwardRule"]) {
      expect(sourceArns).toContain(`arn:aws:events:eu-west-1:222233334444:rule/${String(ruleName(id))}`)
    }
  })

  it("the member DLQ alarm is optional: without it, no alarm, no alarm rule, and the queue policy names one rule", () => {
    const t = template("member-forwarding.yaml")
    const policyOf = (alarm: string) => {
      const params = { ...sampleParameters, CreateDeadLetterAlarm: alarm }
      const active = activeResources(t, params)
      const policy = resolve(t, params, active["DeadLetterQueuePolicy"]?.Properties?.["PolicyDocument"] as Cfn)
      return { active: Object.keys(active).sort(), sourceArns: JSON.stringify(policy).match(/"aws:SourceArn":(\[[^\]]*\])/)?.[1] }
    }
    const on = policyOf("true")
    expect(on.active).toEqual(["AlarmForwardRule", "DeadLetterAlarm", "DeadLetterQueue", "DeadLetterQueuePolicy", "ForwarderRole", "ObjectCreatedRule"])
    expect(JSON.parse(on.sourceArns ?? "[]")).toEqual(["arn:aws:test:::ObjectCreatedRule.Arn", "arn:aws:test:::AlarmForwardRule.Arn"])
    const off = policyOf("false")
    expect(off.active).toEqual(["DeadLetterQueue", "DeadLetterQueuePolicy", "ForwarderRole", "ObjectCreatedRule"])
    expect(JSON.parse(off.sourceArns ?? "[]")).toEqual(["arn:aws:test:::ObjectCreatedRule.Arn"])
    // Nothing that always exists refers to a conditional resource, except through Fn::If.
    const unconditional = Object.entries(t.Resources).filter(([, r]) => r.Condition === undefined)
    const conditional = new Set(Object.entries(t.Resources).filter(([, r]) => r.Condition !== undefined).map(([id]) => id))
    for (const [id, r] of unconditional) {
      const withoutIfs = JSON.stringify(r, (_, v: unknown) => (typeof v === "object" && v !== null && "Fn::If" in v ? null : v))
      for (const c of conditional) expect(withoutIfs, `${id} refers to ${c}`).not.toContain(`"${c}"`)
    }
    expect(config.resources.get("aws_cloudformation_stack_set.forwarding")?.body["parameters"]).toMatchObject({
      CreateDeadLetterAlarm: "${tostring(var.member_dlq_alarms)}"
    })
  })

  it("every forwarding target has a role, a retry policy and the Region's dead-letter queue", () => {
    const t = template("member-forwarding.yaml")
    const rules = Object.values(t.Resources).filter((r) => r.Type === "AWS::Events::Rule")
    expect(rules).toHaveLength(2)
    for (const rule of rules) {
      for (const target of rule.Properties?.["Targets"] as ReadonlyArray<Record<string, Cfn>>) {
        expect(target).toMatchObject({
          Arn: { Ref: "CentralEventBusArn" },
          RoleArn: { "Fn::GetAtt": ["ForwarderRole", "Arn"] },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] } },
          RetryPolicy: { MaximumRetryAttempts: { Ref: "TargetRetryAttempts" }, MaximumEventAgeInSeconds: { Ref: "TargetMaxEventAgeSeconds" } }
        })
      }
    }
    expect(t.Resources["DeadLetterQueue"]?.Properties).toMatchObject({ SqsManagedSseEnabled: true })
  })

  it("the StackSets deploy to the organization root with auto-deployment", () => {
    for (const d of deployments()) {
      expect(block(d.set, "auto_deployment")).toMatchObject({ enabled: true, retain_stacks_on_account_removal: false })
    }
  })
})
