/**
 * The CloudFormation resource specification, offline: `@aws-cdk/aws-service-spec`, the database
 * the AWS CDK generates its L1 resources from. It is built from the CloudFormation registry's
 * resource schemas (every resource type, property, nested type, required flag, enum and
 * attribute), released several times a month; `@aws-cdk/cfnspec`, the old JSON resource
 * specification, has not moved since 2.72.1 in 2024: the CDK builds from the registry instead.
 */
import { loadAwsServiceSpecSync } from "@aws-cdk/aws-service-spec"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"

export type SpecType =
  | { readonly type: "string"; readonly allowedValues?: ReadonlyArray<string> }
  | { readonly type: "integer"; readonly allowedValues?: ReadonlyArray<number> }
  | { readonly type: "number" | "boolean" | "json" | "date-time" | "null" | "tag" }
  | { readonly type: "ref"; readonly reference: { readonly $ref: string } }
  | { readonly type: "array" | "map"; readonly element: SpecType }
  | { readonly type: "union"; readonly types: ReadonlyArray<SpecType> }

export interface SpecProperty {
  readonly required?: boolean
  readonly type: SpecType
  /** Types the property had before; CloudFormation still accepts them. */
  readonly previousTypes?: ReadonlyArray<SpecType>
}

export interface SpecObject {
  readonly name: string
  readonly properties: { readonly [name: string]: SpecProperty }
}

export interface SpecResource extends SpecObject {
  readonly cloudFormationType: string
  readonly attributes: { readonly [name: string]: { readonly type: SpecType } }
}

export interface CfnSpec {
  readonly packageVersion: string
  readonly resourceCount: number
  readonly resource: (type: string) => SpecResource | undefined
  readonly typeDefinition: (ref: { readonly $ref: string }) => SpecObject
}

let loaded: CfnSpec | undefined

/** The specification (loaded once: about a second). */
export const loadCfnSpec = (): CfnSpec => {
  if (loaded !== undefined) return loaded
  const db = loadAwsServiceSpecSync()
  const manifest = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("@aws-cdk/aws-service-spec/package.json"), "utf8")) as { version: string }
  loaded = {
    packageVersion: manifest.version,
    resourceCount: db.all("resource").length,
    resource: (type) => db.lookup("resource", "cloudFormationType", "equals", type)[0] as SpecResource | undefined,
    typeDefinition: (ref) => db.get("typeDefinition", ref.$ref) as SpecObject
  }
  return loaded
}
