#!/usr/bin/env bash
# Deploys highvolt aws-s3-lambda to an AWS Organization, from its management account:
# checks the tools and credentials, detects the organization, asks for (or takes from flags and
# environment) the settings, enables CloudFormation StackSets trusted access, builds the Lambda
# bundle with npm, writes terraform/terraform.tfvars, then runs init, plan and (once confirmed)
# apply with terraform or tofu, and prints the post-deployment checklist.
#
# Run ./deploy.sh --help for the options. Every failure ends with a message saying what failed.

set -Eeuo pipefail

# 4.4: before it, `set -u` rejects "${array[@]}" of an empty array (no excluded buckets, no e-mails).
if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then
  printf 'deploy.sh: error: bash 4.4 or later is needed (this is %s; Amazon Linux 2 has 4.2: use AWS CloudShell or Amazon Linux 2023; on macOS: brew install bash)\n' "$BASH_VERSION" >&2
  exit 1
fi

readonly PROG="deploy.sh"
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
readonly TF_DIR="$SCRIPT_DIR/terraform"
readonly TFVARS="$TF_DIR/terraform.tfvars"
readonly PLAN_NAME="highvolt.tfplan"
readonly BUNDLE="$SCRIPT_DIR/dist/lambda.zip"

# --- Messages and failure handling -----------------------------------------------------------

info() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

on_error() {
  local code=$1 line=$2 command=$3
  printf '%s: error: command failed (exit %s) at line %s: %s\n' "$PROG" "$code" "$line" "$command" >&2
  exit "$code"
}
trap 'on_error "$?" "$LINENO" "$BASH_COMMAND"' ERR
trap 'printf "\n%s: interrupted\n" "$PROG" >&2; exit 130' INT TERM

usage() {
  cat <<'EOF'
Usage: ./deploy.sh [options]

Deploys highvolt aws-s3-lambda (Terraform in terraform/) from the organization's management
account. Without options it asks for what it cannot detect. Each option can also be given as
the environment variable shown (useful in CI pipelines).

Organization and Regions
  --region REGION               central Region (HIGHVOLT_REGION, else AWS_REGION / AWS_DEFAULT_REGION / aws configure)
  --org-id ID                   organization id o-... (HIGHVOLT_ORG_ID; detected)
  --org-root-id ID              root id r-... (HIGHVOLT_ORG_ROOT_ID; detected)
  --monitored-regions LIST      comma-separated Regions to scan (HIGHVOLT_MONITORED_REGIONS; default: the central Region)

Scanner
  --jsonair-secret-name NAME    Secrets Manager secret with the JSONAir PAT (HIGHVOLT_JSONAIR_SECRET_NAME)
  --jsonair-url URL             https URL of JSONAir (HIGHVOLT_JSONAIR_URL)
  --jsonair-name NAME           JSONAir profile name (HIGHVOLT_JSONAIR_NAME)
  --jsonair-type TYPE           JSONAir profile type (HIGHVOLT_JSONAIR_TYPE)
  --memory MB                   Lambda memory (HIGHVOLT_MEMORY_MB; default 1024)
  --timeout SECONDS             Lambda timeout (HIGHVOLT_TIMEOUT_SECONDS; default 300)
  --ephemeral-storage MB        /tmp size, >= max file size (HIGHVOLT_EPHEMERAL_STORAGE_MB; default 512)
  --reserved-concurrency N      most scans at once (HIGHVOLT_RESERVED_CONCURRENCY; default 5)
  --max-file-size-mb MB         JSONAir core.max_file_size in MiB (HIGHVOLT_MAX_FILE_SIZE_MB; default 100)
  --excluded-buckets LIST       comma-separated buckets never scanned (HIGHVOLT_EXCLUDED_BUCKETS)
  --create-cloudtrail BOOL      true: create the organization trail (HIGHVOLT_CREATE_CLOUDTRAIL; default true)
  --cloudtrail-bucket NAME      trail log bucket; required with --create-cloudtrail false (HIGHVOLT_CLOUDTRAIL_BUCKET)
  --alarm-emails LIST           comma-separated e-mail addresses for alarms (HIGHVOLT_ALARM_EMAILS)

Run
  --tf-bin terraform|tofu       which binary to use (HIGHVOLT_TF_BIN; default: terraform, else tofu)
  --profile NAME                AWS CLI profile (AWS_PROFILE)
  --non-interactive             never prompt; fail on a missing value (HIGHVOLT_NON_INTERACTIVE=true;
                                implied when stdin is not a terminal)
  --yes                         apply the plan without asking (HIGHVOLT_AUTO_APPROVE=true)
  --plan-only                   stop after the plan (HIGHVOLT_PLAN_ONLY=true)
  --skip-build                  use the existing dist/lambda.zip (HIGHVOLT_SKIP_BUILD=true)
  --use-existing-tfvars         keep terraform/terraform.tfvars as it is (no prompts, no rewrite)
  -h, --help                    this help

Non-interactive without --yes stops after the plan, so a pipeline can review it first.
EOF
}

