/**
 * What `terraform validate` would catch, offline: every `.tf` parses, every reference resolves,
 * every variable is used, typed, described and validated where it has a legal range, and the
 * structural promises of issue 5 (regions, ordering, dead letters, Lambda settings) hold.
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import {
  allExpressions,
  block,
  blocks,
  type Block,
  type Configuration,
  type Declared,
  loadConfiguration,
  parseHcl,
  referencesOf,
  str,
  terraformDir,
  usages,
  variableSelfReferences
} from "./helpers/hcl.js"
import { assumedMinutesPerStack, durationMinutes, preferencesOf, rollout } from "./helpers/stacksetRollout.js"

let config: Configuration
beforeAll(async () => {
  config = await loadConfiguration()
})

const resource = (address: string): Declared => {
  const found = config.resources.get(address)
  if (found === undefined) throw new Error(`${address} is not declared`)
  return found
}

const dependsOn = (d: Declared): ReadonlyArray<string> =>
  ((d.body["depends_on"] ?? []) as ReadonlyArray<string>).map((s) => s.replace(/^\$\{|\}$/g, ""))

describe("parsing", () => {
  it("finds the configuration files", () => {
    expect(config.files.map((f) => f.name)).toEqual(expect.arrayContaining([
      "cloudtrail.tf", "eventbridge.tf", "lambda.tf", "main.tf", "management.tf", "observability.tf", "outputs.tf",
      "stacksets.tf", "variables.tf", "versions.tf"
    ]))
  })

  it("the parser does reject broken HCL (so a parse failure would be seen)", async () => {
    await expect(parseHcl("broken.tf", 'resource "aws_sqs_queue" "q" {\n  name = "x"\n')).rejects.toThrow()
    await expect(parseHcl("broken.tf", 'locals {\n  a = [1, 2\n}\n')).rejects.toThrow()
  })

  it("pins the AWS provider to 6.x", () => {
    const versions = config.files.find((f) => f.name === "versions.tf")
    const terraform = (versions?.json["terraform"] as ReadonlyArray<Block>)[0] as Block
    const providers = block(terraform, "required_providers")
    expect(providers["aws"]).toMatchObject({ source: "hashicorp/aws", version: "~> 6.25" })
  })

  it("counts what it declares", () => {
    // Printed for the report; the exact numbers are not the point.
    console.log(`terraform: ${config.resources.size} resources, ${config.data.size} data sources, ${config.variables.size} variables, ${config.locals.size} locals, ${config.outputs.size} outputs`)
    expect(config.resources.size).toBeGreaterThan(30)
  })
})

describe("references", () => {
  it("every var., local., data. and resource reference resolves to a declaration", () => {
    const unresolved = [...usages(config), ...variableSelfReferences(config)].filter((ref) => {
      switch (ref.kind) {
        case "var":
          return !config.variables.has(ref.name)
        case "local":
          return !config.locals.has(ref.name)
        case "data":
          return !config.data.has(ref.name)
        case "resource":
          return !config.resources.has(ref.name)
      }
    })
    expect(unresolved.map((r) => `${r.where}: ${r.text}`)).toEqual([])
  })

  it("finds references inside for-expressions, indexes and nested templates (the extractor is not blind)", () => {
    expect(referencesOf('[for r in var.regions : aws_sqs_queue.dlq[r].arn]').map((r) => r.name)).toEqual(["regions", "aws_sqs_queue.dlq"])
    expect(referencesOf('"arn:${local.partition}:s3:::${b}/"').map((r) => r.name)).toEqual(["partition"])
    expect(referencesOf('aws_sqs_queue.q[var.k].id').map((r) => r.name)).toEqual(["aws_sqs_queue.q", "k"])
    expect(referencesOf('one(random_uuid.external_id[*].result)').map((r) => r.name)).toEqual(["random_uuid.external_id"])
    expect(referencesOf('data.aws_partition.current.partition').map((r) => r.name)).toEqual(["data.aws_partition.current"])
  })

  it("every variable is used outside its own validation", () => {
    const used = new Set(usages(config).filter((r) => r.kind === "var").map((r) => r.name))
    expect([...config.variables.keys()].filter((v) => !used.has(v))).toEqual([])
  })

  it("every local and data source is used", () => {
    const refs = usages(config)
    const locals = new Set(refs.filter((r) => r.kind === "local").map((r) => r.name))
    const data = new Set(refs.filter((r) => r.kind === "data").map((r) => r.name))
    expect([...config.locals.keys()].filter((l) => !locals.has(l))).toEqual([])
    expect([...config.data.keys()].filter((d) => !data.has(d))).toEqual([])
  })

  it("validations refer only to their own variable", () => {
    const foreign = variableSelfReferences(config).filter((r) => r.kind !== "var" || `var.${r.name}` !== r.where)
    expect(foreign.map((r) => `${r.where}: ${r.text}`)).toEqual([])
  })

  it("every file read by file()/templatefile() exists", () => {
    const paths = config.files.flatMap((f) => [...f.text.matchAll(/\$\{path\.module\}\/([\w./-]+)/g)].map((m) => m[1] ?? ""))
    expect(paths.length).toBeGreaterThanOrEqual(4)
    expect(paths.filter((p) => !p.startsWith("../") && !existsSync(join(terraformDir, p)))).toEqual([])
  })
})

describe("variable hygiene", () => {
  /** Free-form or boolean variables: nothing to validate beyond their type. */
  const noLegalRange = new Set<string>([])

  it("every variable is typed and described", () => {
    const bad = [...config.variables.values()].filter((v) => typeof v.body["type"] !== "string" || typeof v.body["description"] !== "string" || String(v.body["description"]).length < 20)
    expect(bad.map((v) => v.address)).toEqual([])
  })

  it("every non-boolean variable is validated, and every validation says what is wrong", () => {
    const unvalidated = [...config.variables.values()].filter((v) =>
      v.body["type"] !== "${bool}" && !noLegalRange.has(v.address.slice(4)) && blocks(v.body, "validation").length === 0
    )
    expect(unvalidated.map((v) => v.address)).toEqual([])
    for (const v of config.variables.values()) {
      for (const validation of blocks(v.body, "validation")) {
        expect(str(validation, "condition")).toMatch(/^\$\{/)
        expect(str(validation, "error_message").length).toBeGreaterThan(15)
      }
    }
  })

  it("every number variable is range-checked and whole", () => {
    for (const v of [...config.variables.values()].filter((v) => v.body["type"] === "${number}")) {
      const conditions = blocks(v.body, "validation").map((b) => str(b, "condition")).join(" ")
      expect(conditions, v.address).toMatch(/>=|contains\(/)
      if (!conditions.includes("contains(")) {
        expect(conditions, v.address).toMatch(/<=/)
        expect(conditions, v.address).toContain("floor(")
      }
    }
  })

  it("optional variables default to something the validation accepts (null-guarded)", () => {
    for (const v of config.variables.values()) {
      if (v.body["default"] !== null) continue
      for (const validation of blocks(v.body, "validation")) {
        expect(str(validation, "condition"), v.address).toContain(`${v.address} == null ||`)
      }
    }
  })

  it("the required variables are the ones deploy.sh always asks for", () => {
    const required = [...config.variables.values()].filter((v) => !("default" in v.body)).map((v) => v.address.slice(4)).sort()
    expect(required).toEqual(["jsonair_name", "jsonair_secret_name", "jsonair_type", "jsonair_url", "monitored_regions", "org_id", "org_root_id", "region"])
  })
})

