/**
 * The event patterns of the central rule, the management account's forwarders (both rendered
 * from terraform/patterns/*.json.tftpl, as Terraform does) and the member forwarders (the
 * StackSet template, intrinsics resolved) run against sample events: positives must match every
 * one of them, negatives none. Mutation tests show that a pattern with a clause removed would be
 * caught, so these tests can fail.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { loadTemplate, resolve, type Cfn } from "./helpers/cfn.js"
import { leaves, matches } from "./helpers/eventPattern.js"
import { block, blocks, loadConfiguration, renderJsonTemplate, str, terraformDir, type Configuration } from "./helpers/hcl.js"

const fixtures = join(import.meta.dirname, "fixtures", "events")
const sample = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(fixtures, name), "utf8")) as Record<string, unknown>
const clone = <A>(a: A): A => structuredClone(a)

const trailBucket = "highvolt-org-trail-111122223333-us-east-1"
const excludedByUser = ["backups-archive", "data.lake.raw"]
/** What `local.excluded_bucket_names` computes: sort(distinct(compact(concat([trail], excluded)))). */
const excludedBucketNames = [...new Set([trailBucket, ...excludedByUser].filter((b) => b !== ""))].sort()

const fourWrites = ["PutObject", "CompleteMultipartUpload", "CopyObject", "PostObject"] as const

// --- Events ----------------------------------------------------------------------------------

/** Sample 01: a complete EventBridge envelope around a CloudTrail PutObject (console upload). */
const putObject = sample("01-cloudtrail-putobject-via-eventbridge.stepfunctions-doc.json")

/** Wraps a CloudTrail record (a detail) in the envelope EventBridge gives it on the default bus. */
const envelope = (detail: Record<string, unknown>): Record<string, unknown> => ({
  "version": "0",
  "id": "0d9e2f6a-0000-4000-8000-000000000000",
  "detail-type": "AWS API Call via CloudTrail",
  "source": detail["eventSource"] === "s3.amazonaws.com" || detail["eventSource"] === "s3-outposts.amazonaws.com"
    ? "aws.s3"
    : `aws.${String(detail["eventSource"]).split(".")[0]}`,
  "account": "123456789012",
  "time": String(detail["eventTime"] ?? "2024-01-01T00:00:00Z"),
  "region": String(detail["awsRegion"] ?? "eu-west-1"),
  "resources": [],
  detail
})

const withDetail = (event: Record<string, unknown>, change: (detail: Record<string, unknown>) => void) => {
  const copy = clone(event)
  change(copy["detail"] as Record<string, unknown>)
  return copy
}
const inBucket = (event: Record<string, unknown>, bucket: string) =>
  withDetail(event, (d) => {
    ;(d["requestParameters"] as Record<string, unknown>)["bucketName"] = bucket
  })
const named = (event: Record<string, unknown>, eventName: string) => withDetail(event, (d) => {
  d["eventName"] = eventName
})

const positives: ReadonlyArray<readonly [string, unknown]> = [
  ["sample 01: PutObject through EventBridge", putObject],
  ["sample 02: CDK PutObject record (eventVersion 1.05, bytesTransferredIn)", envelope(sample("02-cloudtrail-putobject-detail.aws-cdk-sample.json"))],
  ...fourWrites.map((name) => [`sample 01 as ${name}`, named(putObject, name)] as const),
  ["CopyObject with a copy source", withDetail(named(putObject, "CopyObject"), (d) => {
    ;(d["requestParameters"] as Record<string, unknown>)["x-amz-copy-source"] = "other-bucket/src.pdf"
  })],
  ["an org-trail record (eventCategory Data, managementEvent false)", withDetail(putObject, (d) => {
    d["eventCategory"] = "Data"
    d["managementEvent"] = false
    d["eventVersion"] = "1.09"
  })],
  ["a bucket whose name starts like an excluded one", inBucket(putObject, "backups-archive-2")]
]

const accessDenied = sample("04-cloudtrail-resources-fragment-accessdenied-redaction.cloudtrail-doc.json") as {
  readonly current: { readonly resources: unknown }
}

