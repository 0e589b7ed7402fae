/**
 * Every StackSet template against the CloudFormation resource specification (the registry
 * schemas, through `@aws-cdk/aws-service-spec`): resource types, every property's name, type,
 * enum and required flag at every level, `Fn::GetAtt` attributes, `Ref`/`Fn::Sub` names,
 * conditions and parameters declared and used. Known-bad snippets prove each defect is named,
 * with file, line and path.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { loadCfnSpec } from "./helpers/cfnSpec.js"
import { type CfnSpecCounts, checkTemplate } from "./helpers/cfnSpecCheck.js"
import { formatFinding } from "./helpers/finding.js"
import { type Configuration, loadConfiguration, terraformDir } from "./helpers/hcl.js"

const stacksetsDir = join(terraformDir, "stacksets")
const templateFiles = readdirSync(stacksetsDir).filter((f) => f.endsWith(".yaml")).sort()

let config: Configuration
beforeAll(async () => {
  config = await loadConfiguration()
})

const spec = loadCfnSpec()
const check = (file: string, text: string) => checkTemplate(file, text, spec)
const findingsOf = (template: string) => check("snippet.yaml", template).findings.map(formatFinding)

describe("the landed templates", () => {
  it("have no finding, every resource and property checked", () => {
    const totals: Record<keyof CfnSpecCounts, number> = { resources: 0, properties: 0, references: 0 }
    for (const file of templateFiles) {
      const { findings, counts } = check(file, readFileSync(join(stacksetsDir, file), "utf8"))
      expect(findings.map(formatFinding), file).toEqual([])
      for (const key of Object.keys(totals) as Array<keyof CfnSpecCounts>) totals[key] += counts[key]
    }
    console.info(
      `CloudFormation specification check: ${templateFiles.length} templates, ${totals.resources} resources, ${totals.properties} properties, ` +
        `${totals.references} references against @aws-cdk/aws-service-spec ${spec.packageVersion} (${spec.resourceCount} resource types)`
    )
    expect(templateFiles.length).toBeGreaterThan(0)
    expect(totals.resources).toBeGreaterThan(0)
  })

  it("are what Terraform deploys, as they are: every template_body is file() of a checked template", () => {
    const bodies = [...config.resources.values()].filter((r) => r.body["template_body"] !== undefined || r.body["template_url"] !== undefined)
    expect(bodies.map((r) => r.address)).toEqual(expect.arrayContaining(["aws_cloudformation_stack_set.forwarding", "aws_cloudformation_stack_set.reader"]))
    for (const r of bodies) {
      // templatefile() would render the template first: what is checked here would not be what is deployed.
      const file = /^\$\{file\("\$\{path\.module\}\/stacksets\/([\w.-]+)"\)\}$/.exec(String(r.body["template_body"]))?.[1]
      expect(templateFiles, r.address).toContain(file)
    }
  })
})

const base = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Names:
    Type: CommaDelimitedList
    Description: list
  Retention:
    Type: Number
    Description: seconds
Conditions:
  WithAlarm: !Equals [!Ref Retention, "60"]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: !Ref Retention
      Tags:
        - Key: owner
          Value: !Join [",", !Ref Names]
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument: { Version: "2012-10-17", Statement: [] }
  Rule:
    Type: AWS::Events::Rule
    Properties:
      State: ENABLED
      EventPattern: { source: [aws.s3], detail: { bucket: !Ref Names } }
      Targets:
        - Id: queue
          Arn: !GetAtt Queue.Arn
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Condition: WithAlarm
    Properties:
      ComparisonOperator: GreaterThanThreshold
      EvaluationPeriods: 1
      Threshold: 0
      Period: 300
      Dimensions:
        - Name: QueueName
          Value: !GetAtt Queue.QueueName
`
/** The base template with one piece of text replaced (it must occur). */
const variant = (from: string, to: string) => {
  if (!base.includes(from)) throw new Error(`base has no ${from}`)
  return base.replace(from, to)
}
/** 1-based line of the first line holding `text`. */
const lineOf = (template: string, text: string) => template.split("\n").findIndex((l) => l.includes(text)) + 1