# --- Settings: flags override environment ----------------------------------------------------

REGION=${HIGHVOLT_REGION:-}
ORG_ID=${HIGHVOLT_ORG_ID:-}
ORG_ROOT_ID=${HIGHVOLT_ORG_ROOT_ID:-}
MONITORED_REGIONS=${HIGHVOLT_MONITORED_REGIONS:-}
JSONAIR_SECRET_NAME=${HIGHVOLT_JSONAIR_SECRET_NAME:-}
JSONAIR_URL=${HIGHVOLT_JSONAIR_URL:-}
JSONAIR_NAME=${HIGHVOLT_JSONAIR_NAME:-}
JSONAIR_TYPE=${HIGHVOLT_JSONAIR_TYPE:-}
MEMORY_MB=${HIGHVOLT_MEMORY_MB:-}
TIMEOUT_SECONDS=${HIGHVOLT_TIMEOUT_SECONDS:-}
EPHEMERAL_MB=${HIGHVOLT_EPHEMERAL_STORAGE_MB:-}
RESERVED_CONCURRENCY=${HIGHVOLT_RESERVED_CONCURRENCY:-}
MAX_FILE_SIZE_MB=${HIGHVOLT_MAX_FILE_SIZE_MB:-}
EXCLUDED_BUCKETS=${HIGHVOLT_EXCLUDED_BUCKETS:-}
CREATE_CLOUDTRAIL=${HIGHVOLT_CREATE_CLOUDTRAIL:-}
CLOUDTRAIL_BUCKET=${HIGHVOLT_CLOUDTRAIL_BUCKET:-}
ALARM_EMAILS=${HIGHVOLT_ALARM_EMAILS:-}
TF_BIN=${HIGHVOLT_TF_BIN:-}
NON_INTERACTIVE=${HIGHVOLT_NON_INTERACTIVE:-false}
AUTO_APPROVE=${HIGHVOLT_AUTO_APPROVE:-false}
PLAN_ONLY=${HIGHVOLT_PLAN_ONLY:-false}
SKIP_BUILD=${HIGHVOLT_SKIP_BUILD:-false}
USE_EXISTING_TFVARS=false

need_value() {
  # need_value OPTION "$@" (the remaining arguments): the option must be followed by a value.
  [[ $# -ge 2 && -n $2 && $2 != --* ]] || die "option $1 needs a value (see --help)"
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --region) need_value "$@"; REGION=$2; shift 2 ;;
    --org-id) need_value "$@"; ORG_ID=$2; shift 2 ;;
    --org-root-id) need_value "$@"; ORG_ROOT_ID=$2; shift 2 ;;
    --monitored-regions) need_value "$@"; MONITORED_REGIONS=$2; shift 2 ;;
    --jsonair-secret-name) need_value "$@"; JSONAIR_SECRET_NAME=$2; shift 2 ;;
    --jsonair-url) need_value "$@"; JSONAIR_URL=$2; shift 2 ;;
    --jsonair-name) need_value "$@"; JSONAIR_NAME=$2; shift 2 ;;
    --jsonair-type) need_value "$@"; JSONAIR_TYPE=$2; shift 2 ;;
    --memory) need_value "$@"; MEMORY_MB=$2; shift 2 ;;
    --timeout) need_value "$@"; TIMEOUT_SECONDS=$2; shift 2 ;;
    --ephemeral-storage) need_value "$@"; EPHEMERAL_MB=$2; shift 2 ;;
    --reserved-concurrency) need_value "$@"; RESERVED_CONCURRENCY=$2; shift 2 ;;
    --max-file-size-mb) need_value "$@"; MAX_FILE_SIZE_MB=$2; shift 2 ;;
    --excluded-buckets) need_value "$@"; EXCLUDED_BUCKETS=$2; shift 2 ;;
    --create-cloudtrail) need_value "$@"; CREATE_CLOUDTRAIL=$2; shift 2 ;;
    --cloudtrail-bucket) need_value "$@"; CLOUDTRAIL_BUCKET=$2; shift 2 ;;
    --alarm-emails) need_value "$@"; ALARM_EMAILS=$2; shift 2 ;;
    --tf-bin) need_value "$@"; TF_BIN=$2; shift 2 ;;
    --profile) need_value "$@"; export AWS_PROFILE=$2; shift 2 ;;
    --non-interactive) NON_INTERACTIVE=true; shift ;;
    --yes | -y) AUTO_APPROVE=true; shift ;;
    --plan-only) PLAN_ONLY=true; shift ;;
    --skip-build) SKIP_BUILD=true; shift ;;
    --use-existing-tfvars) USE_EXISTING_TFVARS=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done