const negatives: ReadonlyArray<readonly [string, unknown]> = [
  ["a failed call (errorCode AccessDenied, redacted bucket owner, sample 04)", withDetail(putObject, (d) => {
    d["errorCode"] = "AccessDenied"
    d["errorMessage"] = "Access Denied"
    d["resources"] = accessDenied.current.resources
  })],
  ["a failed call with an empty errorCode string", withDetail(putObject, (d) => {
    d["errorCode"] = ""
  })],
  ["GetObject (a read)", withDetail(named(putObject, "GetObject"), (d) => {
    d["readOnly"] = true
  })],
  ...["DeleteObject", "PutObjectAcl", "UploadPart", "CreateMultipartUpload", "RestoreObject", "PutObjectTagging"].map(
    (name) => [`${name} (not an object creation we scan)`, named(putObject, name)] as const
  ),
  ["another service: S3 on Outposts PutObject (sample 03)", envelope(sample("03-cloudtrail-putobject-detail-versioned-crossaccount.s3-outposts-doc.json"))],
  ["another service: EC2 RunInstances", envelope({
    eventSource: "ec2.amazonaws.com",
    eventName: "RunInstances",
    awsRegion: "eu-west-1",
    eventTime: "2024-01-01T00:00:00Z",
    requestParameters: { instanceType: "t3.micro" }
  })],
  ["an eventSource of s3 but another source (a custom event)", { ...clone(putObject), source: "my.app" }],
  ["another detail-type from aws.s3: native Object Created (sample 05)", sample("05-s3-eventbridge-object-created-putobject.s3-doc.json")],
  ["another detail-type from aws.s3: native Object Created multipart (sample 06)", sample("06-s3-eventbridge-object-created-completemultipartupload.gist.json")],
  ["an S3 notification, not an EventBridge event (sample 07)", sample("07-s3-notification-records-encoded-key.aws-lambda-go-testdata.json")],
  ...excludedByUser.map((bucket) => [`an excluded bucket (${bucket})`, inBucket(putObject, bucket)] as const),
  ["the trail's own log write (CloudTrail's PutObject into its bucket)", withDetail(inBucket(putObject, trailBucket), (d) => {
    d["userIdentity"] = { type: "AWSService", invokedBy: "cloudtrail.amazonaws.com" }
    ;(d["requestParameters"] as Record<string, unknown>)["key"] = "AWSLogs/o-abcdefghij/111122223333/CloudTrail/us-east-1/2024/01/01/x.json.gz"
  })],
  ["a record without requestParameters", withDetail(putObject, (d) => {
    delete d["requestParameters"]
  })]
]

// --- Patterns --------------------------------------------------------------------------------

let config: Configuration
let centralPattern: unknown
let memberPattern: unknown
let alarmPattern: unknown
let memberAlarmPattern: unknown
const memberTemplate = loadTemplate(join(terraformDir, "stacksets", "member-forwarding.yaml"))

const rule = (logicalId: string) => {
  const resource = memberTemplate.Resources[logicalId]
  if (resource?.Type !== "AWS::Events::Rule") throw new Error(`${logicalId} is not a rule`)
  return resource.Properties as { readonly [k: string]: Cfn }
}

beforeAll(async () => {
  config = await loadConfiguration()
  centralPattern = renderJsonTemplate(readFileSync(join(terraformDir, "patterns", "s3-object-created.json.tftpl"), "utf8"), {
    excluded_bucket_names: excludedBucketNames
  })
  alarmPattern = renderJsonTemplate(readFileSync(join(terraformDir, "patterns", "forwarder-alarm-state-change.json.tftpl"), "utf8"), {
    alarm_name_prefix: "highvolt-s3-forwarder-dlq"
  })
  const params = { ExcludedBucketNames: excludedBucketNames.join(","), CentralEventBusArn: "arn:aws:events:us-east-1:111122223333:event-bus/highvolt-org-s3-events" }
  memberPattern = resolve(memberTemplate, params, rule("ObjectCreatedRule")["EventPattern"] as Cfn)
  memberAlarmPattern = resolve(memberTemplate, params, rule("AlarmForwardRule")["EventPattern"] as Cfn)
})

