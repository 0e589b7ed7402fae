# The central event bus: every forwarder of the organization puts S3 object-write events here,
# and one rule sends them to the scanner.

resource "aws_cloudwatch_event_bus" "central" {
  name = local.event_bus_name
}

data "aws_iam_policy_document" "central_bus" {
  statement {
    sid       = "PutEventsFromHighvoltForwardersOfTheOrganization"
    effect    = "Allow"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.central.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    # Only principals of this organization ...
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = [var.org_id]
    }

    # ... and, among them, only the forwarder roles (CloudFormation names them, the path is ours).
    condition {
      test     = "ArnLike"
      variable = "aws:PrincipalArn"
      values   = ["arn:${local.partition}:iam::*:role${local.forwarder_role_path}*"]
    }
  }
}

resource "aws_cloudwatch_event_bus_policy" "central" {
  event_bus_name = aws_cloudwatch_event_bus.central.name
  policy         = data.aws_iam_policy_document.central_bus.json
}

# --- S3 object writes -> scanner -------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "central" {
  name           = local.central_rule_name
  description    = "S3 object writes forwarded from the organization (excluded buckets filtered out) -> ${local.function_name}"
  event_bus_name = aws_cloudwatch_event_bus.central.name
  event_pattern  = local.s3_object_created_pattern
  state          = "ENABLED"

  lifecycle {
    precondition {
      condition     = local.trail_bucket_name != ""
      error_message = "With create_cloudtrail = false, set cloudtrail_bucket_name to the existing trail's log bucket: its log writes must be excluded from the patterns."
    }

    # EventBridge takes patterns of at most 2,048 characters (a quota of every account and
    # Region, so of all 1,200 member forwarders too, which carry the same pattern); the exclusion
    # list is what grows. Checked on the rendered pattern, trail bucket included.
    precondition {
      condition     = length(local.s3_object_created_pattern) <= 2048
      error_message = "The S3 event pattern would exceed EventBridge's 2,048 characters: shorten excluded_bucket_names (25 names of 63 characters always fit)."
    }
  }
}

resource "aws_sqs_queue" "target_dlq" {
  name                      = "highvolt-s3-scanner-target-dlq"
  message_retention_seconds = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "target_dlq" {
  statement {
    sid       = "DeadLettersOfTheCentralRule"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.target_dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.central.arn, aws_cloudwatch_event_rule.alarm_events.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "target_dlq" {
  queue_url = aws_sqs_queue.target_dlq.id
  policy    = data.aws_iam_policy_document.target_dlq.json
}

resource "aws_cloudwatch_event_target" "central" {
  rule           = aws_cloudwatch_event_rule.central.name
  event_bus_name = aws_cloudwatch_event_bus.central.name
  target_id      = "scanner"
  arn            = aws_lambda_function.scanner.arn

  retry_policy {
    maximum_retry_attempts       = var.eventbridge_retry_attempts
    maximum_event_age_in_seconds = var.eventbridge_max_event_age_seconds
  }

  dead_letter_config {
    arn = aws_sqs_queue.target_dlq.arn
  }

  depends_on = [aws_sqs_queue_policy.target_dlq, aws_lambda_permission.central_rule]
}

resource "aws_lambda_permission" "central_rule" {
  statement_id  = "AllowCentralRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.scanner.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.central.arn
}
