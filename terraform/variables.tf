# Inputs of the central (management-account) deployment. Every variable is typed, described and,
# where it has a legal range, validated: a typo must fail at plan time, not in account 137 of 200.

# ---------------------------------------------------------------------------------------------
# Organization and Regions
# ---------------------------------------------------------------------------------------------

variable "region" {
  description = "Region of the central resources (event bus, Lambda, queues, dashboard, trail home). Must hold the JSONAir PAT secret."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS Region code such as us-east-1."
  }
}

variable "org_id" {
  description = "AWS Organizations id (o-...). Only principals of this organization may put events on the central bus or be assumed by the scanner."
  type        = string

  validation {
    condition     = can(regex("^o-[a-z0-9]{10,32}$", var.org_id))
    error_message = "org_id must look like o-abcd123456."
  }
}

variable "org_root_id" {
  description = "Root id (r-...) of the organization: the StackSets deploy to every account under it, and to accounts that join later."
  type        = string

  validation {
    condition     = can(regex("^r-[0-9a-z]{4,32}$", var.org_root_id))
    error_message = "org_root_id must look like r-ab12."
  }
}

variable "monitored_regions" {
  description = "Regions whose S3 object writes are scanned, in every account. Each gets a forwarding rule (StackSet in member accounts, Terraform in this account)."
  type        = list(string)

  validation {
    condition     = length(var.monitored_regions) > 0 && length(var.monitored_regions) == length(distinct(var.monitored_regions))
    error_message = "monitored_regions must list at least one Region, each once."
  }

  validation {
    condition     = alltrue([for r in var.monitored_regions : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", r))])
    error_message = "Each monitored Region must be a Region code such as eu-west-1."
  }
}

# ---------------------------------------------------------------------------------------------
# Scanner configuration (the Lambda's environment)
# ---------------------------------------------------------------------------------------------

variable "jsonair_secret_name" {
  description = "Name of the Secrets Manager secret (in var.region) holding the JSONAir PAT, as JSON {\"JSONAIR_PAT\": \"...\"} or a plain string. It must exist before apply."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.jsonair_secret_name))
    error_message = "jsonair_secret_name may contain only A-Z a-z 0-9 / _ + = . @ - (1 to 512 characters)."
  }
}

variable "jsonair_secret_kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the JSONAir secret, if any (null: the AWS managed key, which needs no grant)."
  type        = string
  default     = null

  validation {
    condition     = var.jsonair_secret_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.jsonair_secret_kms_key_arn))
    error_message = "jsonair_secret_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "jsonair_url" {
  description = "Base URL of the JSONAir configuration service (https)."
  type        = string

  validation {
    condition     = can(regex("^https://[^[:space:]/]+(/[^[:space:]]*)?$", var.jsonair_url))
    error_message = "jsonair_url must be an https:// URL: the PAT and the highvolt credentials travel over it."
  }
}

variable "jsonair_name" {
  description = "JSONAir configuration profile name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.jsonair_name))
    error_message = "jsonair_name may contain only A-Z a-z 0-9 . _ - (JSONAir sanitizes anything else to another profile)."
  }
}

variable "jsonair_type" {
  description = "JSONAir configuration profile type."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.jsonair_type))
    error_message = "jsonair_type may contain only A-Z a-z 0-9 . _ - (JSONAir sanitizes anything else to another profile)."
  }
}

variable "tls_skip_verify" {
  description = "Disable TLS certificate verification towards JSONAir and highvolt-server (TLS_SKIP_VERIFY). Never in production."
  type        = bool
  default     = false
}

variable "max_file_size_mb" {
  description = "The largest object the scanner will read, in MiB: keep it equal to JSONAir core.max_file_size. Used to check that ephemeral storage can hold the /tmp spool file."
  type        = number
  default     = 100

  validation {
    condition     = var.max_file_size_mb >= 1 && var.max_file_size_mb <= 10240 && floor(var.max_file_size_mb) == var.max_file_size_mb
    error_message = "max_file_size_mb must be a whole number from 1 to 10240."
  }
}

