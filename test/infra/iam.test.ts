/**
 * Least privilege, checked on every IAM document of the deployment: the Terraform
 * `aws_iam_policy_document`s (identity, trust and resource policies) and the StackSet templates'
 * policies. No wildcard action, no administrator by default, trust policies that name who may
 * assume, resource policies scoped to their source.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { type Cfn, loadTemplate, resolve, type Template } from "./helpers/cfn.js"
import { type Block, blocks, type Configuration, type Json, loadConfiguration, terraformDir } from "./helpers/hcl.js"

interface Statement {
  readonly where: string
  readonly sid: string
  readonly effect: string
  readonly actions: ReadonlyArray<string>
  readonly notActions: boolean
  readonly resources: ReadonlyArray<string>
  /** `type:identifier` */
  readonly principals: ReadonlyArray<string>
  /** `test variable=values` */
  readonly conditions: ReadonlyArray<{ readonly test: string; readonly variable: string; readonly values: ReadonlyArray<string> }>
}

const list = (v: Json | Cfn | undefined): ReadonlyArray<string> =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.map((x: unknown) => (typeof x === "string" ? x : JSON.stringify(x))) : [typeof v === "string" ? v : JSON.stringify(v)]

/** Statements of the Terraform policy documents, dynamic ones included. */
const terraformStatements = (config: Configuration): ReadonlyArray<Statement> =>
  [...config.data.entries()].filter(([k]) => k.startsWith("data.aws_iam_policy_document.")).flatMap(([address, d]) => {
    // hcl2json gives `dynamic "statement"` as { dynamic: { statement: [{ for_each, content: [...] }] } }.
    const dyn = d.body["dynamic"]
    const dynamicStatements = typeof dyn === "object" && dyn !== null && !Array.isArray(dyn)
      ? blocks(dyn as Block, "statement").flatMap((s) => blocks(s, "content"))
      : []
    return [...blocks(d.body, "statement"), ...dynamicStatements].map((s: Block): Statement => ({
      where: address,
      sid: String(s["sid"] ?? ""),
      effect: String(s["effect"] ?? "Allow"),
      actions: list(s["actions"]),
      notActions: s["not_actions"] !== undefined,
      resources: list(s["resources"]),
      principals: blocks(s, "principals").flatMap((p) => list(p["identifiers"]).map((i) => `${String(p["type"])}:${i}`)),
      conditions: blocks(s, "condition").map((c) => ({ test: String(c["test"]), variable: String(c["variable"]), values: list(c["values"]) }))
    }))
  })

/** Statements of the templates' policies, intrinsics resolved with plausible parameters. */
const templateStatements = (file: string, t: Template): ReadonlyArray<Statement> => {
  const params = {
    CentralEventBusArn: "arn:aws:events:us-east-1:111122223333:event-bus/highvolt-org-s3-events",
    ExcludedBucketNames: "trail",
    ScannerRoleArn: "arn:aws:iam::111122223333:role/highvolt-aws-s3-lambda-role",
    ExternalId: "external-id"
  }
  const docs: Array<[string, Cfn]> = []
  for (const [id, r] of Object.entries(t.Resources)) {
    const props = r.Properties ?? {}
    if (r.Type === "AWS::IAM::Role") {
      docs.push([`${file} ${id} trust`, props["AssumeRolePolicyDocument"] as Cfn])
      for (const p of (props["Policies"] ?? []) as ReadonlyArray<{ readonly PolicyName: string; readonly PolicyDocument: Cfn }>) {
        docs.push([`${file} ${id} ${p.PolicyName}`, p.PolicyDocument])
      }
    }
    if (r.Type === "AWS::SQS::QueuePolicy") docs.push([`${file} ${id}`, props["PolicyDocument"] as Cfn])
    if (r.Type === "AWS::IAM::RolePolicy") docs.push([`${file} ${id} ${String(props["PolicyName"])}`, props["PolicyDocument"] as Cfn])
  }
  return docs.flatMap(([where, doc]) => {
    const resolved = resolve(t, params, doc) as { readonly Statement: ReadonlyArray<Record<string, Cfn>> }
    return resolved.Statement.map((s): Statement => {
      const principal = s["Principal"]
      const principals = principal === "*"
        ? ["AWS:*"]
        : Object.entries((principal ?? {}) as Record<string, Cfn>).flatMap(([type, ids]) => list(ids).map((i) => `${type === "Service" ? "Service" : type}:${i}`))
      const conditions = Object.entries((s["Condition"] ?? {}) as Record<string, Record<string, Cfn>>).flatMap(([test, vars]) =>
        Object.entries(vars).map(([variable, values]) => ({ test, variable, values: list(values) }))
      )
      return {
        where,
        sid: String(s["Sid"] ?? ""),
        effect: String(s["Effect"]),
        actions: list(s["Action"]),
        notActions: s["NotAction"] !== undefined,
        resources: list(s["Resource"]),
        principals,
        conditions
      }
    })
  })
}

