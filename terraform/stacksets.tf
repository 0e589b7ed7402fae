# Member accounts, through service-managed StackSets with auto-deployment (accounts that join
# the organization later get the same stacks). Two StackSets, because IAM names are global:
#   - highvolt-s3-event-forwarding: every account x every monitored Region; it holds no named
#     IAM resource (CloudFormation names the forwarder role), so a second Region never collides;
#   - highvolt-s3-scanner-reader: every account, one Region only; it holds the named reader role
#     that the Lambda assumes by name.

resource "aws_cloudformation_stack_set" "forwarding" {
  name             = "highvolt-s3-event-forwarding"
  description      = "Forwards S3 object writes (CloudTrail data events) of each Region to ${local.event_bus_name}, with a dead-letter queue and its alarm."
  permission_model = "SERVICE_MANAGED"
  call_as          = "SELF"
  capabilities     = ["CAPABILITY_IAM"]
  template_body    = file("${path.module}/stacksets/member-forwarding.yaml")

  # Every template parameter, defaults included, is set here (the provider requires it).
  parameters = {
    CentralEventBusArn         = aws_cloudwatch_event_bus.central.arn
    ExcludedBucketNames        = join(",", local.excluded_bucket_names)
    ForwarderAlarmPrefix       = local.forwarder_alarm_prefix
    TargetRetryAttempts        = tostring(var.eventbridge_retry_attempts)
    TargetMaxEventAgeSeconds   = tostring(var.eventbridge_max_event_age_seconds)
    DeadLetterRetentionSeconds = tostring(var.dlq_message_retention_seconds)
    CreateDeadLetterAlarm      = tostring(var.member_dlq_alarms)
  }

  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = false
  }

  # Queue conflicting operations (updates while auto-deployment runs) instead of failing them.
  managed_execution {
    active = true
  }

  # Updates of the StackSet run in STRICT_FAILURE_TOLERANCE mode (this block takes no
  # concurrency_mode): at most failure tolerance + 1 accounts at once per Region, 21 of 200 by
  # default, so ten rounds of a few minutes. The provider's default timeout, 30 minutes, is no
  # more than that: Terraform would give up while the update goes on (README, deploy checklist).
  operation_preferences {
    region_concurrency_type      = "PARALLEL"
    failure_tolerance_percentage = var.stackset_failure_tolerance_percentage
    max_concurrent_percentage    = var.stackset_max_concurrent_percentage
  }

  timeouts {
    update = "3h"
  }

  lifecycle {
    # SERVICE_MANAGED StackSets report an administration role Terraform never set.
    ignore_changes = [administration_role_arn]
  }
}

resource "aws_cloudformation_stack_instances" "forwarding" {
  stack_set_name = aws_cloudformation_stack_set.forwarding.name
  call_as        = "SELF"
  regions        = var.monitored_regions

  deployment_targets {
    organizational_unit_ids = [var.org_root_id]
  }

  operation_preferences {
    concurrency_mode             = "SOFT_FAILURE_TOLERANCE"
    region_concurrency_type      = "PARALLEL"
    failure_tolerance_percentage = var.stackset_failure_tolerance_percentage
    max_concurrent_percentage    = var.stackset_max_concurrent_percentage
  }

  timeouts {
    create = "3h"
    update = "3h"
    delete = "3h"
  }

  # The bus must accept events, the scanner be wired to it and the reader roles exist before any
  # member rule targets the bus: nothing forwarded is lost or fails for want of a role.
  depends_on = [
    aws_cloudformation_stack_instances.reader,
    aws_cloudwatch_event_bus_policy.central,
    aws_cloudwatch_event_target.central,
    aws_cloudwatch_event_target.alarm_events_log,
  ]
}

resource "aws_cloudformation_stack_set" "reader" {
  count = var.use_organization_account_access_role ? 0 : 1

  name             = "highvolt-s3-scanner-reader"
  description      = "Once per account: the role ${local.function_name} assumes to read new objects (s3:GetObject, s3:GetObjectVersion, kms:Decrypt via S3)."
  permission_model = "SERVICE_MANAGED"
  call_as          = "SELF"
  capabilities     = ["CAPABILITY_NAMED_IAM"]
  template_body    = file("${path.module}/stacksets/member-reader-role.yaml")

  parameters = {
    ScannerRoleArn = aws_iam_role.scanner.arn
    ExternalId     = local.external_id
    ReaderRoleName = var.reader_role_name
    EnableBackfill = tostring(var.enable_backfill)
  }

  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = false
  }

  managed_execution {
    active = true
  }

  operation_preferences {
    failure_tolerance_percentage = var.stackset_failure_tolerance_percentage
    max_concurrent_percentage    = var.stackset_max_concurrent_percentage
  }

  timeouts {
    update = "3h"
  }

  lifecycle {
    ignore_changes = [administration_role_arn]
  }
}

resource "aws_cloudformation_stack_instances" "reader" {
  count = var.use_organization_account_access_role ? 0 : 1

  stack_set_name = aws_cloudformation_stack_set.reader[0].name
  call_as        = "SELF"
  # IAM is global: one Region per account, or the second Region's stack fails on the name.
  regions = [var.region]

  deployment_targets {
    organizational_unit_ids = [var.org_root_id]
  }

  operation_preferences {
    concurrency_mode             = "SOFT_FAILURE_TOLERANCE"
    failure_tolerance_percentage = var.stackset_failure_tolerance_percentage
    max_concurrent_percentage    = var.stackset_max_concurrent_percentage
  }

  timeouts {
    create = "3h"
    update = "3h"
    delete = "3h"
  }
}
