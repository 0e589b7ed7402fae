# Names, shared values and look-ups used by every other file.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# The secret must exist before the Lambda can start; looking it up here fails the plan early
# (instead of every cold start) and gives the exact ARN for the execution role's policy.
data "aws_secretsmanager_secret" "jsonair" {
  name = var.jsonair_secret_name
}

resource "random_uuid" "external_id" {
  count = var.cross_account_external_id == null ? 1 : 0
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  function_name           = "highvolt-aws-s3-lambda"
  event_bus_name          = "highvolt-org-s3-events"
  central_rule_name       = "highvolt-s3-object-created"
  alarm_events_rule_name  = "highvolt-s3-forwarder-alarms"
  forward_rule_name       = "highvolt-s3-object-created-forward"
  alarm_forward_rule_name = "highvolt-s3-forwarder-alarm-forward"
  # Every forwarder DLQ alarm (member accounts and this account) starts with this prefix; the
  # central bus routes their state changes to the alarm topic and log group.
  forwarder_alarm_prefix = "highvolt-s3-forwarder-dlq"
  # Forwarder roles live under this path in every account; the bus policy admits only them.
  forwarder_role_path = "/highvolt/"
  trail_name          = "highvolt-org-s3-object-writes"

  # The Lambda assumes this role name in member accounts.
  cross_account_role_name = var.use_organization_account_access_role ? "OrganizationAccountAccessRole" : var.reader_role_name
  external_id             = var.cross_account_external_id != null ? var.cross_account_external_id : one(random_uuid.external_id[*].result)

  lambda_zip_path = var.lambda_zip_path != null ? var.lambda_zip_path : "${path.module}/../dist/lambda.zip"

  trail_bucket_name = (
    var.cloudtrail_bucket_name != null ? var.cloudtrail_bucket_name :
    var.create_cloudtrail ? "highvolt-org-trail-${local.account_id}-${var.region}" : ""
  )

  # The trail's own log bucket is always excluded: CloudTrail writing its logs must never
  # trigger a scan (nor, with a trail of our own, be logged at all).
  excluded_bucket_names = sort(distinct(compact(concat([local.trail_bucket_name], var.excluded_bucket_names))))

  # One pattern, rendered once, for the central rule and the management account's forwarders;
  # the member template carries the same pattern (test/infra checks that they agree).
  s3_object_created_pattern = jsonencode(jsondecode(templatefile("${path.module}/patterns/s3-object-created.json.tftpl", {
    excluded_bucket_names = local.excluded_bucket_names
  })))

  alarm_actions = [aws_sns_topic.alarms.arn]
}