describe("the scanner function", () => {
  it("runs the build's bundle on nodejs22.x / arm64 with handler index.handler", () => {
    const fn = resource("aws_lambda_function.scanner").body
    expect(fn).toMatchObject({ runtime: "nodejs22.x", architectures: ["arm64"], handler: "index.handler", filename: "${local.lambda_zip_path}" })
    expect(String(config.locals.get("lambda_zip_path")?.body["value"])).toContain("/../dist/lambda.zip")
    expect(fn["source_code_hash"]).toContain("filebase64sha256(local.lambda_zip_path)")
  })

  it("takes memory, timeout, ephemeral storage and reserved concurrency from variables", () => {
    const fn = resource("aws_lambda_function.scanner").body
    expect(fn).toMatchObject({
      memory_size: "${var.lambda_memory_mb}",
      timeout: "${var.lambda_timeout_seconds}",
      reserved_concurrent_executions: "${var.lambda_reserved_concurrency}"
    })
    expect(block(fn, "ephemeral_storage")["size"]).toBe("${var.lambda_ephemeral_storage_mb}")
  })

  it("refuses an ephemeral storage smaller than the largest object (the /tmp spool)", () => {
    const preconditions = blocks(block(resource("aws_lambda_function.scanner").body, "lifecycle"), "precondition").map((p) => str(p, "condition"))
    expect(preconditions).toContain("${var.lambda_ephemeral_storage_mb >= var.max_file_size_mb}")
    expect(preconditions).toContain("${fileexists(local.lambda_zip_path)}")
  })

  it("sets every environment variable of the product page, the reader role and its external id", () => {
    const env = str(block(resource("aws_lambda_function.scanner").body, "environment"), "variables")
    for (const name of ["JSONAIR_SECRET_NAME", "JSONAIR_URL", "JSONAIR_NAME", "JSONAIR_TYPE", "CROSS_ACCOUNT_ROLE", "CROSS_ACCOUNT_EXTERNAL_ID", "TLS_SKIP_VERIFY"]) {
      expect(env).toMatch(new RegExp(`\\b${name}\\s*=`))
    }
    expect(env).toContain("CROSS_ACCOUNT_ROLE  = local.cross_account_role_name")
  })

  it("retries asynchronous failures, then sends them to the failure queue", () => {
    const invoke = resource("aws_lambda_function_event_invoke_config.scanner").body
    expect(invoke).toMatchObject({
      maximum_retry_attempts: "${var.lambda_async_retry_attempts}",
      maximum_event_age_in_seconds: "${var.lambda_async_max_event_age_seconds}"
    })
    expect(block(block(invoke, "destination_config"), "on_failure")["destination"]).toBe("${aws_sqs_queue.failed_events.arn}")
  })

  it("has a log group with retention, created before the function", () => {
    expect(resource("aws_cloudwatch_log_group.scanner").body).toMatchObject({
      name: "/aws/lambda/${local.function_name}",
      retention_in_days: "${var.log_retention_days}"
    })
    expect(dependsOn(resource("aws_lambda_function.scanner"))).toContain("aws_cloudwatch_log_group.scanner")
    expect(config.locals.get("function_name")?.body["value"]).toBe("highvolt-aws-s3-lambda")
  })
})