is_true() { [[ ${1,,} == true || $1 == 1 || ${1,,} == yes ]]; }

for flag in NON_INTERACTIVE AUTO_APPROVE PLAN_ONLY SKIP_BUILD; do
  case ${!flag,,} in
    true | false | 1 | 0 | yes | no | "") ;;
    *) die "$flag must be true or false, not '${!flag}'" ;;
  esac
done

if ! is_true "$NON_INTERACTIVE" && [[ ! -t 0 ]]; then
  note "stdin is not a terminal: running non-interactively"
  NON_INTERACTIVE=true
fi

# --- Prompts ---------------------------------------------------------------------------------

MISSING=()

# ask VAR "Question" [default]: sets VAR when empty, from the user or the default; in
# non-interactive mode a missing value without default is recorded and reported at once.
ask() {
  local var=$1 question=$2 default=${3:-} flag=$4 answer
  [[ -n ${!var} ]] && return 0
  if is_true "$NON_INTERACTIVE"; then
    if [[ -n $default ]]; then
      printf -v "$var" '%s' "$default"
    else
      MISSING+=("$flag")
    fi
    return 0
  fi
  while :; do
    if [[ -n $default ]]; then
      read -r -p "$question [$default]: " answer || die "no answer for: $question"
      answer=${answer:-$default}
    else
      read -r -p "$question: " answer || die "no answer for: $question"
    fi
    [[ -n $answer ]] && break
    printf '    a value is required\n'
  done
  printf -v "$var" '%s' "$answer"
}

# --- Checks ----------------------------------------------------------------------------------

check_tools() {
  info "Checking tools"
  local missing=()
  command -v aws >/dev/null 2>&1 || missing+=("aws (AWS CLI v2)")
  if ! is_true "$SKIP_BUILD"; then
    command -v node >/dev/null 2>&1 || missing+=("node (>= 20)")
    command -v npm >/dev/null 2>&1 || missing+=("npm")
  fi
  if [[ -n $TF_BIN ]]; then
    case $(basename -- "$TF_BIN") in
      terraform | tofu) ;;
      *) die "--tf-bin must be terraform or tofu, not '$TF_BIN'" ;;
    esac
    command -v "$TF_BIN" >/dev/null 2>&1 || missing+=("$TF_BIN")
  elif command -v terraform >/dev/null 2>&1; then
    TF_BIN=terraform
  elif command -v tofu >/dev/null 2>&1; then
    TF_BIN=tofu
  else
    missing+=("terraform (>= 1.5) or tofu (>= 1.6)")
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then
    local list
    printf -v list '%s, ' "${missing[@]}"
    die "missing tools: ${list%, }. Install them and run again."
  fi
  if ! is_true "$SKIP_BUILD"; then
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
      die "node $(node --version) is too old: the build needs Node.js 20 or later"
  fi
  local version
  version=$("$TF_BIN" version 2>&1) || die "$TF_BIN does not run: $version"
  note "${version%%$'\n'*}"
}

ACCOUNT_ID=""

check_identity() {
  info "Checking AWS credentials and the organization"
  local out
  out=$(aws sts get-caller-identity --query Account --output text 2>&1) ||
    die "AWS credentials are not usable (aws sts get-caller-identity): $out"
  ACCOUNT_ID=$out
  note "account $ACCOUNT_ID${AWS_PROFILE:+ (profile $AWS_PROFILE)}"

  local org_id="" management=""
  if out=$(aws organizations describe-organization --query 'Organization.[Id,MasterAccountId]' --output text 2>&1); then
    read -r org_id management <<<"$out"
  else
    warn "could not describe the organization: $out"
  fi
  if [[ -n $management && $management != "$ACCOUNT_ID" ]]; then
    die "run this from the organization's management account ($management), not $ACCOUNT_ID: service-managed StackSets and the organization trail are created there"
  fi
  if [[ -z $ORG_ID ]]; then
    ORG_ID=$org_id
  fi
  if [[ -z $ORG_ROOT_ID ]]; then
    if out=$(aws organizations list-roots --query 'Roots[0].Id' --output text 2>&1); then
      ORG_ROOT_ID=$out
    else
      warn "could not list the organization roots: $out"
    fi
  fi
}

