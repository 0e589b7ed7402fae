/**
 * deploy.sh: shellcheck-clean, and run end to end against stub `aws`, `terraform`/`tofu` and
 * `npm` executables (a copy of the script in a temporary tree, so the repository's
 * terraform.tfvars is never touched): the non-interactive flow writes a terraform.tfvars that
 * Terraform would accept, runs init / plan / apply in order, and every failure exits non-zero
 * with a message.
 */
import { spawnSync } from "node:child_process"
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import { type Configuration, loadConfiguration, parseHcl, repoRoot } from "./helpers/hcl.js"

const script = join(repoRoot, "deploy.sh")

let config: Configuration
beforeAll(async () => {
  config = await loadConfiguration()
})

describe("shell quality", () => {
  // A fresh machine has Node and npm only: without shellcheck the test says so and skips; in CI
  // (.ci/run installs it) a missing shellcheck is a failure, never a skip.
  it("passes shellcheck with no finding", (ctx) => {
    const which = spawnSync("sh", ["-c", "command -v shellcheck"], { encoding: "utf8" })
    if (which.status !== 0) {
      if (process.env["CI"] === "true") throw new Error("shellcheck is not installed, and CI requires it (.ci/run installs it)")
      console.warn("deploy.sh: shellcheck is not installed (apt-get install -y shellcheck); skipping its check. CI runs it.")
      ctx.skip("shellcheck is not installed")
    }
    const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", script], { encoding: "utf8" })
    expect(result.stdout + result.stderr).toBe("")
    expect(result.status).toBe(0)
  })

  it("parses with bash -n", () => {
    const result = spawnSync("bash", ["-n", script], { encoding: "utf8" })
    expect(result.stderr).toBe("")
    expect(result.status).toBe(0)
  })
})

// --- A sandbox with stub tools ---------------------------------------------------------------

const stubAws = `#!/usr/bin/env bash
printf 'aws %s\\n' "$*" >> "$STUB_LOG"
case "$1 $2" in
  "sts get-caller-identity")
    if [[ -n \${STUB_NO_CREDENTIALS:-} ]]; then echo "Unable to locate credentials." >&2; exit 253; fi
    echo "\${STUB_ACCOUNT:-111122223333}" ;;
  "organizations describe-organization") printf 'o-abcdefghij\\t%s\\n' "\${STUB_MANAGEMENT:-111122223333}" ;;
  "organizations list-roots") echo "r-ab12" ;;
  "secretsmanager describe-secret")
    if [[ -n \${STUB_NO_SECRET:-} ]]; then echo "An error occurred (ResourceNotFoundException)" >&2; exit 254; fi
    echo "arn:aws:secretsmanager:us-east-1:111122223333:secret:highvolt/jsonair-pat-AbCdEf" ;;
  "cloudformation activate-organizations-access") ;;
  "cloudformation describe-organizations-access") echo "ENABLED" ;;
  "organizations enable-aws-service-access") ;;
  "cloudtrail describe-trails") printf '%b' "\${STUB_ORG_TRAIL_BUCKETS:-}" ;;
  "cloudformation list-stack-instances")
    # Stale instances (account<TAB>Region<TAB>status<TAB>reason lines) of the forwarding StackSet only.
    if [[ "$*" == *stub-forwarding_stack_set_name* ]]; then printf '%b' "\${STUB_STALE_INSTANCES:-}"; fi ;;
  "configure get") echo "us-east-1" ;;
  *) echo "stub aws: unexpected call: $*" >&2; exit 2 ;;
esac
`

const stubTerraform = `#!/usr/bin/env bash
printf '%s %s\\n' "$(basename "$0")" "$*" >> "$STUB_LOG"
args=("$@")
[[ \${args[0]} == -chdir=* ]] && args=("\${args[@]:1}")
case \${args[0]} in
  version) echo "Terraform v1.9.8 (stub $(basename "$0"))" ;;
  init) ;;
  plan) if [[ -n \${STUB_PLAN_FAILS:-} ]]; then echo "Error: Invalid value for variable" >&2; exit 1; fi ;;
  apply) ;;
  output) echo "stub-\${args[2]}" ;;
  *) echo "stub terraform: unexpected $*" >&2; exit 2 ;;
esac
`

