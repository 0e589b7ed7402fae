# The management account's own buckets. Service-managed StackSets never deploy to the
# management account, so its forwarders are created here, one set per monitored Region (the
# provider's per-resource `region`), mirroring stacksets/member-forwarding.yaml. Its objects are
# read with the execution role itself (see lambda.tf), so no reader role is needed here.

data "aws_iam_policy_document" "management_forwarder_trust" {
  statement {
    sid     = "EventBridgeRulesOfThisAccount"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    # The two forwarding rules of this account, in any Region: one pattern per rule name, not
    # one ARN per Region, keeps the trust policy under IAM's 2,048 characters whatever the
    # Regions (one ARN per rule and Region took 1,238 at 6 Regions, 2,061 at 11).
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values = [
        "arn:${local.partition}:events:*:${local.account_id}:rule/${local.forward_rule_name}",
        "arn:${local.partition}:events:*:${local.account_id}:rule/${local.alarm_forward_rule_name}",
      ]
    }
  }
}

resource "aws_iam_role" "management_forwarder" {
  name               = "highvolt-s3-event-forwarder"
  path               = local.forwarder_role_path
  description        = "Lets the management account's forwarding rules put events on ${local.event_bus_name}."
  assume_role_policy = data.aws_iam_policy_document.management_forwarder_trust.json
}

data "aws_iam_policy_document" "management_forwarder" {
  statement {
    sid       = "PutEventsOnTheCentralBus"
    effect    = "Allow"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.central.arn]
  }
}

resource "aws_iam_role_policy" "management_forwarder" {
  name   = "put-events-to-central-bus"
  role   = aws_iam_role.management_forwarder.id
  policy = data.aws_iam_policy_document.management_forwarder.json
}

# --- Per monitored Region --------------------------------------------------------------------

resource "aws_sqs_queue" "management_forwarder_dlq" {
  for_each = toset(var.monitored_regions)

  region                    = each.key
  name                      = "highvolt-s3-forwarder-dlq"
  message_retention_seconds = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = true
}

resource "aws_cloudwatch_event_rule" "management_forward" {
  for_each = toset(var.monitored_regions)

  region        = each.key
  name          = local.forward_rule_name
  description   = "S3 object writes of this account in ${each.key} -> ${local.event_bus_name} (${var.region})"
  event_pattern = local.s3_object_created_pattern
  state         = "ENABLED"
}

resource "aws_cloudwatch_metric_alarm" "management_forwarder_dlq" {
  for_each = toset(var.monitored_regions)

  region              = each.key
  alarm_name          = "${local.forwarder_alarm_prefix}-${each.key}"
  alarm_description   = "Events this account could not forward from ${each.key} to ${local.event_bus_name}: redrive them once the cause is fixed."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.management_forwarder_dlq[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
}

# Alarm state changes of the Regional DLQ alarm travel to the central bus, like the member
# accounts' ones, so that one rule there notifies about every forwarder DLQ.
resource "aws_cloudwatch_event_rule" "management_alarm_forward" {
  for_each = toset(var.monitored_regions)

  region      = each.key
  name        = local.alarm_forward_rule_name
  description = "State changes of ${local.forwarder_alarm_prefix}-${each.key} -> ${local.event_bus_name}"
  event_pattern = jsonencode({
    source        = ["aws.cloudwatch"]
    "detail-type" = ["CloudWatch Alarm State Change"]
    resources     = [aws_cloudwatch_metric_alarm.management_forwarder_dlq[each.key].arn]
  })
  state = "ENABLED"
}

data "aws_iam_policy_document" "management_forwarder_dlq" {
  for_each = toset(var.monitored_regions)

  statement {
    sid       = "DeadLettersOfTheForwardingRules"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.management_forwarder_dlq[each.key].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values = [
        aws_cloudwatch_event_rule.management_forward[each.key].arn,
        aws_cloudwatch_event_rule.management_alarm_forward[each.key].arn,
      ]
    }
  }
}

resource "aws_sqs_queue_policy" "management_forwarder_dlq" {
  for_each = toset(var.monitored_regions)

  region    = each.key
  queue_url = aws_sqs_queue.management_forwarder_dlq[each.key].id
  policy    = data.aws_iam_policy_document.management_forwarder_dlq[each.key].json
}

resource "aws_cloudwatch_event_target" "management_forward" {
  for_each = toset(var.monitored_regions)

  region    = each.key
  rule      = aws_cloudwatch_event_rule.management_forward[each.key].name
  target_id = "central-bus"
  arn       = aws_cloudwatch_event_bus.central.arn
  role_arn  = aws_iam_role.management_forwarder.arn

  retry_policy {
    maximum_retry_attempts       = var.eventbridge_retry_attempts
    maximum_event_age_in_seconds = var.eventbridge_max_event_age_seconds
  }

  dead_letter_config {
    arn = aws_sqs_queue.management_forwarder_dlq[each.key].arn
  }

  # Nothing is forwarded before the bus accepts it and the scanner is wired to it.
  depends_on = [
    aws_cloudwatch_event_bus_policy.central,
    aws_iam_role_policy.management_forwarder,
    aws_sqs_queue_policy.management_forwarder_dlq,
    aws_cloudwatch_event_target.central,
  ]
}

resource "aws_cloudwatch_event_target" "management_alarm_forward" {
  for_each = toset(var.monitored_regions)

  region    = each.key
  rule      = aws_cloudwatch_event_rule.management_alarm_forward[each.key].name
  target_id = "central-bus"
  arn       = aws_cloudwatch_event_bus.central.arn
  role_arn  = aws_iam_role.management_forwarder.arn

  retry_policy {
    maximum_retry_attempts       = var.eventbridge_retry_attempts
    maximum_event_age_in_seconds = var.eventbridge_max_event_age_seconds
  }

  dead_letter_config {
    arn = aws_sqs_queue.management_forwarder_dlq[each.key].arn
  }

  depends_on = [
    aws_cloudwatch_event_bus_policy.central,
    aws_iam_role_policy.management_forwarder,
    aws_sqs_queue_policy.management_forwarder_dlq,
    aws_cloudwatch_event_target.alarm_events_log,
  ]
}