describe("the event path is lossless", () => {
  it("the bus and the central rule carry the product page's names", () => {
    expect(config.locals.get("event_bus_name")?.body["value"]).toBe("highvolt-org-s3-events")
    expect(resource("aws_cloudwatch_event_rule.central").body["event_bus_name"]).toBe("${aws_cloudwatch_event_bus.central.name}")
  })

  it("every EventBridge target has a dead-letter queue, and every forwarding target a retry policy and a role", () => {
    const targets = [...config.resources.values()].filter((r) => r.address.startsWith("aws_cloudwatch_event_target."))
    expect(targets.length).toBe(4)
    for (const t of targets) {
      expect(blocks(t.body, "dead_letter_config"), t.address).toHaveLength(1)
      if (String(t.body["arn"]).includes("aws_cloudwatch_event_bus.central") || String(t.body["arn"]).includes("aws_lambda_function")) {
        expect(blocks(t.body, "retry_policy"), t.address).toHaveLength(1)
      }
      if (String(t.body["arn"]).includes("aws_cloudwatch_event_bus.central")) expect(t.body["role_arn"], t.address).toBeDefined()
    }
  })

  it("the central target's dead-letter queue accepts messages from the central rule only", () => {
    const target = resource("aws_cloudwatch_event_target.central").body
    expect(block(target, "dead_letter_config")["arn"]).toBe("${aws_sqs_queue.target_dlq.arn}")
    const policy = config.data.get("data.aws_iam_policy_document.target_dlq")?.body as Block
    const statement = blocks(policy, "statement")[0] as Block
    const condition = blocks(statement, "condition")[0] as Block
    expect(condition).toMatchObject({ test: "ArnEquals", variable: "aws:SourceArn" })
    expect(condition["values"]).toContain("${aws_cloudwatch_event_rule.central.arn}")
  })

  it("every queue is encrypted and keeps its messages as configured", () => {
    const queues = [...config.resources.values()].filter((r) => r.address.startsWith("aws_sqs_queue."))
    expect(queues.length).toBe(3)
    for (const q of queues) {
      expect(q.body, q.address).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: "${var.dlq_message_retention_seconds}" })
    }
  })

  it("every per-Region resource of the management account is placed in its Region (provider 6 `region`)", () => {
    const perRegion = [...config.resources.values()].filter((r) => r.body["for_each"] === "${toset(var.monitored_regions)}")
    expect(perRegion.length).toBeGreaterThanOrEqual(7)
    expect(perRegion.filter((r) => r.body["region"] !== "${each.key}").map((r) => r.address)).toEqual([])
  })

  it("no StackSet instance uses the provider-5 `region` argument", () => {
    const legacy = [...config.resources.values()].filter((r) => r.address.startsWith("aws_cloudformation_stack_set_instance.") && "region" in r.body)
    expect(legacy.map((r) => r.address)).toEqual([])
  })

  it("the bus accepts events and the scanner is wired before any forwarder targets it", () => {
    const mustPrecede = ["aws_cloudwatch_event_bus_policy.central", "aws_cloudwatch_event_target.central"]
    expect(dependsOn(resource("aws_cloudformation_stack_instances.forwarding"))).toEqual(expect.arrayContaining([...mustPrecede, "aws_cloudformation_stack_instances.reader"]))
    expect(dependsOn(resource("aws_cloudwatch_event_target.management_forward"))).toEqual(expect.arrayContaining(mustPrecede))
    expect(dependsOn(resource("aws_cloudwatch_event_target.central"))).toContain("aws_lambda_permission.central_rule")
  })

  it("the trail starts logging only once every forwarder is in place", () => {
    expect(dependsOn(resource("aws_cloudtrail.org"))).toEqual(expect.arrayContaining([
      "aws_cloudformation_stack_instances.forwarding",
      "aws_cloudwatch_event_target.management_forward"
    ]))
  })

  it("with create_cloudtrail = false, the existing trail's bucket is required", () => {
    const preconditions = blocks(block(resource("aws_cloudwatch_event_rule.central").body, "lifecycle"), "precondition")
    expect(preconditions.map((p) => str(p, "condition"))).toContain('${local.trail_bucket_name != ""}')
  })
})