const stubNpm = `#!/usr/bin/env bash
printf 'npm %s\\n' "$*" >> "$STUB_LOG"
if [[ "$1 \${2:-}" == "run build" ]]; then
  if [[ -n \${STUB_BUILD_FAILS:-} ]]; then echo "tsup: error" >&2; exit 1; fi
  mkdir -p dist && printf 'PK\\003\\004 stub' > dist/lambda.zip
fi
`

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
  readonly calls: ReadonlyArray<string>
  readonly tfvars: string | undefined
}

const sandboxes: Array<string> = []
afterEach(() => {
  for (const dir of sandboxes.splice(0)) rmSync(dir, { recursive: true, force: true })
})

interface RunOptions {
  readonly env?: Record<string, string>
  readonly tools?: ReadonlyArray<string>
  /** Answers typed at the prompts, through a pseudo-terminal (`script`), instead of no terminal. */
  readonly typed?: string
}

const hasScript = spawnSync("sh", ["-c", "command -v script"]).status === 0

const run = (args: ReadonlyArray<string>, options: RunOptions = {}): Run => {
  const root = mkdtempSync(join(tmpdir(), "deploy-sh-"))
  sandboxes.push(root)
  const repo = join(root, "repo")
  const bin = join(root, "bin")
  mkdirSync(join(repo, "terraform"), { recursive: true })
  mkdirSync(bin)
  copyFileSync(script, join(repo, "deploy.sh"))
  chmodSync(join(repo, "deploy.sh"), 0o755)
  const tools = options.tools ?? ["aws", "terraform", "npm"]
  const stubs: Record<string, string> = { aws: stubAws, terraform: stubTerraform, tofu: stubTerraform, npm: stubNpm }
  for (const tool of tools) {
    writeFileSync(join(bin, tool), stubs[tool] ?? "")
    chmodSync(join(bin, tool), 0o755)
  }
  const log = join(root, "calls.log")
  writeFileSync(log, "")
  const command = options.typed === undefined
    ? [join(repo, "deploy.sh"), ...args]
    : ["script", "-q", "-e", "-c", [join(repo, "deploy.sh"), ...args].join(" "), "/dev/null"]
  const result = spawnSync(command[0] as string, command.slice(1), {
    cwd: root,
    encoding: "utf8",
    input: options.typed ?? "",
    timeout: 20_000,
    env: {
      // Stubs first; node's own directory for `node`; the system for coreutils and bash.
      PATH: [bin, dirname(process.execPath), "/usr/bin", "/bin"].join(":"),
      HOME: root,
      STUB_LOG: log,
      ...options.env
    }
  })
  const tfvarsPath = join(repo, "terraform", "terraform.tfvars")
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    calls: readFileSync(log, "utf8").split("\n").filter((l) => l !== ""),
    tfvars: existsSync(tfvarsPath) ? readFileSync(tfvarsPath, "utf8") : undefined
  }
}

const complete = [
  "--region", "us-east-1",
  "--monitored-regions", "us-east-1,eu-west-1",
  "--jsonair-secret-name", "highvolt/jsonair-pat",
  "--jsonair-url", "https://jsonair.example.com",
  "--jsonair-name", "scanner",
  "--jsonair-type", "aws-s3-lambda",
  "--excluded-buckets", "backups-archive,data.lake.raw",
  "--alarm-emails", "secops@example.com"
]

const expectCleanFailure = (r: Run, message: RegExp) => {
  expect(r.status).not.toBe(0)
  expect(r.stderr).toMatch(/deploy\.sh: error: /)
  expect(r.stderr).toMatch(message)
}