describe("where the patterns are used", () => {
  it("the central rule and every management-account forwarder use the rendered S3 pattern", () => {
    const central = config.resources.get("aws_cloudwatch_event_rule.central")
    const management = config.resources.get("aws_cloudwatch_event_rule.management_forward")
    expect(central && str(central.body, "event_pattern")).toBe("${local.s3_object_created_pattern}")
    expect(management && str(management.body, "event_pattern")).toBe("${local.s3_object_created_pattern}")
    const local = config.locals.get("s3_object_created_pattern")
    expect(String(local?.body["value"])).toContain('templatefile("${path.module}/patterns/s3-object-created.json.tftpl"')
    expect(String(local?.body["value"])).toContain("excluded_bucket_names = local.excluded_bucket_names")
  })

  it("the excluded list always holds the trail bucket, then the user's buckets", () => {
    const expression = String(config.locals.get("excluded_bucket_names")?.body["value"])
    expect(expression).toBe("${sort(distinct(compact(concat([local.trail_bucket_name], var.excluded_bucket_names))))}")
  })

  it("the member template's pattern is the central pattern, once its parameters are resolved", () => {
    expect(memberPattern).toEqual(centralPattern)
  })

  it("the StackSet passes the same excluded list to the member template", () => {
    const stackSet = config.resources.get("aws_cloudformation_stack_set.forwarding")
    expect(stackSet?.body["parameters"]).toMatchObject({ ExcludedBucketNames: '${join(",", local.excluded_bucket_names)}' })
  })

  it("a plan whose pattern would exceed EventBridge's 2,048 characters stops, and says how many exclusions fit", () => {
    const rule = config.resources.get("aws_cloudwatch_event_rule.central")?.body
    const preconditions = blocks(block(rule ?? {}, "lifecycle"), "precondition")
    const check = preconditions.find((p) => String(p["condition"]).includes("s3_object_created_pattern"))
    expect(check?.["condition"]).toBe("${length(local.s3_object_created_pattern) <= 2048}")
    // Measured compact, as EventBridge receives it from jsonencode (and CloudFormation).
    expect(config.locals.get("s3_object_created_pattern")?.body["value"]).toMatch(/^\$\{jsonencode\(jsondecode\(templatefile\(/)
    const template = readFileSync(join(terraformDir, "patterns", "s3-object-created.json.tftpl"), "utf8")
    const size = (names: ReadonlyArray<string>) => JSON.stringify(renderJsonTemplate(template, { excluded_bucket_names: names })).length
    // The worst case: a 63-character trail bucket of the user's, and 63-character exclusions.
    const longest = (i: number) => `${"b".repeat(60)}${String(i).padStart(3, "0")}`
    let fit = 0
    while (size(["t".repeat(63), ...Array.from({ length: fit + 1 }, (_, i) => longest(i))]) <= 2048) fit++
    expect(check?.["error_message"]).toContain(`${fit} names of 63 characters always fit`)
    expect(config.variables.get("excluded_bucket_names")?.body["description"]).toContain(`${fit} names of 63 characters always fit`)
    expect(config.variables.get("excluded_bucket_names")?.body["validation"]).not.toEqual(
      expect.arrayContaining([expect.objectContaining({ condition: expect.stringContaining("jsonencode") })])
    )
  })

  it("the CloudTrail selectors log exactly the four writes and exclude the same buckets", () => {
    const trail = config.resources.get("aws_cloudtrail.org")
    const selector = (trail?.body["advanced_event_selector"] as ReadonlyArray<Record<string, unknown>>)[0]
    const fields = selector?.["field_selector"] as ReadonlyArray<Record<string, unknown>>
    const byField = Object.fromEntries(fields.map((f) => [f["field"], f]))
    expect(byField["eventCategory"]?.["equals"]).toEqual(["Data"])
    expect(byField["resources.type"]?.["equals"]).toEqual(["AWS::S3::Object"])
    expect(byField["eventName"]?.["equals"]).toEqual([...fourWrites])
    expect(byField["resources.ARN"]?.["not_starts_with"]).toBe('${[for b in local.excluded_bucket_names : "arn:${local.partition}:s3:::${b}/"]}')
    // The pattern's event names are the trail's.
    expect((leaves(centralPattern).find(([path]) => path === "detail.eventName") ?? [])[1]).toEqual([...fourWrites])
  })
})

describe.each([
  ["central rule", () => centralPattern],
  ["management-account forwarders", () => centralPattern],
  ["member forwarders (StackSet)", () => memberPattern]
])("%s", (_, pattern) => {
  it.each(positives)("matches %s", (_, event) => {
    expect(matches(pattern(), event)).toBe(true)
  })

  it.each(negatives)("does not match %s", (_, event) => {
    expect(matches(pattern(), event)).toBe(false)
  })
})

describe("the forwarded DLQ alarms", () => {
  const alarmEvent = (alarmName: string, state = "ALARM") => ({
    "version": "0",
    "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
    "detail-type": "CloudWatch Alarm State Change",
    "source": "aws.cloudwatch",
    "account": "222233334444",
    "time": "2024-01-01T00:00:00Z",
    "region": "eu-west-1",
    "resources": [`arn:aws:test:::DeadLetterAlarm.Arn`],
    "detail": { alarmName, state: { value: state, reason: "Threshold Crossed" }, previousState: { value: "OK" } }
  })

  it("the member rule forwards its own alarm's state changes", () => {
    expect(matches(memberAlarmPattern, alarmEvent("highvolt-s3-forwarder-dlq-eu-west-1"))).toBe(true)
    expect(matches(memberAlarmPattern, { ...alarmEvent("other"), resources: ["arn:aws:cloudwatch:eu-west-1:222233334444:alarm:other"] })).toBe(false)
  })

  it("the central rule routes every forwarder DLQ alarm, and nothing else", () => {
    expect(matches(alarmPattern, alarmEvent("highvolt-s3-forwarder-dlq-eu-west-1"))).toBe(true)
    expect(matches(alarmPattern, alarmEvent("highvolt-s3-forwarder-dlq-us-east-1", "OK"))).toBe(true)
    expect(matches(alarmPattern, alarmEvent("billing-alarm"))).toBe(false)
    expect(matches(alarmPattern, putObject)).toBe(false)
    expect(matches(centralPattern, alarmEvent("highvolt-s3-forwarder-dlq-eu-west-1"))).toBe(false)
  })

  it("the member alarm name starts with the prefix the central rule expects", () => {
    const alarm = memberTemplate.Resources["DeadLetterAlarm"]?.Properties?.["AlarmName"]
    const name = resolve(memberTemplate, { ExcludedBucketNames: "x", CentralEventBusArn: "x" }, alarm as Cfn)
    expect(String(name).startsWith("highvolt-s3-forwarder-dlq")).toBe(true)
    expect(String(config.locals.get("forwarder_alarm_prefix")?.body["value"])).toBe("highvolt-s3-forwarder-dlq")
  })
})

// --- The tests can fail ----------------------------------------------------------------------

describe("a broken pattern is caught", () => {
  const without = (path: ReadonlyArray<string>) => {
    const copy = clone(centralPattern) as Record<string, unknown>
    let node = copy
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>
    delete node[path[path.length - 1] as string]
    return copy
  }
  const caught = (pattern: unknown) => negatives.filter(([, event]) => matches(pattern, event)).map(([name]) => name)

  it("without the errorCode clause, failed calls would be scanned", () => {
    expect(caught(without(["detail", "errorCode"]))).toEqual(expect.arrayContaining([expect.stringContaining("errorCode")]))
  })

  it("without the bucket exclusion, the trail's own writes and excluded buckets would be scanned", () => {
    const names = caught(without(["detail", "requestParameters"]))
    expect(names).toEqual(expect.arrayContaining([expect.stringContaining("trail's own log write"), expect.stringContaining("excluded bucket")]))
  })

  it("without the eventSource clause, S3 on Outposts would be scanned", () => {
    expect(caught(without(["detail", "eventSource"]))).toEqual([expect.stringContaining("Outposts")])
  })

  it("with an eventName missing, its positive case fails", () => {
    const copy = clone(centralPattern) as { detail: { eventName: Array<string> } }
    copy.detail.eventName = copy.detail.eventName.filter((n) => n !== "PostObject")
    expect(positives.filter(([, e]) => !matches(copy, e)).map(([n]) => n)).toEqual(["sample 01 as PostObject"])
  })

  it("an empty exclusion list is rejected, as EventBridge would", () => {
    const empty = renderJsonTemplate(readFileSync(join(terraformDir, "patterns", "s3-object-created.json.tftpl"), "utf8"), { excluded_bucket_names: [] })
    expect(() => matches(empty, putObject)).toThrow(/empty list/)
  })

  it("a misspelt operator is rejected", () => {
    expect(() => matches({ detail: { errorCode: [{ exist: false }] } }, putObject)).toThrow(/unknown pattern operator/)
  })
})

describe("the matcher follows EventBridge's documented semantics", () => {
  const event = { source: "aws.s3", detail: { list: ["a", "b"], n: 5, nested: [{ k: "v" }], empty: null } }

  it.each([
    [{ source: ["aws.s3"] }, true],
    [{ source: ["aws.ec2"] }, false],
    [{ detail: { list: ["b"] } }, true], // array in the event: any element
    [{ detail: { list: [{ "anything-but": ["a"] }] } }, true],
    [{ detail: { list: [{ "anything-but": ["a", "b"] }] } }, false],
    [{ detail: { missing: [{ exists: false }] } }, true],
    [{ detail: { missing: [{ "anything-but": ["x"] }] } }, false], // a missing field matches only exists:false
    [{ detail: { list: [{ exists: false }] } }, false],
    [{ detail: { n: [{ numeric: [">", 1, "<=", 5] }] } }, true],
    [{ detail: { nested: { k: ["v"] } } }, true], // objects inside arrays
    [{ detail: { empty: [null] } }, true],
    [{ source: [{ prefix: "aws." }] }, true],
    [{ source: [{ wildcard: "aws.*3" }] }, true],
    [{ source: [{ "anything-but": { prefix: "aws." } }] }, false]
  ])("%j -> %s", (pattern, expected) => {
    expect(matches(pattern, event)).toBe(expected)
  })
})