describe("known-bad snippets are named with file, line and path", () => {
  it("the base snippet is clean, so each case below fails for its own defect", () => {
    expect(findingsOf(base)).toEqual([])
  })

  it("an attribute whose name holds a dot is read whole (Endpoint.Address)", () => {
    const db = "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n  Alias:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: !GetAtt Db.Endpoint.Address\n"
    expect(findingsOf(db)).toEqual([])
    expect(findingsOf(db.replace("Endpoint.Address", "Endpoint.Adress"))).toEqual([
      expect.stringContaining('snippet.yaml:8: Resources.Alias.Properties.Value.Fn::GetAtt: AWS::RDS::DBInstance has no attribute "Endpoint.Adress"')
    ])
  })

  it.each([
    {
      defect: "an unknown resource type",
      template: variant("Type: AWS::SQS::Queue\n", "Type: AWS::SQS::Queu\n"),
      at: "AWS::SQS::Queu",
      expected: 'Resources.Queue.Type: unknown resource type "AWS::SQS::Queu"'
    },
    {
      defect: "a misspelled property",
      template: variant("MessageRetentionPeriod: !Ref", "MessageRetentionPeriods: !Ref"),
      at: "MessageRetentionPeriods",
      expected: 'Resources.Queue.Properties.MessageRetentionPeriods: Queue has no property "MessageRetentionPeriods" (did you mean MessageRetentionPeriod?)'
    },
    {
      defect: "a property in the wrong place (a target's property on the rule)",
      template: variant("      State: ENABLED", "      State: ENABLED\n      DeadLetterConfig: { Arn: !GetAtt Queue.Arn }"),
      at: "DeadLetterConfig",
      expected: 'Resources.Rule.Properties.DeadLetterConfig: Rule has no property "DeadLetterConfig"'
    },
    {
      defect: "a property of the wrong type (a word for an integer)",
      template: variant("Period: 300", "Period: five minutes"),
      at: "Period: five",
      expected: 'Resources.Alarm.Properties.Period: expects integer, got "five minutes"'
    },
    {
      defect: "a property of the wrong type (a single value for a list)",
      template: variant("Queues: [!Ref Queue]", "Queues: !Ref Queue"),
      at: "Queues: !Ref",
      expected: "Resources.QueuePolicy.Properties.Queues: expects a list of string, but Ref gives a single value"
    },
    {
      defect: "a property of the wrong type (an object for a list of objects)",
      template: variant("        - Name: QueueName\n          Value:", "          Name: QueueName\n          Value:"),
      at: "Dimensions:",
      expected: "Resources.Alarm.Properties.Dimensions: expects a list of an object (Dimension), got an object"
    },
    {
      defect: "a value outside the property's enum",
      template: variant("State: ENABLED", "State: Enabled"),
      at: "State: Enabled",
      expected: 'Resources.Rule.Properties.State: expects one of DISABLED, ENABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, got "Enabled"'
    },
    {
      defect: "a missing required property",
      template: variant("    Properties:\n      Queues: [!Ref Queue]\n", "    Properties: # policy\n"),
      at: "Properties: # policy",
      expected: 'Resources.QueuePolicy.Properties: QueuePolicy: missing required property "Queues"'
    },
    {
      defect: "a missing required property of a nested type",
      template: variant("        - Id: queue\n          Arn:", "        - Arn:"),
      at: "- Arn: !GetAtt",
      expected: 'Resources.Rule.Properties.Targets[0]: Target: missing required property "Id"'
    },
    {
      defect: "a GetAtt to a nonexistent attribute",
      template: variant("!GetAtt Queue.QueueName", "!GetAtt Queue.Url"),
      at: "Queue.Url",
      expected: 'Resources.Alarm.Properties.Dimensions[0].Value.Fn::GetAtt: AWS::SQS::Queue has no attribute "Url" (it has Arn, QueueName, QueueUrl)'
    },
    {
      defect: "a GetAtt to an undeclared resource",
      template: variant("!GetAtt Queue.QueueName", "!GetAtt Queues.QueueName"),
      at: "Queues.QueueName",
      expected: 'Resources.Alarm.Properties.Dimensions[0].Value.Fn::GetAtt: Fn::GetAtt of "Queues", which is not a declared resource (did you mean Queue?)'
    },
    {
      defect: "an undeclared Ref",
      template: variant("MessageRetentionPeriod: !Ref Retention", "MessageRetentionPeriod: !Ref RetentionSeconds"),
      at: "RetentionSeconds",
      expected: 'Resources.Queue.Properties.MessageRetentionPeriod.Ref: Ref to "RetentionSeconds", which is not a declared parameter or resource (did you mean Retention?)'
    },
    {
      defect: "an undeclared Ref inside a JSON property",
      template: variant("bucket: !Ref Names", "bucket: !Ref Buckets"),
      at: "bucket: !Ref Buckets",
      expected: 'Resources.Rule.Properties.EventPattern.detail.bucket.Ref: Ref to "Buckets", which is not a declared parameter or resource'
    },
    {
      defect: "an undeclared name in a Sub",
      template: variant('Value: !Join [",", !Ref Names]', 'Value: !Sub "${AWS::Region}-${Owner}"'),
      at: "${Owner}",
      expected: 'Resources.Queue.Properties.Tags[0].Value.Fn::Sub: Ref to "Owner", which is not a declared parameter or resource'
    },
    {
      defect: "a Sub of a list parameter",
      template: variant('Value: !Join [",", !Ref Names]', 'Value: !Sub "${Names}"'),
      at: "${Names}",
      expected: 'Resources.Queue.Properties.Tags[0].Value.Fn::Sub: Fn::Sub cannot insert "Names", a list parameter: join it first'
    },
    {
      defect: "a list parameter where a single value goes",
      template: variant('Value: !Join [",", !Ref Names]', "Value: !Ref Names"),
      at: "Value: !Ref Names",
      expected: "Resources.Queue.Properties.Tags[0].Value: expects string, but Ref gives a list"
    },
    {
      defect: "an undeclared condition on a resource",
      template: variant("    Condition: WithAlarm", "    Condition: WithAlarms"),
      at: "Condition: WithAlarms",
      expected: 'Resources.Alarm.Condition: condition "WithAlarms" is not declared (did you mean WithAlarm?)'
    },
    {
      defect: "an undeclared condition in Fn::If",
      template: variant("Threshold: 0", "Threshold: !If [Alarmed, 0, 1]"),
      at: "Alarmed",
      expected: 'Resources.Alarm.Properties.Threshold.Fn::If[0]: condition "Alarmed" is not declared'
    },
    {
      defect: "an unused parameter",
      template: variant("Conditions:", "  Unused:\n    Type: String\nConditions:"),
      at: "Unused:",
      expected: 'Parameters.Unused: parameter "Unused" is declared but never used'
    },
    {
      defect: "an unused condition",
      template: variant("Resources:", '  Never: !Equals [!Ref Retention, "0"]\nResources:'),
      at: "Never:",
      expected: 'Conditions.Never: condition "Never" is declared but never used'
    },
    {
      defect: "a resource referred to in Conditions",
      template: variant('!Equals [!Ref Retention, "60"]', '!Equals [!Ref Queue, "60"]'),
      at: "!Ref Queue,",
      expected: 'Conditions.WithAlarm.Fn::Equals[0].Ref: Ref to "Queue", which is not a declared parameter'
    },
    {
      defect: "a condition function inside properties",
      template: variant("Threshold: 0", "Threshold: !Equals [1, 1]"),
      at: "Threshold: !Equals",
      expected: "Resources.Alarm.Properties.Threshold.Fn::Equals: Fn::Equals is a condition function: declare it in Conditions and use it with Fn::If"
    },
    {
      defect: "a misspelled resource attribute",
      template: variant("    Condition: WithAlarm", "    Conditions: WithAlarm"),
      at: "Conditions: WithAlarm",
      expected: 'Resources.Alarm.Conditions: unknown resource attribute "Conditions" (did you mean Condition?)'
    },
    {
      defect: "a DependsOn to nothing",
      template: variant("    Condition: WithAlarm", "    Condition: WithAlarm\n    DependsOn: Queues"),
      at: "DependsOn: Queues",
      expected: 'Resources.Alarm.DependsOn[0]: DependsOn "Queues": no other resource of that name'
    },
    {
      defect: "an unknown parameter type",
      template: variant("Type: Number", "Type: Integer"),
      at: "Type: Integer",
      expected: 'Parameters.Retention.Type: parameter type "Integer" is not a CloudFormation parameter type'
    },
    {
      defect: "an unknown template section",
      template: `${base}Output:\n  Url:\n    Value: !Ref Queue\n`,
      at: "Output:",
      expected: 'Output: unknown template section "Output" (did you mean Outputs?)'
    },
    {
      defect: "an output of an undeclared resource",
      template: `${base}Outputs:\n  Url:\n    Value: !GetAtt Queue2.QueueUrl\n`,
      at: "Queue2",
      expected: 'Outputs.Url.Value.Fn::GetAtt: Fn::GetAtt of "Queue2", which is not a declared resource (did you mean Queue?)'
    }
  ])("$defect", ({ template, at, expected }) => {
    const findings = findingsOf(template)
    const line = `snippet.yaml:${lineOf(template, at)}: ${expected}`
    expect(findings.some((f) => f.startsWith(line)), `${findings.join("\n")}\n  does not name\n${line}`).toBe(true)
  })
})