describe("deploy.sh, non-interactive", () => {
  it("prints its usage", () => {
    const r = run(["--help"])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain("Usage: ./deploy.sh")
    expect(r.stdout).toContain("--non-interactive")
  })

  it("deploys end to end with --yes: build, tfvars, init, plan, trusted access, apply, checklist", async () => {
    const r = run([...complete, "--non-interactive", "--yes"])
    expect(r.stderr).toBe("")
    expect(r.status).toBe(0)
    const order = [
      "aws sts get-caller-identity",
      "aws organizations describe-organization",
      "aws organizations list-roots",
      "aws secretsmanager describe-secret --secret-id highvolt/jsonair-pat --region us-east-1",
      "npm ci",
      "npm run build",
      "terraform -chdir=",
      "plan -input=false -out=highvolt.tfplan",
      "aws cloudformation activate-organizations-access",
      "aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com",
      "apply -input=false highvolt.tfplan",
      "aws cloudformation list-stack-instances --region us-east-1 --stack-set-name stub-forwarding_stack_set_name",
      "aws cloudformation list-stack-instances --region us-east-1 --stack-set-name stub-reader_stack_set_name",
      "output -raw lambda_function_name"
    ]
    let at = -1
    for (const step of order) {
      const next = r.calls.findIndex((c, i) => i > at && c.includes(step))
      expect(next, `${step} after ${r.calls[at] ?? "start"}\n${r.calls.join("\n")}`).toBeGreaterThan(at)
      at = next
    }
    expect(r.stdout).toContain("Post-deployment checklist")
    expect(r.stdout).toContain("list-stack-instances")
  })

  it("writes a terraform.tfvars of declared variables with the right values", async () => {
    const r = run([...complete, "--non-interactive", "--yes", "--memory", "2048", "--max-file-size-mb", "200", "--ephemeral-storage", "1024"])
    expect(r.status).toBe(0)
    const tfvars = await parseHcl("terraform.tfvars", r.tfvars ?? "")
    const undeclared = Object.keys(tfvars).filter((k) => !config.variables.has(k))
    expect(undeclared).toEqual([])
    expect(tfvars).toMatchObject({
      region: "us-east-1",
      org_id: "o-abcdefghij",
      org_root_id: "r-ab12",
      monitored_regions: ["us-east-1", "eu-west-1"],
      jsonair_secret_name: "highvolt/jsonair-pat",
      jsonair_url: "https://jsonair.example.com",
      jsonair_name: "scanner",
      jsonair_type: "aws-s3-lambda",
      lambda_memory_mb: 2048,
      lambda_ephemeral_storage_mb: 1024,
      max_file_size_mb: 200,
      lambda_reserved_concurrency: 5,
      create_cloudtrail: true,
      excluded_bucket_names: ["backups-archive", "data.lake.raw"],
      alarm_email_addresses: ["secops@example.com"]
    })
    // Every variable without a default is written.
    const required = [...config.variables.values()].filter((v) => !("default" in v.body)).map((v) => v.address.slice(4))
    expect(required.filter((k) => !(k in tfvars))).toEqual([])
  })

  it("warns about the log buckets of the organization's other trails that are not excluded", async () => {
    const r = run([...complete, "--non-interactive", "--yes"], {
      env: { STUB_ORG_TRAIL_BUCKETS: "aws-controltower-logs-222233334444-us-east-1\\tbackups-archive\\n" }
    })
    expect(r.status).toBe(0)
    expect(r.stderr).toContain("warning: bucket aws-controltower-logs-222233334444-us-east-1 holds another organization trail's logs")
    expect(r.stderr).not.toContain("bucket backups-archive")
    // Our own trail is left out of the question by name: the name Terraform gives it.
    const asked = r.calls.find((c) => c.startsWith("aws cloudtrail describe-trails"))
    expect(asked).toContain(`Name!='${String(config.locals.get("trail_name")?.body["value"])}'`)
  })

  it("takes its settings from the environment too", () => {
    const r = run(["--yes"], {
      env: {
        HIGHVOLT_REGION: "eu-central-1",
        HIGHVOLT_JSONAIR_URL: "https://jsonair.example.com/base",
        HIGHVOLT_JSONAIR_NAME: "scanner",
        HIGHVOLT_CREATE_CLOUDTRAIL: "false",
        HIGHVOLT_CLOUDTRAIL_BUCKET: "org-trail-logs"
      }
    })
    expect(r.stderr).toBe("")
    expect(r.status).toBe(0)
    expect(r.tfvars).toContain('region            = "eu-central-1"')
    expect(r.tfvars).toContain('monitored_regions = ["eu-central-1"]')
    expect(r.tfvars).toContain('cloudtrail_bucket_name = "org-trail-logs"')
    expect(r.calls.some((c) => c.includes("enable-aws-service-access"))).toBe(false)
  })

  it("stops after the plan without --yes, changing nothing in the organization", () => {
    const r = run([...complete, "--non-interactive"])
    expect(r.status).toBe(0)
    expect(r.calls.some((c) => c.includes(" plan "))).toBe(true)
    expect(r.calls.some((c) => c.includes(" apply ") || c.includes("activate-organizations-access"))).toBe(false)
    expect(r.stdout).toContain("nothing applied")
  })

  it("uses tofu when asked, or when terraform is absent", () => {
    const asked = run([...complete, "--yes", "--tf-bin", "tofu"], { tools: ["aws", "terraform", "tofu", "npm"] })
    expect(asked.status).toBe(0)
    expect(asked.calls.filter((c) => c.startsWith("terraform "))).toEqual([])
    expect(asked.calls.some((c) => c.startsWith("tofu ") && c.includes(" apply "))).toBe(true)
    const fallback = run([...complete, "--yes"], { tools: ["aws", "tofu", "npm"] })
    expect(fallback.status).toBe(0)
    expect(fallback.calls.some((c) => c.startsWith("tofu ") && c.includes(" plan "))).toBe(true)
  })
})