describe("StackSets", () => {
  it("are service-managed with auto-deployment to the organization root", () => {
    for (const name of ["forwarding", "reader"]) {
      const set = resource(`aws_cloudformation_stack_set.${name}`).body
      expect(set).toMatchObject({ permission_model: "SERVICE_MANAGED" })
      expect(block(set, "auto_deployment")).toMatchObject({ enabled: true })
      expect(block(set, "managed_execution")).toMatchObject({ active: true })
      // SERVICE_MANAGED StackSets report an administration role: ignore it or every plan shows a diff.
      expect(block(set, "lifecycle")["ignore_changes"]).toEqual(["${administration_role_arn}"])
      const instances = resource(`aws_cloudformation_stack_instances.${name}`).body
      expect(block(instances, "deployment_targets")["organizational_unit_ids"]).toEqual(["${var.org_root_id}"])
    }
  })

  it("deploy the forwarders to every monitored Region and the reader role to one Region only", () => {
    expect(resource("aws_cloudformation_stack_instances.forwarding").body["regions"]).toBe("${var.monitored_regions}")
    expect(resource("aws_cloudformation_stack_instances.reader").body["regions"]).toEqual(["${var.region}"])
    expect(resource("aws_cloudformation_stack_set.forwarding").body["template_body"]).toBe('${file("${path.module}/stacksets/member-forwarding.yaml")}')
    expect(resource("aws_cloudformation_stack_set.reader").body["template_body"]).toBe('${file("${path.module}/stacksets/member-reader-role.yaml")}')
  })

  it("the reader StackSet exists only without the OrganizationAccountAccessRole opt-in", () => {
    expect(resource("aws_cloudformation_stack_set.reader").body["count"]).toBe("${var.use_organization_account_access_role ? 0 : 1}")
    expect(resource("aws_cloudformation_stack_instances.reader").body["count"]).toBe("${var.use_organization_account_access_role ? 0 : 1}")
  })

  it("Terraform waits at least twice as long as each StackSet operation of 200 accounts x 6 Regions takes", () => {
    const operations = [
      ["aws_cloudformation_stack_set", "update"],
      ["aws_cloudformation_stack_instances", "create"],
      ["aws_cloudformation_stack_instances", "update"]
    ] as const
    for (const name of ["forwarding", "reader"]) {
      const template = /stacksets\/([\w.-]+)"/.exec(String(resource(`aws_cloudformation_stack_set.${name}`).body["template_body"]))?.[1] ?? ""
      const regions = name === "forwarding" ? 6 : 1
      for (const [type, operation] of operations) {
        const body = resource(`${type}.${name}`).body
        const { minutes } = rollout(200, regions, preferencesOf(config, body), assumedMinutesPerStack[template] ?? Number.NaN)
        const timeouts = blocks(body, "timeouts")[0]
        // Without a timeouts block the provider waits 30 minutes.
        const waits = durationMinutes(typeof timeouts?.[operation] === "string" ? timeouts[operation] : "30m")
        expect(waits, `${type}.${name} ${operation}: ${minutes} minutes`).toBeGreaterThanOrEqual(2 * minutes)
      }
    }
  })

  it("the rollout arithmetic follows CloudFormation's scheduling", () => {
    const prefs = { maxConcurrentPercentage: 100, failureTolerancePercentage: 10, strict: true, parallelRegions: true }
    expect(rollout(200, 6, prefs, 3)).toEqual({ concurrency: 21, waves: 10, minutes: 30 })
    expect(rollout(200, 6, { ...prefs, strict: false }, 3)).toEqual({ concurrency: 200, waves: 1, minutes: 3 })
    expect(rollout(200, 6, { ...prefs, strict: false, parallelRegions: false }, 3)).toEqual({ concurrency: 200, waves: 1, minutes: 18 })
    // Percentages round down, to no fewer than one account.
    expect(rollout(50, 1, { ...prefs, maxConcurrentPercentage: 1, strict: false }, 1)).toEqual({ concurrency: 1, waves: 50, minutes: 50 })
    expect(durationMinutes("1h30m")).toBe(90)
    expect(() => durationMinutes("3 hours")).toThrow()
  })
})