# ---------------------------------------------------------------------------------------------
# Lambda sizing and delivery
# ---------------------------------------------------------------------------------------------

variable "lambda_zip_path" {
  description = "Path of the bundle built by `npm run build` (null: ../dist/lambda.zip next to this directory)."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_zip_path == null || can(regex("\\.zip$", var.lambda_zip_path))
    error_message = "lambda_zip_path must name a .zip file."
  }
}

variable "lambda_memory_mb" {
  description = "Lambda memory in MB. CPU grows with it (1 vCPU at 1769 MB): hashing and base64 are CPU-bound."
  type        = number
  default     = 1024

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240 && floor(var.lambda_memory_mb) == var.lambda_memory_mb
    error_message = "lambda_memory_mb must be a whole number from 128 to 10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Lambda timeout in seconds: enough to read, hash and upload the largest object, including highvolt 503 back-offs."
  type        = number
  default     = 300

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 900 && floor(var.lambda_timeout_seconds) == var.lambda_timeout_seconds
    error_message = "lambda_timeout_seconds must be a whole number from 1 to 900."
  }
}

variable "lambda_ephemeral_storage_mb" {
  description = "Size of /tmp in MB. Objects above 8 MiB are spooled there, so it must be at least max_file_size_mb (512 MB is free)."
  type        = number
  default     = 512

  validation {
    condition     = var.lambda_ephemeral_storage_mb >= 512 && var.lambda_ephemeral_storage_mb <= 10240 && floor(var.lambda_ephemeral_storage_mb) == var.lambda_ephemeral_storage_mb
    error_message = "lambda_ephemeral_storage_mb must be a whole number from 512 to 10240."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency: the most scans at once. It protects highvolt-server's small analysis queue (50) and its 5-logins-per-minute limit, since each new container logs in."
  type        = number
  default     = 5

  validation {
    condition     = var.lambda_reserved_concurrency >= 1 && var.lambda_reserved_concurrency <= 1000 && floor(var.lambda_reserved_concurrency) == var.lambda_reserved_concurrency
    error_message = "lambda_reserved_concurrency must be a whole number from 1 to 1000 (0 would disable the function)."
  }
}

variable "enable_backfill" {
  description = "Create what backfilling existing objects needs (issue 12): a separate backfill function with its own reserved concurrency, the S3 Batch Operations job role, the report bucket, and listing permissions for the member reader role."
  type        = bool
  default     = false
}

variable "backfill_reserved_concurrency" {
  description = "Reserved concurrency of the backfill function: the most backfill scans at once, taken from the account's pool but never from the real-time function's own reservation."
  type        = number
  default     = 2

  validation {
    condition     = var.backfill_reserved_concurrency >= 1 && var.backfill_reserved_concurrency <= 1000 && floor(var.backfill_reserved_concurrency) == var.backfill_reserved_concurrency
    error_message = "backfill_reserved_concurrency must be a whole number from 1 to 1000 (0 would disable the function)."
  }
}

variable "backfill_report_retention_days" {
  description = "Days Batch Operations completion reports and uploaded manifests are kept in the report bucket before they expire."
  type        = number
  default     = 30

  validation {
    condition     = var.backfill_report_retention_days >= 1 && var.backfill_report_retention_days <= 3650 && floor(var.backfill_report_retention_days) == var.backfill_report_retention_days
    error_message = "backfill_report_retention_days must be a whole number from 1 to 3650."
  }
}

variable "lambda_subnet_ids" {
  description = "Subnets to attach the Lambda to when highvolt-server or JSONAir are only reachable privately (empty: no VPC). The subnets need a NAT gateway or VPC endpoints for STS, S3 and Secrets Manager."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.lambda_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "lambda_subnet_ids must be subnet ids (subnet-...)."
  }
}