describe("deploy.sh, interactive", () => {
  it.skipIf(!hasScript)("asks for what it cannot detect, offers defaults, and applies once confirmed", () => {
    const answers = [
      "", // monitored Regions [us-east-1, from aws configure]
      "", // secret [highvolt/jsonair-pat]
      "https://jsonair.example.com",
      "scanner",
      "", "", "", "", "", "", "", // type, memory, timeout, max size, /tmp, concurrency, trail
      "backups-archive",
      "", // alarm e-mails
      "y" // apply?
    ]
    const r = run([], { typed: answers.map((a) => `${a}\n`).join("") })
    expect(r.stdout).toContain("JSONAir URL (https://...):")
    expect(r.stdout).toContain("Apply this plan? [y/N]")
    expect(r.status).toBe(0)
    expect(r.tfvars).toContain('monitored_regions = ["us-east-1"]')
    expect(r.tfvars).toContain('excluded_bucket_names = ["backups-archive"]')
    expect(r.calls.some((c) => c.includes(" apply -input=false highvolt.tfplan"))).toBe(true)
  })

  it.skipIf(!hasScript)("applies nothing when the plan is not confirmed", () => {
    const answers = ["", "", "https://jsonair.example.com", "scanner", "", "", "", "", "", "", "", "", "", "n"]
    const r = run([], { typed: answers.map((a) => `${a}\n`).join("") })
    expect(r.status).toBe(0)
    expect(r.stdout).toContain("Not applied.")
    expect(r.calls.some((c) => c.includes(" apply ") || c.includes("activate-organizations-access"))).toBe(false)
  })
})