collect_settings() {
  info "Settings"
  ask ORG_ID "Organization id (o-...)" "" --org-id
  ask ORG_ROOT_ID "Organization root id (r-...)" "" --org-root-id
  if [[ -z $REGION ]]; then
    REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
    [[ -z $REGION ]] && REGION=$(aws configure get region 2>/dev/null || true)
  fi
  ask REGION "Central Region (bus, Lambda, dashboard)" "" --region
  if [[ -n $REGION ]]; then
    ask MONITORED_REGIONS "Monitored Regions, comma-separated" "$REGION" --monitored-regions
  else
    ask MONITORED_REGIONS "Monitored Regions, comma-separated" "" --monitored-regions
  fi
  ask JSONAIR_SECRET_NAME "Secrets Manager secret holding the JSONAir PAT" "highvolt/jsonair-pat" --jsonair-secret-name
  ask JSONAIR_URL "JSONAir URL (https://...)" "" --jsonair-url
  ask JSONAIR_NAME "JSONAir profile name" "" --jsonair-name
  ask JSONAIR_TYPE "JSONAir profile type" "aws-s3-lambda" --jsonair-type
  ask MEMORY_MB "Lambda memory (MB)" "1024" --memory
  ask TIMEOUT_SECONDS "Lambda timeout (seconds)" "300" --timeout
  ask MAX_FILE_SIZE_MB "Largest object scanned (MiB, = JSONAir core.max_file_size)" "100" --max-file-size-mb
  local storage_default=512
  [[ $MAX_FILE_SIZE_MB =~ ^[0-9]+$ ]] && ((MAX_FILE_SIZE_MB > storage_default)) && storage_default=$MAX_FILE_SIZE_MB
  ask EPHEMERAL_MB "Lambda /tmp size (MB, >= largest object)" "$storage_default" --ephemeral-storage
  ask RESERVED_CONCURRENCY "Reserved concurrency (scans at once)" "5" --reserved-concurrency
  ask CREATE_CLOUDTRAIL "Create the organization trail for S3 object writes? (true/false)" "true" --create-cloudtrail
  if [[ ${CREATE_CLOUDTRAIL,,} == false ]]; then
    ask CLOUDTRAIL_BUCKET "Log bucket of the existing trail (always excluded)" "" --cloudtrail-bucket
  fi
  if ! is_true "$NON_INTERACTIVE"; then
    if [[ -z $EXCLUDED_BUCKETS ]]; then
      read -r -p "Buckets never scanned, comma-separated (empty: none): " EXCLUDED_BUCKETS || die "no answer: stopped"
    fi
    if [[ -z $ALARM_EMAILS ]]; then
      read -r -p "E-mail addresses for alarms, comma-separated (empty: none): " ALARM_EMAILS || die "no answer: stopped"
    fi
  fi

  if [[ ${#MISSING[@]} -gt 0 ]]; then
    die "missing settings in non-interactive mode: ${MISSING[*]} (or their HIGHVOLT_* variables, see --help)"
  fi
}

# Same rules as terraform/variables.tf, checked before anything is built or planned.
validate_settings() {
  local region_re='^[a-z]{2}(-[a-z]+)+-[0-9]$' bucket_re='^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' problems=() r b e
  [[ $REGION =~ $region_re ]] || problems+=("--region '$REGION' is not a Region code")
  [[ $ORG_ID =~ ^o-[a-z0-9]{10,32}$ ]] || problems+=("--org-id '$ORG_ID' is not an organization id (o-...)")
  [[ $ORG_ROOT_ID =~ ^r-[0-9a-z]{4,32}$ ]] || problems+=("--org-root-id '$ORG_ROOT_ID' is not a root id (r-...)")
  IFS=, read -r -a REGIONS_ARRAY <<<"${MONITORED_REGIONS// /}"
  [[ ${#REGIONS_ARRAY[@]} -gt 0 ]] || problems+=("--monitored-regions is empty")
  for r in "${REGIONS_ARRAY[@]}"; do
    [[ $r =~ $region_re ]] || problems+=("monitored Region '$r' is not a Region code")
  done
  [[ $JSONAIR_SECRET_NAME =~ ^[A-Za-z0-9/_+=.@-]{1,512}$ ]] || problems+=("--jsonair-secret-name '$JSONAIR_SECRET_NAME' is not a secret name")
  [[ $JSONAIR_URL =~ ^https://[^[:space:]/]+(/[^[:space:]]*)?$ ]] || problems+=("--jsonair-url '$JSONAIR_URL' must be an https:// URL")
  [[ $JSONAIR_NAME =~ ^[A-Za-z0-9._-]+$ ]] || problems+=("--jsonair-name '$JSONAIR_NAME' may contain only A-Z a-z 0-9 . _ -")
  [[ $JSONAIR_TYPE =~ ^[A-Za-z0-9._-]+$ ]] || problems+=("--jsonair-type '$JSONAIR_TYPE' may contain only A-Z a-z 0-9 . _ -")
  check_int() {
    local name=$1 value=$2 min=$3 max=$4
    if [[ ! $value =~ ^[0-9]+$ ]] || ((value < min || value > max)); then
      problems+=("$name '$value' must be a whole number from $min to $max")
    fi
  }
  check_int --memory "$MEMORY_MB" 128 10240
  check_int --timeout "$TIMEOUT_SECONDS" 1 900
  check_int --ephemeral-storage "$EPHEMERAL_MB" 512 10240
  check_int --reserved-concurrency "$RESERVED_CONCURRENCY" 1 1000
  check_int --max-file-size-mb "$MAX_FILE_SIZE_MB" 1 10240
  if [[ $EPHEMERAL_MB =~ ^[0-9]+$ && $MAX_FILE_SIZE_MB =~ ^[0-9]+$ ]] && ((EPHEMERAL_MB < MAX_FILE_SIZE_MB)); then
    problems+=("--ephemeral-storage ($EPHEMERAL_MB MB) must be at least --max-file-size-mb ($MAX_FILE_SIZE_MB): large objects are spooled to /tmp")
  fi
  case ${CREATE_CLOUDTRAIL,,} in
    true) CREATE_CLOUDTRAIL=true ;;
    false)
      CREATE_CLOUDTRAIL=false
      [[ -n $CLOUDTRAIL_BUCKET ]] || problems+=("--cloudtrail-bucket is required with --create-cloudtrail false (its log writes must be excluded)")
      ;;
    *) problems+=("--create-cloudtrail must be true or false, not '$CREATE_CLOUDTRAIL'") ;;
  esac
  [[ -z $CLOUDTRAIL_BUCKET || $CLOUDTRAIL_BUCKET =~ $bucket_re ]] || problems+=("--cloudtrail-bucket '$CLOUDTRAIL_BUCKET' is not a bucket name")
  IFS=, read -r -a EXCLUDED_ARRAY <<<"${EXCLUDED_BUCKETS// /}"
  for b in "${EXCLUDED_ARRAY[@]}"; do
    [[ $b =~ $bucket_re ]] || problems+=("excluded bucket '$b' is not a bucket name")
  done
  IFS=, read -r -a EMAILS_ARRAY <<<"${ALARM_EMAILS// /}"
  for e in "${EMAILS_ARRAY[@]}"; do
    [[ $e =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]] || problems+=("alarm e-mail '$e' is not an address")
  done
  if [[ ${#problems[@]} -gt 0 ]]; then
    printf '%s: error: invalid settings:\n' "$PROG" >&2
    printf '  - %s\n' "${problems[@]}" >&2
    exit 1
  fi
}

# An organization trail of another tool (Control Tower's, say) writes a log file about every
# five minutes per account and Region; unless excluded, each write is a data event and a scan.
# Our own trail (local.trail_name in terraform/main.tf) has its bucket excluded by Terraform.
warn_about_log_buckets() {
  local out bucket excluded
  out=$(aws cloudtrail describe-trails --region "$REGION" \
    --query "trailList[?IsOrganizationTrail && Name!='highvolt-org-s3-object-writes'].S3BucketName" --output text 2>&1) || {
    warn "could not list the organization's trails (their log buckets may need excluding): $out"
    return 0
  }
  for bucket in $out; do
    [[ $bucket == None || $bucket == "$CLOUDTRAIL_BUCKET" ]] && continue
    for excluded in "${EXCLUDED_ARRAY[@]}"; do
      [[ $bucket == "$excluded" ]] && continue 2
    done
    warn "bucket $bucket holds another organization trail's logs: every log file written there (about one per account and Region every 5 minutes) would be scanned; add it to --excluded-buckets unless you want that"
  done
}

check_secret() {
  info "Checking the JSONAir secret"
  local out
  out=$(aws secretsmanager describe-secret --secret-id "$JSONAIR_SECRET_NAME" --region "$REGION" --query ARN --output text 2>&1) ||
    die "secret '$JSONAIR_SECRET_NAME' is not readable in $REGION: $out
  Create it first, e.g.:
    aws secretsmanager create-secret --name '$JSONAIR_SECRET_NAME' --region $REGION --secret-string '{\"JSONAIR_PAT\":\"pat_...\"}'"
  note "$out"
}

# --- Build and tfvars ------------------------------------------------------------------------

build_bundle() {
  if is_true "$SKIP_BUILD"; then
    info "Skipping the build (--skip-build)"
  else
    info "Building the Lambda bundle (npm ci && npm run build)"
    (cd "$SCRIPT_DIR" && npm ci --no-audit --no-fund && npm run build) || die "the build failed (see the npm output above)"
  fi
  [[ -s $BUNDLE ]] || die "$BUNDLE is missing or empty: run npm run build"
  note "$BUNDLE ($(wc -c <"$BUNDLE" | tr -d ' ') bytes)"
}

# An HCL string literal: quotes, backslashes and template sequences escaped.
hcl_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//\$\{/\$\$\{}
  s=${s//%\{/%%\{}
  printf '"%s"' "$s"
}

# An HCL list of strings from the arguments.
hcl_list() {
  local out="" item
  for item in "$@"; do
    [[ -n $item ]] || continue
    out+="${out:+, }$(hcl_string "$item")"
  done
  printf '[%s]' "$out"
}

write_tfvars() {
  if [[ -f $TFVARS ]]; then
    local backup
    backup="$TFVARS.bak.$(date +%Y%m%d%H%M%S)"
    cp -- "$TFVARS" "$backup" || die "could not back up $TFVARS"
    note "previous terraform.tfvars kept as $(basename -- "$backup")"
  fi
  info "Writing terraform/terraform.tfvars"
  local tmp
  tmp=$(mktemp "$TF_DIR/.terraform.tfvars.XXXXXX") || die "could not create a temporary file in $TF_DIR"
  {
    printf '# Written by deploy.sh on %s. Inputs are described in terraform/README.md.\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'region            = %s\n' "$(hcl_string "$REGION")"
    printf 'org_id            = %s\n' "$(hcl_string "$ORG_ID")"
    printf 'org_root_id       = %s\n' "$(hcl_string "$ORG_ROOT_ID")"
    printf 'monitored_regions = %s\n\n' "$(hcl_list "${REGIONS_ARRAY[@]}")"
    printf 'jsonair_secret_name = %s\n' "$(hcl_string "$JSONAIR_SECRET_NAME")"
    printf 'jsonair_url         = %s\n' "$(hcl_string "$JSONAIR_URL")"
    printf 'jsonair_name        = %s\n' "$(hcl_string "$JSONAIR_NAME")"
    printf 'jsonair_type        = %s\n\n' "$(hcl_string "$JSONAIR_TYPE")"
    printf 'lambda_memory_mb            = %s\n' "$MEMORY_MB"
    printf 'lambda_timeout_seconds      = %s\n' "$TIMEOUT_SECONDS"
    printf 'lambda_ephemeral_storage_mb = %s\n' "$EPHEMERAL_MB"
    printf 'lambda_reserved_concurrency = %s\n' "$RESERVED_CONCURRENCY"
    printf 'max_file_size_mb            = %s\n\n' "$MAX_FILE_SIZE_MB"
    printf 'create_cloudtrail     = %s\n' "$CREATE_CLOUDTRAIL"
    if [[ -n $CLOUDTRAIL_BUCKET ]]; then
      printf 'cloudtrail_bucket_name = %s\n' "$(hcl_string "$CLOUDTRAIL_BUCKET")"
    fi
    printf 'excluded_bucket_names = %s\n' "$(hcl_list "${EXCLUDED_ARRAY[@]}")"
    printf 'alarm_email_addresses = %s\n' "$(hcl_list "${EMAILS_ARRAY[@]}")"
  } >"$tmp" || die "could not write $tmp"
  mv -f -- "$tmp" "$TFVARS" || die "could not write $TFVARS"
}

# --- Organization access ---------------------------------------------------------------------

enable_trusted_access() {
  info "Enabling CloudFormation StackSets trusted access with AWS Organizations"
  local out status
  out=$(aws cloudformation activate-organizations-access --region "$REGION" 2>&1) ||
    die "could not activate StackSets trusted access: $out"
  status=$(aws cloudformation describe-organizations-access --region "$REGION" --query Status --output text 2>&1) ||
    die "could not read StackSets trusted access: $status"
  [[ $status == ENABLED ]] || die "StackSets trusted access is '$status', not ENABLED"
  note "StackSets trusted access: $status"
  if [[ $CREATE_CLOUDTRAIL == true ]]; then
    out=$(aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com 2>&1) ||
      die "could not enable CloudTrail trusted access (needed by the organization trail): $out"
    note "CloudTrail trusted access: enabled"
  fi
}

# --- Terraform -------------------------------------------------------------------------------

tf() { "$TF_BIN" -chdir="$TF_DIR" "$@"; }

plan() {
  info "$TF_BIN init"
  tf init -input=false || die "$TF_BIN init failed (see above)"
  info "$TF_BIN plan"
  tf plan -input=false -out="$PLAN_NAME" || die "$TF_BIN plan failed (see above); nothing was changed"
}

confirm_and_apply() {
  if is_true "$PLAN_ONLY"; then
    info "Plan saved as terraform/$PLAN_NAME (--plan-only): nothing applied"
    exit 0
  fi
  if ! is_true "$AUTO_APPROVE"; then
    if is_true "$NON_INTERACTIVE"; then
      info "Plan saved as terraform/$PLAN_NAME. Non-interactive without --yes: nothing applied."
      note "Apply it with: $TF_BIN -chdir=terraform apply $PLAN_NAME (after enabling trusted access), or re-run with --yes"
      exit 0
    fi
    local answer
    read -r -p "Apply this plan? [y/N] " answer || die "no answer: nothing applied"
    [[ ${answer,,} == y || ${answer,,} == yes ]] || {
      info "Not applied."
      exit 0
    }
  fi
  enable_trusted_access
  info "$TF_BIN apply"
  tf apply -input=false "$PLAN_NAME" || die "$TF_BIN apply failed (see above). Fix the cause and run ./deploy.sh again: Terraform resumes where it stopped"
  rm -f -- "$TF_DIR/$PLAN_NAME"
}

output_of() { tf output -raw "$1" 2>/dev/null || printf '<%s>' "$1"; }

# Within the failure tolerance a StackSet operation succeeds with some accounts failed, and so
# does the apply: uploads in those accounts and Regions would go unscanned without a word.
verify_stack_instances() {
  info "Checking every StackSet instance"
  local set out account region status detailed reason targets failed=0 root=${ORG_ROOT_ID:-}
  [[ -n $root ]] || root=$(tfvars_value org_root_id)
  for set in "$(output_of forwarding_stack_set_name)" "$(output_of reader_stack_set_name)"; do
    # No reader StackSet with use_organization_account_access_role.
    [[ -z $set || $set == "<"* ]] && continue
    out=$(aws cloudformation list-stack-instances --region "$REGION" --stack-set-name "$set" \
      --query "Summaries[?Status!='CURRENT'].[Account,Region,Status,StackInstanceStatus.DetailedStatus,StatusReason]" --output text 2>&1) ||
      die "could not list the stack instances of $set: $out"
    [[ $out == None ]] && out=""
    while IFS=$'\t' read -r account region status detailed reason; do
      [[ -z $account ]] && continue
      # A suspended (closing) account stays in the organization up to 90 days: nothing to fix.
      if [[ $detailed == SKIPPED_SUSPENDED_ACCOUNT ]]; then
        warn "$set: account $account is suspended, its stack in $region was skipped"
        continue
      fi
      failed=1
      targets="--regions $region --deployment-targets OrganizationalUnitIds=$root,AccountFilterType=INTERSECTION,Accounts=$account"
      printf '%s: error: %s: account %s, %s: %s (%s): %s\n' "$PROG" "$set" "$account" "$region" "$status" "$detailed" "$reason" >&2
      if [[ $status == INOPERABLE ]]; then
        # An inoperable instance (a failed delete) takes no updates: it must leave the StackSet,
        # its left-over stack be deleted in the account, and the instance be added again.
        printf '  aws cloudformation delete-stack-instances --region %s --stack-set-name %s %s --retain-stacks\n' "$REGION" "$set" "$targets" >&2
        printf '  (then delete the left-over StackSet-%s-* stack in account %s, %s)\n' "$set" "$account" "$region" >&2
        printf '  aws cloudformation create-stack-instances --region %s --stack-set-name %s %s\n' "$REGION" "$set" "$targets" >&2
      else
        printf '  aws cloudformation update-stack-instances --region %s --stack-set-name %s %s\n' "$REGION" "$set" "$targets" >&2
      fi
    done <<<"$out"
  done
  ((failed == 0)) ||
    die "uploads in the accounts and Regions above are not scanned until their stacks are CURRENT. Each line gives the reason (often a service control policy, or a Region not enabled in the account) and, once it is fixed, the command that deploys the stack again; see terraform/README.md, Operations, Stacks"
  note "every stack instance CURRENT (suspended accounts aside)"
}

checklist() {
  local function_name log_group forwarding reader dashboard topic
  function_name=$(output_of lambda_function_name)
  log_group=$(output_of lambda_log_group_name)
  forwarding=$(output_of forwarding_stack_set_name)
  reader=$(output_of reader_stack_set_name)
  dashboard=$(output_of dashboard_url)
  topic=$(output_of alarm_topic_arn)
  cat <<EOF

==> Deployed. Post-deployment checklist:

 1. Every member account has its stacks (checked above). Accounts that join later get them
    automatically; to check again (expect no line below):
      aws cloudformation list-stack-instances --region $REGION --stack-set-name $forwarding \\
        --query "Summaries[?Status!='CURRENT'].[Account,Region,Status,StatusReason]" --output table
      aws cloudformation list-stack-instances --region $REGION --stack-set-name $reader \\
        --query "Summaries[?Status!='CURRENT'].[Account,Region,Status,StatusReason]" --output table

 2. Confirm the alarm e-mail subscriptions (one mail per address), or subscribe paging/chat to:
      $topic

 3. Watch the scanner:
      aws logs tail $log_group --follow --region $REGION
      $dashboard

 4. Upload a test file to a bucket of any member account in a monitored Region, and see its outcome line:
      aws s3 cp test.pdf s3://<bucket>/highvolt-test.pdf --profile <member-profile>
      aws logs filter-log-events --region $REGION --log-group-name $log_group --filter-pattern '"highvolt-test.pdf"'

 5. Dead-letter and failure queues must stay empty (alarms notify the topic); see
    terraform/README.md, "Operations", to redrive them.

 Function: $function_name
EOF
}

# tfvars_value KEY: the (string or bare) value of a top-level KEY of terraform.tfvars.
tfvars_value() {
  local line
  line=$(grep -m 1 -E "^[[:space:]]*$1[[:space:]]*=" "$TFVARS" || true)
  line=${line#*=}
  line=${line#"${line%%[![:space:]]*}"}
  line=${line%"${line##*[![:space:]]}"}
  line=${line#\"}
  printf '%s' "${line%\"}"
}

# --- Main ------------------------------------------------------------------------------------

main() {
  [[ -d $TF_DIR ]] || die "terraform/ not found next to $PROG ($TF_DIR)"
  check_tools
  check_identity
  if is_true "$USE_EXISTING_TFVARS"; then
    [[ -f $TFVARS ]] || die "--use-existing-tfvars: $TFVARS does not exist"
    REGION=$(tfvars_value region)
    [[ -n $REGION ]] || die "no region in $TFVARS"
    JSONAIR_SECRET_NAME=$(tfvars_value jsonair_secret_name)
    [[ -n $JSONAIR_SECRET_NAME ]] || die "no jsonair_secret_name in $TFVARS"
    CREATE_CLOUDTRAIL=$(tfvars_value create_cloudtrail)
    CREATE_CLOUDTRAIL=${CREATE_CLOUDTRAIL:-true}
    info "Using the existing terraform/terraform.tfvars"
  else
    collect_settings
    validate_settings
    warn_about_log_buckets
  fi
  check_secret
  build_bundle
  is_true "$USE_EXISTING_TFVARS" || write_tfvars
  plan
  confirm_and_apply
  verify_stack_instances
  checklist
}

main