variable "lambda_security_group_ids" {
  description = "Security groups of the Lambda when lambda_subnet_ids is set."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.lambda_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "lambda_security_group_ids must be security group ids (sg-...)."
  }
}

variable "log_retention_days" {
  description = "Retention of the Lambda's log group (and of the forwarded-alarm log group), in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "lambda_async_retry_attempts" {
  description = "Retries of a failed asynchronous invocation before the event goes to the failure queue."
  type        = number
  default     = 2

  validation {
    condition     = var.lambda_async_retry_attempts >= 0 && var.lambda_async_retry_attempts <= 2 && floor(var.lambda_async_retry_attempts) == var.lambda_async_retry_attempts
    error_message = "lambda_async_retry_attempts must be 0, 1 or 2."
  }
}

variable "lambda_async_max_event_age_seconds" {
  description = "How long an event may wait in Lambda's asynchronous queue (throttled by the reserved concurrency) before it is sent to the failure queue."
  type        = number
  default     = 21600

  validation {
    condition     = var.lambda_async_max_event_age_seconds >= 60 && var.lambda_async_max_event_age_seconds <= 21600 && floor(var.lambda_async_max_event_age_seconds) == var.lambda_async_max_event_age_seconds
    error_message = "lambda_async_max_event_age_seconds must be a whole number from 60 to 21600."
  }
}

variable "eventbridge_retry_attempts" {
  description = "Retries of every EventBridge target (forwarders and the Lambda target) before the event goes to that target's dead-letter queue."
  type        = number
  default     = 185

  validation {
    condition     = var.eventbridge_retry_attempts >= 0 && var.eventbridge_retry_attempts <= 185 && floor(var.eventbridge_retry_attempts) == var.eventbridge_retry_attempts
    error_message = "eventbridge_retry_attempts must be a whole number from 0 to 185."
  }
}

variable "eventbridge_max_event_age_seconds" {
  description = "How long EventBridge keeps retrying a target before the event goes to the dead-letter queue."
  type        = number
  default     = 86400

  validation {
    condition     = var.eventbridge_max_event_age_seconds >= 60 && var.eventbridge_max_event_age_seconds <= 86400 && floor(var.eventbridge_max_event_age_seconds) == var.eventbridge_max_event_age_seconds
    error_message = "eventbridge_max_event_age_seconds must be a whole number from 60 to 86400."
  }
}

variable "dlq_message_retention_seconds" {
  description = "Retention of every dead-letter and failure queue (central and per-Region forwarders)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600 && floor(var.dlq_message_retention_seconds) == var.dlq_message_retention_seconds
    error_message = "dlq_message_retention_seconds must be a whole number from 60 to 1209600 (14 days)."
  }
}

# ---------------------------------------------------------------------------------------------
# Event sources
# ---------------------------------------------------------------------------------------------

variable "excluded_bucket_names" {
  description = "Buckets never scanned, filtered in the event patterns (no invocation, no cross-account event) and, with create_cloudtrail, in the trail's selectors. The trail's log bucket is always excluded. The pattern must fit EventBridge's 2,048 characters: 25 names of 63 characters always fit (more shorter ones); the plan stops otherwise."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for b in var.excluded_bucket_names : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", b))])
    error_message = "Each excluded bucket must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)."
  }
}

variable "create_cloudtrail" {
  description = "Create a multi-Region organization trail that logs only the S3 object writes the scanner uses. Set false if another trail already logs them (data events are charged per trail)."
  type        = bool
  default     = true
}

variable "cloudtrail_bucket_name" {
  description = "Log bucket of the trail. With create_cloudtrail: the bucket to create (null: highvolt-org-trail-<account>-<region>). Without: the existing trail's bucket, required so that its log writes are excluded."
  type        = string
  default     = null

  validation {
    condition     = var.cloudtrail_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.cloudtrail_bucket_name))
    error_message = "cloudtrail_bucket_name must be an S3 bucket name."
  }
}