let config: Configuration
let statements: ReadonlyArray<Statement>
const stacksets = join(terraformDir, "stacksets")
const templates = Object.fromEntries(readdirSync(stacksets).filter((f) => f.endsWith(".yaml")).map((f) => [f, loadTemplate(join(stacksets, f))]))

beforeAll(async () => {
  config = await loadConfiguration()
  statements = [
    ...terraformStatements(config),
    ...Object.entries(templates).flatMap(([file, t]) => templateStatements(file, t))
  ]
})

const find = (where: string, sid: string): Statement => {
  const s = statements.find((x) => x.where.includes(where) && x.sid === sid)
  if (s === undefined) throw new Error(`no statement ${sid} in ${where}`)
  return s
}
const condition = (s: Statement, variable: string) => s.conditions.find((c) => c.variable === variable)

describe("every IAM document", () => {
  it("is found (Terraform documents and template policies)", () => {
    console.log(`iam: ${statements.length} statements checked`)
    expect(statements.length).toBeGreaterThan(20)
    expect(new Set(statements.map((s) => s.where.split(" ")[0])).size).toBeGreaterThan(10)
  })

  it("allows no wildcard action and uses no NotAction", () => {
    const wild = statements.filter((s) => s.effect === "Allow" && (s.notActions || s.actions.some((a) => a.includes("*"))))
    expect(wild.map((s) => `${s.where} ${s.sid}: ${s.actions.join(",")}`)).toEqual([])
  })

  it("grants nothing in IAM, Organizations or STS beyond AssumeRole/GetCallerIdentity", () => {
    const risky = statements.filter((s) => s.effect === "Allow").flatMap((s) => s.actions.filter((a) =>
      /^(iam|organizations):/i.test(a) || (/^sts:/i.test(a) && !["sts:AssumeRole", "sts:GetCallerIdentity"].includes(a))
    ))
    expect(risky).toEqual([])
  })

  it("gives Principal * only with an organization condition (or in a Deny)", () => {
    const open = statements.filter((s) => s.effect === "Allow" && s.principals.includes("AWS:*") && condition(s, "aws:PrincipalOrgID") === undefined)
    expect(open.map((s) => `${s.where} ${s.sid}`)).toEqual([])
  })

  it("scopes every service principal of a resource or trust policy to its source", () => {
    const services = statements.filter((s) =>
      s.effect === "Allow" && s.principals.some((p) => p.startsWith("Service:") && p !== "Service:lambda.amazonaws.com")
    )
    expect(services.length).toBeGreaterThan(8)
    const unscoped = services.filter((s) => condition(s, "aws:SourceArn") === undefined && condition(s, "aws:SourceAccount") === undefined)
    // The one exception: EventBridge's CloudWatch Logs delivery, as its user guide writes the
    // policy (no condition), limited to the single log group only this account's rules can target.
    expect(unscoped.map((s) => `${s.where} ${s.sid}`)).toEqual(["data.aws_iam_policy_document.alarm_events_log EventBridgeWritesForwardedAlarms"])
    expect(unscoped[0]?.resources).toEqual(["${aws_cloudwatch_log_group.alarm_events.arn}:*"])
    expect(unscoped[0]?.actions).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"])
  })

  it("publishes to the alarm topic only from CloudWatch alarms of this account", () => {
    const topic = statements.filter((s) => s.where === "data.aws_iam_policy_document.alarms_topic")
    expect(topic).toHaveLength(1)
    expect(topic[0]?.principals).toEqual(["Service:cloudwatch.amazonaws.com"])
    expect(topic[0] && condition(topic[0], "aws:SourceAccount")?.values).toEqual(["${local.account_id}"])
  })

  it("attaches no managed policy (no AdministratorAccess, nothing AWS-managed)", () => {
    expect([...config.resources.keys()].filter((k) => /policy_attachment/.test(k))).toEqual([])
    const texts = [
      ...config.files.map((f) => f.text),
      ...readdirSync(stacksets).map((f) => readFileSync(join(stacksets, f), "utf8"))
    ].join("\n")
    expect(texts).not.toMatch(/AdministratorAccess|arn:aws:iam::aws:policy|ManagedPolicyArns|managed_policy_arns/)
  })
})