describe("deploy.sh fails cleanly", () => {
  it("on missing settings, naming every one, before building anything", () => {
    const r = run(["--region", "us-east-1", "--non-interactive"])
    expectCleanFailure(r, /--jsonair-url.*--jsonair-name|--jsonair-name.*--jsonair-url/)
    expect(r.calls.some((c) => c.startsWith("npm") || c.startsWith("terraform -chdir"))).toBe(false)
  })

  it("on invalid settings, listing each problem", () => {
    const r = run([...complete, "--jsonair-url", "http://jsonair.example.com", "--memory", "64", "--ephemeral-storage", "512", "--max-file-size-mb", "900"])
    expectCleanFailure(r, /invalid settings/)
    expect(r.stderr).toContain("must be an https:// URL")
    expect(r.stderr).toContain("--memory '64'")
    expect(r.stderr).toContain("must be at least --max-file-size-mb")
  })

  it("without terraform or tofu", () => {
    expectCleanFailure(run([...complete, "--yes"], { tools: ["aws", "npm"] }), /terraform \(>= 1\.5\) or tofu/)
  })

  it("with a --tf-bin that is neither terraform nor tofu", () => {
    expectCleanFailure(run([...complete, "--tf-bin", "pulumi"]), /must be terraform or tofu/)
  })

  it("without usable AWS credentials", () => {
    expectCleanFailure(run([...complete], { env: { STUB_NO_CREDENTIALS: "1" } }), /credentials are not usable.*Unable to locate credentials/)
  })

  it("outside the management account", () => {
    const r = run([...complete, "--yes"], { env: { STUB_ACCOUNT: "999988887777" } })
    expectCleanFailure(r, /management account \(111122223333\)/)
    expect(r.calls.some((c) => c.startsWith("terraform -chdir"))).toBe(false)
  })

  it("when the JSONAir secret does not exist, saying how to create it", () => {
    expectCleanFailure(run([...complete, "--yes"], { env: { STUB_NO_SECRET: "1" } }), /create-secret --name 'highvolt\/jsonair-pat'/)
  })

  it("when the build fails", () => {
    const r = run([...complete, "--yes"], { env: { STUB_BUILD_FAILS: "1" } })
    expectCleanFailure(r, /the build failed/)
    expect(r.tfvars).toBeUndefined()
  })

  it("when the plan fails, applying nothing", () => {
    const r = run([...complete, "--yes"], { env: { STUB_PLAN_FAILS: "1" } })
    expectCleanFailure(r, /plan failed.*nothing was changed/)
    expect(r.calls.some((c) => c.includes(" apply ") || c.includes("activate-organizations-access"))).toBe(false)
  })

  it("when StackSet instances failed within the tolerance, naming each with its reason and how to deploy it again", () => {
    const stale = "222233334444\\teu-west-1\\tOUTDATED\\tFAILED\\tUser: arn:aws:sts::222233334444:assumed-role/x is not authorized to perform: iam:CreateRole with an explicit deny in a service control policy\\n" +
      "555566667777\\tus-east-1\\tINOPERABLE\\tINOPERABLE\\tNone\\n"
    const r = run([...complete, "--yes"], { env: { STUB_STALE_INSTANCES: stale } })
    expectCleanFailure(r, /not scanned until their stacks are CURRENT/)
    expect(r.stderr).toContain(
      "stub-forwarding_stack_set_name: account 222233334444, eu-west-1: OUTDATED (FAILED): User: arn:aws:sts::222233334444:assumed-role/x is not authorized"
    )
    expect(r.stderr).toContain(
      "update-stack-instances --region us-east-1 --stack-set-name stub-forwarding_stack_set_name --regions eu-west-1 --deployment-targets OrganizationalUnitIds=r-ab12,AccountFilterType=INTERSECTION,Accounts=222233334444"
    )
    // An inoperable instance takes no update: out of the StackSet, then in again.
    expect(r.stderr).toContain("account 555566667777, us-east-1: INOPERABLE (INOPERABLE)")
    expect(r.stderr).toContain("delete-stack-instances --region us-east-1 --stack-set-name stub-forwarding_stack_set_name --regions us-east-1 --deployment-targets OrganizationalUnitIds=r-ab12,AccountFilterType=INTERSECTION,Accounts=555566667777 --retain-stacks")
    expect(r.stderr).toContain("create-stack-instances --region us-east-1 --stack-set-name stub-forwarding_stack_set_name --regions us-east-1")
    expect(r.stderr).not.toMatch(/update-stack-instances[^\n]*Accounts=555566667777/)
    expect(r.stdout).not.toContain("Post-deployment checklist")
  })

  it("warns, without failing, about a suspended account's skipped stack", () => {
    const r = run([...complete, "--yes"], { env: { STUB_STALE_INSTANCES: "888899990000\\tus-east-1\\tOUTDATED\\tSKIPPED_SUSPENDED_ACCOUNT\\tNone\\n" } })
    expect(r.status).toBe(0)
    expect(r.stderr).toContain("warning: stub-forwarding_stack_set_name: account 888899990000 is suspended, its stack in us-east-1 was skipped")
    expect(r.stdout).toContain("Post-deployment checklist")
  })

  it("on an unknown option or a missing option value", () => {
    expectCleanFailure(run(["--regoin", "us-east-1"]), /unknown option: --regoin/)
    expectCleanFailure(run(["--region"]), /option --region needs a value/)
  })
})