variable "cloudtrail_log_retention_days" {
  description = "Days the created trail's log files are kept before they expire (only with create_cloudtrail)."
  type        = number
  default     = 365

  validation {
    condition     = var.cloudtrail_log_retention_days >= 1 && var.cloudtrail_log_retention_days <= 3653 && floor(var.cloudtrail_log_retention_days) == var.cloudtrail_log_retention_days
    error_message = "cloudtrail_log_retention_days must be a whole number from 1 to 3653."
  }
}

# ---------------------------------------------------------------------------------------------
# Cross-account access
# ---------------------------------------------------------------------------------------------

variable "reader_role_name" {
  description = "Name of the least-privilege reader role the StackSet creates once per member account (s3:GetObject, s3:GetObjectVersion, s3:ListBucket, kms:Decrypt via S3)."
  type        = string
  default     = "highvolt-s3-scanner-reader"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.reader_role_name)) && var.reader_role_name != "OrganizationAccountAccessRole"
    error_message = "reader_role_name must be an IAM role name (1-64 characters of A-Z a-z 0-9 + = , . @ _ -), and not OrganizationAccountAccessRole."
  }
}

variable "cross_account_external_id" {
  description = "External id the reader roles require (null: a random UUID kept in the Terraform state)."
  type        = string
  default     = null

  validation {
    condition     = var.cross_account_external_id == null || can(regex("^[A-Za-z0-9+=,.@:/_-]{2,1224}$", var.cross_account_external_id))
    error_message = "cross_account_external_id must be 2-1224 characters of A-Z a-z 0-9 + = , . @ : / _ -."
  }
}

variable "use_organization_account_access_role" {
  description = "Explicit opt-in: assume OrganizationAccountAccessRole (full administrator) in member accounts instead of the reader role. Not recommended; the reader StackSet is then not deployed."
  type        = bool
  default     = false
}

variable "stackset_failure_tolerance_percentage" {
  description = "Per Region, the share of accounts whose stack may fail before a StackSet operation stops there (deploy.sh lists the failed ones and exits non-zero after the apply)."
  type        = number
  default     = 10

  validation {
    condition     = var.stackset_failure_tolerance_percentage >= 0 && var.stackset_failure_tolerance_percentage <= 100 && floor(var.stackset_failure_tolerance_percentage) == var.stackset_failure_tolerance_percentage
    error_message = "stackset_failure_tolerance_percentage must be a whole number from 0 to 100."
  }
}

variable "stackset_max_concurrent_percentage" {
  description = "Per Region, the share of accounts a StackSet operation works on at once."
  type        = number
  default     = 100

  validation {
    condition     = var.stackset_max_concurrent_percentage >= 1 && var.stackset_max_concurrent_percentage <= 100 && floor(var.stackset_max_concurrent_percentage) == var.stackset_max_concurrent_percentage
    error_message = "stackset_max_concurrent_percentage must be a whole number from 1 to 100."
  }
}

# ---------------------------------------------------------------------------------------------
# Observability and tagging
# ---------------------------------------------------------------------------------------------

variable "member_dlq_alarms" {
  description = "Alarm on every member account's forwarder dead-letter queue (one CloudWatch alarm per account and monitored Region, about $0.10 a month each) and route the alarms to the alarm topic. Without them, forwarding failures in member accounts are only visible in those accounts."
  type        = bool
  default     = true
}

variable "alarm_email_addresses" {
  description = "E-mail addresses subscribed to the alarm topic (each must confirm the subscription). Other subscribers (chat, paging) can be added to the topic output by alarm_topic_arn."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_email_addresses : can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", e))])
    error_message = "Each alarm e-mail address must look like name@example.com."
  }
}

variable "tags" {
  description = "Tags added to every resource Terraform creates (and to the StackSets, which pass them on to member stacks)."
  type        = map(string)
  default     = {}

  validation {
    condition = length(var.tags) <= 40 && alltrue([
      for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")
    ])
    error_message = "tags: at most 40, keys 1-128 characters not starting with aws:, values up to 256 characters."
  }
}