describe("observability", () => {
  it("alarms on every central queue, errors, throttles, dropped and ageing async events", () => {
    const alarms = [...config.resources.values()].filter((r) => r.address.startsWith("aws_cloudwatch_metric_alarm."))
    const metrics = alarms.map((a) => str(a.body, "metric_name")).sort()
    expect(metrics).toEqual(["ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesVisible", "AsyncEventAge", "AsyncEventsDropped", "Errors", "ForwarderDlqAlarms", "Throttles"])
    const centralQueues = JSON.stringify(config.locals.get("central_queue_alarms")?.body["value"])
    expect(centralQueues).toContain("aws_sqs_queue.target_dlq.name")
    expect(centralQueues).toContain("aws_sqs_queue.failed_events.name")
    for (const a of alarms.filter((a) => a.body["region"] === undefined)) {
      expect(a.body["alarm_actions"], a.address).toBe("${local.alarm_actions}")
    }
  })

  it("member forwarder DLQ alarms reach the topic: central rule -> log group -> metric filter -> alarm", () => {
    expect(resource("aws_cloudwatch_event_target.alarm_events_log").body["arn"]).toBe("${aws_cloudwatch_log_group.alarm_events.arn}")
    const filter = resource("aws_cloudwatch_log_metric_filter.forwarder_alarms").body
    expect(filter).toMatchObject({ log_group_name: "${aws_cloudwatch_log_group.alarm_events.name}", pattern: '{ $.detail.state.value = "ALARM" }' })
    expect(resource("aws_cloudwatch_metric_alarm.forwarder_dlq_alarms").body).toMatchObject({ metric_name: "ForwarderDlqAlarms", alarm_actions: "${local.alarm_actions}" })
    expect(block(filter, "metric_transformation")).toMatchObject({ name: "ForwarderDlqAlarms", namespace: "${local.emf_namespace}" })
    // The log group must be one EventBridge may write to.
    expect(String(resource("aws_cloudwatch_log_group.alarm_events").body["name"])).toMatch(/^\/aws\/events\//)
  })

  it("the dashboard shows the Lambda's EMF metrics under their namespace, outcomes and skip reasons", () => {
    const widgets = JSON.stringify(config.locals.get("dashboard_widgets")?.body["value"])
    for (const needle of ["Invocations", "Errors", "Throttles", "Duration", "p50", "p99", "BytesScanned", "ScanDuration", "AsyncEventsDropped", "ApproximateNumberOfMessagesVisible", "management_forwarder_dlq"]) {
      expect(widgets).toContain(needle)
    }
    expect(config.locals.get("emf_namespace")?.body["value"]).toBe("Highvolt/S3Scanner")
    expect(config.locals.get("outcomes")?.body["value"]).toEqual(["submitted", "duplicate", "skipped", "failed"])
    expect(config.locals.get("skip_reasons")?.body["value"]).toEqual(["mime", "size", "archived", "sse-c", "not-found", "not-object-created", "failed-call", "duplicate-delivery"])
  })

  it("agrees with the application's metric names (src/Metrics.ts, src/Domain.ts) when they exist", () => {
    const metrics = join(terraformDir, "..", "src", "Metrics.ts")
    const domain = join(terraformDir, "..", "src", "Domain.ts")
    if (existsSync(metrics)) {
      const text = readFileSync(metrics, "utf8")
      expect(text).toContain('"Highvolt/S3Scanner"')
      for (const m of ["Events", "BytesScanned", "ScanDuration"]) expect(text).toContain(`"${m}"`)
    }
    if (existsSync(domain)) {
      const reasons = config.locals.get("skip_reasons")?.body["value"] as ReadonlyArray<string>
      const text = readFileSync(domain, "utf8")
      for (const r of reasons) expect(text).toContain(`"${r}"`)
    }
  })
})

describe("expressions", () => {
  it("no expression is left unparsed by the reference extractor", () => {
    // Every `${...}` body of the configuration goes through the extractor without throwing.
    let count = 0
    for (const file of config.files) for (const e of allExpressions(file.json as unknown as Block)) {
      referencesOf(e)
      count++
    }
    expect(count).toBeGreaterThan(200)
  })
})

describe("backfill (issue 12)", () => {
  const backfill = () => [...config.resources.entries()].filter(([, d]) => d.file === "backfill.tf")

  it("is off by default: every resource of backfill.tf exists only with enable_backfill", () => {
    expect(config.variables.get("enable_backfill")?.body["default"]).toBe(false)
    expect(backfill().length).toBeGreaterThanOrEqual(10)
    for (const [address, d] of backfill()) expect([address, d.body["count"]]).toEqual([address, "${var.enable_backfill ? 1 : 0}"])
  })

  it("the backfill function runs the scanner's bundle and environment under a reserved concurrency of its own", () => {
    const fn = resource("aws_lambda_function.backfill").body
    const scanner = resource("aws_lambda_function.scanner").body
    for (const key of ["filename", "handler", "runtime", "architectures", "role", "memory_size", "timeout"]) expect([key, fn[key]]).toEqual([key, scanner[key]])
    expect(fn["reserved_concurrent_executions"]).toBe("${var.backfill_reserved_concurrency}")
    expect(str(block(fn, "environment"), "variables")).toBe("${aws_lambda_function.scanner.environment[0].variables}")
    expect(dependsOn(resource("aws_lambda_function.backfill"))).toContain("aws_cloudwatch_log_group.backfill")
  })

  it("the report bucket is encrypted, private, expiring, and its policy applies after the public access block", () => {
    const sse = block(block(resource("aws_s3_bucket_server_side_encryption_configuration.backfill").body, "rule"), "apply_server_side_encryption_by_default")
    expect(sse["sse_algorithm"]).toBe("AES256")
    const pab = resource("aws_s3_bucket_public_access_block.backfill").body
    for (const key of ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]) expect(pab[key]).toBe(true)
    const rule = block(resource("aws_s3_bucket_lifecycle_configuration.backfill").body, "rule")
    expect(block(rule, "expiration")["days"]).toBe("${var.backfill_report_retention_days}")
    expect(rule["status"]).toBe("Enabled")
    expect(dependsOn(resource("aws_s3_bucket_policy.backfill"))).toContain("aws_s3_bucket_public_access_block.backfill")
  })

  it("the reader StackSet is told whether to grant listing", () => {
    expect((resource("aws_cloudformation_stack_set.reader").body["parameters"] as Block)["EnableBackfill"]).toBe("${tostring(var.enable_backfill)}")
  })
})