describe("the scanner's execution role", () => {
  it("assumes only the reader role name, only in accounts of the organization", () => {
    const s = find("data.aws_iam_policy_document.scanner", "AssumeReaderRolesOfTheOrganization")
    expect(s.actions).toEqual(["sts:AssumeRole"])
    expect(s.resources).toEqual(["arn:${local.partition}:iam::*:role/${local.cross_account_role_name}"])
    expect(condition(s, "aws:ResourceOrgID")?.values).toEqual(["${var.org_id}"])
  })

  it("is not an administrator by default: OrganizationAccountAccessRole is an explicit opt-in", () => {
    expect(config.locals.get("cross_account_role_name")?.body["value"]).toBe(
      '${var.use_organization_account_access_role ? "OrganizationAccountAccessRole" : var.reader_role_name}'
    )
    expect(config.variables.get("use_organization_account_access_role")?.body["default"]).toBe(false)
    expect(config.variables.get("reader_role_name")?.body["default"]).toBe("highvolt-s3-scanner-reader")
    const mentions = config.files.flatMap((f) => f.text.split("\n").filter((l) => l.includes('"OrganizationAccountAccessRole"')).map((l) => `${f.name}: ${l.trim()}`))
    // The opt-in itself, and the validation that the reader role is not named like it.
    expect(mentions).toHaveLength(2)
  })

  it("reads one secret, sends to its own failure queue, writes its own logs", () => {
    expect(find("scanner", "ReadJsonAirPat").resources).toEqual(["${data.aws_secretsmanager_secret.jsonair.arn}"])
    expect(find("scanner", "SendFailedEvents").resources).toEqual(["${aws_sqs_queue.failed_events.arn}"])
    expect(find("scanner", "WriteOwnLogs").resources).toEqual(["${aws_cloudwatch_log_group.scanner.arn}:*"])
    const kms = find("scanner", "DecryptJsonAirPat")
    expect(kms.resources).toEqual(["${statement.value}"])
    expect(condition(kms, "kms:ViaService")?.values).toEqual(["secretsmanager.${var.region}.amazonaws.com"])
  })

  it("reads objects of its own account only, and decrypts only through S3", () => {
    const read = find("data.aws_iam_policy_document.scanner", "ReadObjectsOfThisAccount")
    expect(read.actions).toEqual(["s3:GetObject", "s3:GetObjectVersion"])
    expect(condition(read, "aws:ResourceAccount")?.values).toEqual(["${local.account_id}"])
    const list = find("data.aws_iam_policy_document.scanner", "TellMissingKeysOfThisAccount")
    expect(list.actions).toEqual(["s3:ListBucket"])
    expect(condition(list, "aws:ResourceAccount")?.values).toEqual(["${local.account_id}"])
    const kms = find("data.aws_iam_policy_document.scanner", "DecryptSseKmsObjectsThroughS3")
    expect(kms.actions).toEqual(["kms:Decrypt"])
    expect(condition(kms, "kms:ViaService")?.values).toEqual(["s3.*.amazonaws.com"])
  })

  it("has only the statements issue 5 lists (plus VPC attachment when asked)", () => {
    const sids = statements.filter((s) => s.where === "data.aws_iam_policy_document.scanner").map((s) => s.sid).sort()
    expect(sids).toEqual([
      "AssumeReaderRolesOfTheOrganization", "AttachToVpc", "DecryptJsonAirPat", "DecryptSseKmsObjectsThroughS3",
      "ReadJsonAirPat", "ReadObjectsOfThisAccount", "SendFailedEvents", "TellMissingKeysOfThisAccount", "WhoAmI", "WriteOwnLogs"
    ])
    expect(find("scanner", "WhoAmI").actions).toEqual(["sts:GetCallerIdentity"])
  })
})

describe("the member reader role", () => {
  const trust = () => find("member-reader-role.yaml ReaderRole trust", "TheScannerExecutionRoleOnly")

  it("trusts the scanner's execution role only (principal ARN condition) with the external id", () => {
    const s = trust()
    expect(s.actions).toEqual(["sts:AssumeRole"])
    expect(s.principals).toEqual(["AWS:arn:aws:iam::111122223333:root"])
    expect(condition(s, "aws:PrincipalArn")).toMatchObject({ test: "ArnEquals", values: ["arn:aws:iam::111122223333:role/highvolt-aws-s3-lambda-role"] })
    expect(condition(s, "sts:ExternalId")).toMatchObject({ test: "StringEquals", values: ["external-id"] })
  })

  it("is given the scanner role's ARN and the external id by Terraform", () => {
    expect(config.resources.get("aws_cloudformation_stack_set.reader")?.body["parameters"]).toEqual({
      ScannerRoleArn: "${aws_iam_role.scanner.arn}",
      ExternalId: "${local.external_id}",
      ReaderRoleName: "${var.reader_role_name}",
      EnableBackfill: "${tostring(var.enable_backfill)}"
    })
  })

  it("may only read objects of its own account and decrypt them through S3", () => {
    const policy = statements.filter((s) => s.where === "member-reader-role.yaml ReaderRole read-new-objects")
    expect(policy.flatMap((s) => s.actions).sort()).toEqual(["kms:Decrypt", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"])
    expect(condition(find("ReaderRole read-new-objects", "TellMissingKeysOfThisAccount"), "aws:ResourceAccount")?.values).toEqual(["222233334444"])
    const read = find("ReaderRole read-new-objects", "ReadObjectsOfThisAccount")
    expect(condition(read, "aws:ResourceAccount")?.values).toEqual(["222233334444"])
    const kms = find("ReaderRole read-new-objects", "DecryptSseKmsObjectsThroughS3")
    expect(condition(kms, "kms:ViaService")).toMatchObject({ test: "StringLike", values: ["s3.*.amazonaws.com"] })
  })
})

describe("SSE-KMS objects", () => {
  // The reader role lives in one Region of each account but reads buckets of every Region, and a
  // bucket's key may be another account's: neither may be narrowed. The key policy decides the
  // rest (README, deploy checklist).
  it("decrypt with keys of any Region and account, through S3 of any Region, for the reader and the execution role", () => {
    for (const [where, partition] of [["ReaderRole read-new-objects", "aws"], ["data.aws_iam_policy_document.scanner", "${local.partition}"]] as const) {
      const kms = find(where, "DecryptSseKmsObjectsThroughS3")
      expect(kms.actions, where).toEqual(["kms:Decrypt"])
      expect(kms.resources, where).toEqual([`arn:${partition}:kms:*:*:key/*`])
      expect(kms.conditions, where).toEqual([{ test: "StringLike", variable: "kms:ViaService", values: ["s3.*.amazonaws.com"] }])
    }
  })
})

describe("forwarders and resource policies", () => {
  it("the central bus admits only highvolt forwarder roles of the organization", () => {
    const s = find("central_bus", "PutEventsFromHighvoltForwardersOfTheOrganization")
    expect(s.actions).toEqual(["events:PutEvents"])
    expect(condition(s, "aws:PrincipalOrgID")?.values).toEqual(["${var.org_id}"])
    expect(condition(s, "aws:PrincipalArn")).toMatchObject({ test: "ArnLike", values: ["arn:${local.partition}:iam::*:role${local.forwarder_role_path}*"] })
  })

  it("the central bus admits the forwarder roles of every Region: its policy names no Region, and the roles' ARNs match it", () => {
    const s = find("central_bus", "PutEventsFromHighvoltForwardersOfTheOrganization")
    expect(s.conditions.map((c) => c.variable).sort()).toEqual(["aws:PrincipalArn", "aws:PrincipalOrgID"])
    expect(s.resources).toEqual(["${aws_cloudwatch_event_bus.central.arn}"])
    // ArnLike: `*` matches any run of characters. The path is the one both kinds of forwarder role use.
    const path = String(config.locals.get("forwarder_role_path")?.body["value"])
    const pattern = (condition(s, "aws:PrincipalArn")?.values[0] ?? "").replace("${local.partition}", "aws").replace("${local.forwarder_role_path}", path)
    const arnLike = (arn: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.?+^$()[\]{}|\\/]/g, "\\$&")).join(".*")}$`).test(arn)
    const member = templates["member-forwarding.yaml"]?.Resources["ForwarderRole"]?.Properties?.["Path"]
    expect(member).toBe(path)
    // CloudFormation names the member role <stack>-<logical id>-<suffix>; the stack of each Region differs.
    for (const region of ["us-east-1", "eu-west-1", "ap-southeast-2"]) {
      expect(arnLike(`arn:aws:iam::222233334444:role${path}StackSet-highvolt-s3-event-forwarding-${region}-ForwarderRole-1A2B3C4D`), region).toBe(true)
    }
    expect(config.resources.get("aws_iam_role.management_forwarder")?.body["path"]).toBe("${local.forwarder_role_path}")
    expect(arnLike(`arn:aws:iam::111122223333:role${path}highvolt-s3-event-forwarder`)).toBe(true)
    expect(arnLike("arn:aws:iam::222233334444:role/other/ForwarderRole")).toBe(false)
  })

  it("forwarder roles may only put events on the central bus, and only their rules may use them", () => {
    const memberPut = find("member-forwarding.yaml ForwarderRole put-events-to-central-bus", "PutEventsOnTheCentralBus")
    expect(memberPut).toMatchObject({ actions: ["events:PutEvents"], resources: ["arn:aws:events:us-east-1:111122223333:event-bus/highvolt-org-s3-events"] })
    const memberTrust = find("member-forwarding.yaml ForwarderRole trust", "ForwardingRulesOfThisRegion")
    expect(memberTrust.principals).toEqual(["Service:events.amazonaws.com"])
    expect(condition(memberTrust, "aws:SourceAccount")?.values).toEqual(["222233334444"])
    const mgmtPut = find("management_forwarder", "PutEventsOnTheCentralBus")
    expect(mgmtPut.resources).toEqual(["${aws_cloudwatch_event_bus.central.arn}"])
    const mgmtTrust = find("management_forwarder_trust", "EventBridgeRulesOfThisAccount")
    expect(mgmtTrust.principals).toEqual(["Service:events.amazonaws.com"])
    expect(condition(mgmtTrust, "aws:SourceAccount")?.values).toEqual(["${local.account_id}"])
  })

  it("the management forwarder's trust names its two rules in any Region, so it does not grow with the Regions (IAM allows 2,048 characters)", () => {
    const s = find("management_forwarder_trust", "EventBridgeRulesOfThisAccount")
    expect(condition(s, "aws:SourceArn")).toEqual({
      test: "ArnLike",
      variable: "aws:SourceArn",
      values: [
        "arn:${local.partition}:events:*:${local.account_id}:rule/${local.forward_rule_name}",
        "arn:${local.partition}:events:*:${local.account_id}:rule/${local.alarm_forward_rule_name}"
      ]
    })
    // The rules it names are the management account's forwarders, on the default bus (rule/<name>).
    for (const rule of ["management_forward", "management_alarm_forward"]) {
      const body = config.resources.get(`aws_cloudwatch_event_rule.${rule}`)?.body
      expect(body?.["event_bus_name"], rule).toBeUndefined()
      expect(["${local.forward_rule_name}", "${local.alarm_forward_rule_name}"], rule).toContain(body?.["name"])
    }
  })

  it("dead-letter queues accept messages only from their own rules", () => {
    const dlqs = statements.filter((s) => s.actions.includes("sqs:SendMessage") && s.principals.includes("Service:events.amazonaws.com"))
    expect(dlqs).toHaveLength(3)
    for (const s of dlqs) expect(condition(s, "aws:SourceArn")?.test, s.where).toBe("ArnEquals")
  })
})

describe("backfill (issue 12)", () => {
  it("the Batch Operations job role is trusted by Batch Operations of this account only", () => {
    const trust = find("data.aws_iam_policy_document.batch_operations_trust", "S3BatchOperationsOfThisAccount")
    expect(trust.actions).toEqual(["sts:AssumeRole"])
    expect(trust.principals).toEqual(["Service:batchoperations.s3.amazonaws.com"])
    expect(condition(trust, "aws:SourceAccount")).toMatchObject({ test: "StringEquals", values: ["${local.account_id}"] })
  })

  it("the job role invokes the backfill function only, reads manifests and writes reports in its own bucket only", () => {
    const policy = statements.filter((s) => s.where === "data.aws_iam_policy_document.batch_operations")
    expect(policy.map((s) => s.sid).sort()).toEqual(["InvokeTheBackfillFunctionOnly", "LocateTheReportBucket", "ReadManifests", "WriteCompletionReports"])
    expect(find("batch_operations", "InvokeTheBackfillFunctionOnly")).toMatchObject({
      actions: ["lambda:InvokeFunction"],
      resources: ["${aws_lambda_function.backfill[0].arn}", "${aws_lambda_function.backfill[0].arn}:*"]
    })
    expect(find("batch_operations", "ReadManifests").resources).toEqual(["${aws_s3_bucket.backfill[0].arn}/manifests/*"])
    expect(find("batch_operations", "WriteCompletionReports")).toMatchObject({ actions: ["s3:PutObject"], resources: ["${aws_s3_bucket.backfill[0].arn}/reports/*"] })
    for (const s of policy) expect(s.resources.every((r) => r.includes("aws_s3_bucket.backfill[0]") || r.includes("aws_lambda_function.backfill[0]"))).toBe(true)
  })

  it("the report bucket refuses every request without TLS", () => {
    const deny = find("data.aws_iam_policy_document.backfill_bucket", "DenyInsecureTransport")
    expect(deny).toMatchObject({ effect: "Deny", actions: ["s3:*"], principals: ["AWS:*"] })
    expect(condition(deny, "aws:SecureTransport")).toMatchObject({ test: "Bool", values: ["false"] })
  })

  it("the backfill function writes only its own log group", () => {
    expect(find("data.aws_iam_policy_document.backfill_logs", "WriteBackfillLogs").resources).toEqual(["${aws_cloudwatch_log_group.backfill[0].arn}:*"])
  })

  it("the reader role may list and locate the buckets of its own account, only when the StackSet enables backfill", () => {
    const listing = statements.filter((s) => s.where === "member-reader-role.yaml BackfillListing list-for-backfill")
    expect(listing.flatMap((s) => s.actions).sort()).toEqual(["s3:GetBucketLocation", "s3:GetInventoryConfiguration", "s3:ListAllMyBuckets", "s3:ListBucketVersions"])
    // ListAllMyBuckets has no resource type; everything else is scoped to the account.
    expect(find("BackfillListing", "ListBucketsOfThisAccount").resources).toEqual(["*"])
    expect(condition(find("BackfillListing", "LocateAndInventoryBucketsOfThisAccount"), "aws:ResourceAccount")?.values).toEqual(["222233334444"])
    const resource = (templates["member-reader-role.yaml"] as { Resources: Record<string, { Condition?: string }> }).Resources["BackfillListing"]
    expect(resource?.Condition).toBe("Backfill")
  })
})
