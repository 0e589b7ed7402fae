# Alarms, their topic and the dashboard. Central alarms notify the topic directly. The
# forwarder DLQ alarms live in every account and Region (CloudWatch cannot notify another
# account's or Region's topic), so their state changes travel over the central bus instead: one
# rule here writes them to a log group (listed on the dashboard), a metric filter counts those
# entering ALARM, and one central alarm on that count notifies the topic. (EventBridge could
# publish to the topic directly, but its documentation allows no Condition in such a topic
# policy, which would let any rule publish; CloudWatch's publish permission keeps its condition.)

resource "aws_sns_topic" "alarms" {
  name = "highvolt-s3-scanner-alarms"
}

data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid       = "CloudWatchAlarmsOfThisAccount"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(var.alarm_email_addresses)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- Forwarder DLQ alarms of every account and Region ----------------------------------------

resource "aws_cloudwatch_event_rule" "alarm_events" {
  name           = local.alarm_events_rule_name
  description    = "State changes of forwarder DLQ alarms, from every account and Region -> log group (counted, alarmed)"
  event_bus_name = aws_cloudwatch_event_bus.central.name
  event_pattern = jsonencode(jsondecode(templatefile("${path.module}/patterns/forwarder-alarm-state-change.json.tftpl", {
    alarm_name_prefix = local.forwarder_alarm_prefix
  })))
  state = "ENABLED"
}

resource "aws_cloudwatch_log_group" "alarm_events" {
  # EventBridge writes only to log groups under /aws/events/.
  name              = "/aws/events/highvolt-s3-forwarder-alarms"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "alarm_events_log" {
  # As the EventBridge User Guide gives it (no condition); scoped to this one log group, which
  # only rules of this account can target.
  statement {
    sid       = "EventBridgeWritesForwardedAlarms"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.alarm_events.arn}:*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "alarm_events" {
  policy_name     = "highvolt-s3-forwarder-alarms"
  policy_document = data.aws_iam_policy_document.alarm_events_log.json
}

resource "aws_cloudwatch_event_target" "alarm_events_log" {
  rule           = aws_cloudwatch_event_rule.alarm_events.name
  event_bus_name = aws_cloudwatch_event_bus.central.name
  target_id      = "alarm-log"
  arn            = aws_cloudwatch_log_group.alarm_events.arn

  dead_letter_config {
    arn = aws_sqs_queue.target_dlq.arn
  }

  depends_on = [aws_cloudwatch_log_resource_policy.alarm_events, aws_sqs_queue_policy.target_dlq]
}

resource "aws_cloudwatch_log_metric_filter" "forwarder_alarms" {
  name           = "highvolt-s3-forwarder-dlq-alarms"
  log_group_name = aws_cloudwatch_log_group.alarm_events.name
  pattern        = "{ $.detail.state.value = \"ALARM\" }"

  metric_transformation {
    name      = "ForwarderDlqAlarms"
    namespace = local.emf_namespace
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "forwarder_dlq_alarms" {
  alarm_name          = "highvolt-s3-scanner-forwarder-dlq-alarms"
  alarm_description   = "A forwarder dead-letter queue of some account and Region is not empty: the dashboard's table (or log group ${aws_cloudwatch_log_group.alarm_events.name}) says which. Redrive it once fixed (terraform/README.md)."
  namespace           = local.emf_namespace
  metric_name         = "ForwarderDlqAlarms"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions

  depends_on = [aws_cloudwatch_log_metric_filter.forwarder_alarms]
}

# --- Central alarms --------------------------------------------------------------------------

locals {
  central_queue_alarms = {
    target-dlq    = { queue = aws_sqs_queue.target_dlq.name, what = "Events EventBridge could not deliver to the scanner (or to the forwarded-alarm log group)" }
    failed-events = { queue = aws_sqs_queue.failed_events.name, what = "Events the scanner failed on after its retries, or that waited longer than the maximum event age" }
  }
}

resource "aws_cloudwatch_metric_alarm" "central_queue" {
  for_each = local.central_queue_alarms

  alarm_name          = "highvolt-s3-scanner-${each.key}-not-empty"
  alarm_description   = "${each.value.what}. Investigate, fix, then redrive (terraform/README.md)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value.queue }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  alarm_name          = "highvolt-s3-scanner-errors"
  alarm_description   = "Invocations of ${local.function_name} failed (they are retried, then sent to the failure queue)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.scanner.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  alarm_name          = "highvolt-s3-scanner-throttles"
  alarm_description   = "${local.function_name} has been throttled for 15 minutes: the reserved concurrency is too small for the write rate, and events queue up towards the maximum event age."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.scanner.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "async_events_dropped" {
  alarm_name          = "highvolt-s3-scanner-async-events-dropped"
  alarm_description   = "Lambda dropped asynchronous events of ${local.function_name} without delivering them to the failure queue."
  namespace           = "AWS/Lambda"
  metric_name         = "AsyncEventsDropped"
  dimensions          = { FunctionName = aws_lambda_function.scanner.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "async_event_age" {
  alarm_name          = "highvolt-s3-scanner-async-backlog"
  alarm_description   = "Events wait in ${local.function_name}'s asynchronous queue for more than half the maximum event age: raise the reserved concurrency (and highvolt-server's capacity) or they will expire to the failure queue."
  namespace           = "AWS/Lambda"
  metric_name         = "AsyncEventAge"
  dimensions          = { FunctionName = aws_lambda_function.scanner.function_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.lambda_async_max_event_age_seconds * 1000 / 2 # milliseconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- Dashboard -------------------------------------------------------------------------------

locals {
  emf_namespace = "Highvolt/S3Scanner"
  outcomes      = ["submitted", "duplicate", "skipped", "failed"]
  skip_reasons  = ["mime", "size", "archived", "sse-c", "not-found", "not-object-created", "failed-call", "duplicate-delivery"]
  fn            = aws_lambda_function.scanner.function_name

  dashboard_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title  = "Invocations, errors, throttles"
        region = var.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 300
        metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", local.fn],
          ["AWS/Lambda", "Errors", "FunctionName", local.fn],
          ["AWS/Lambda", "Throttles", "FunctionName", local.fn],
          ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", local.fn, { stat = "Maximum", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title  = "Duration p50 / p99 (ms)"
        region = var.region
        view   = "timeSeries"
        period = 300
        metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", local.fn, { stat = "p50", label = "p50" }],
          ["AWS/Lambda", "Duration", "FunctionName", local.fn, { stat = "p99", label = "p99" }],
          ["AWS/Lambda", "Duration", "FunctionName", local.fn, { stat = "Maximum", label = "max" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title   = "Outcomes (Highvolt/S3Scanner Events by Outcome)"
        region  = var.region
        view    = "timeSeries"
        stacked = true
        stat    = "Sum"
        period  = 300
        metrics = [for o in local.outcomes : [local.emf_namespace, "Events", "Outcome", o]]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title   = "Skipped, by reason"
        region  = var.region
        view    = "timeSeries"
        stacked = true
        stat    = "Sum"
        period  = 300
        metrics = [for r in local.skip_reasons : [local.emf_namespace, "Events", "Outcome", "skipped", "Reason", r]]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title  = "Bytes scanned, events"
        region = var.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 300
        metrics = [
          [local.emf_namespace, "BytesScanned"],
          [local.emf_namespace, "Events", { yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = {
        title  = "Scan duration p50 / p99 (ms, per event)"
        region = var.region
        view   = "timeSeries"
        period = 300
        metrics = [
          [local.emf_namespace, "ScanDuration", { stat = "p50", label = "p50" }],
          [local.emf_namespace, "ScanDuration", { stat = "p99", label = "p99" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 18, width = 12, height = 6
      properties = {
        title  = "Asynchronous queue: received, dropped, oldest age"
        region = var.region
        view   = "timeSeries"
        period = 300
        metrics = [
          ["AWS/Lambda", "AsyncEventsReceived", "FunctionName", local.fn, { stat = "Sum" }],
          ["AWS/Lambda", "AsyncEventsDropped", "FunctionName", local.fn, { stat = "Sum" }],
          ["AWS/Lambda", "AsyncEventAge", "FunctionName", local.fn, { stat = "Maximum", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 18, width = 12, height = 6
      properties = {
        title  = "Central rule deliveries"
        region = var.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 300
        metrics = [
          for m in ["TriggeredRules", "Invocations", "FailedInvocations", "InvocationsSentToDlq"] :
          ["AWS/Events", m, "EventBusName", local.event_bus_name, "RuleName", local.central_rule_name]
        ]
      }
    },
    {
      type = "metric", x = 0, y = 24, width = 12, height = 6
      properties = {
        title  = "Dead-letter and failure queues of this account (messages visible)"
        region = var.region
        view   = "timeSeries"
        stat   = "Maximum"
        period = 300
        metrics = concat(
          [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.target_dlq.name, { label = "central target DLQ" }],
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.failed_events.name, { label = "scanner failure queue" }],
            [local.emf_namespace, "ForwarderDlqAlarms", { stat = "Sum", label = "member forwarder DLQ alarms raised" }],
          ],
          [
            for r in var.monitored_regions :
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.management_forwarder_dlq[r].name, { region = r, label = "forwarder DLQ ${r}" }]
          ],
        )
      }
    },
    {
      type = "log", x = 12, y = 24, width = 12, height = 6
      properties = {
        title  = "Forwarder DLQ alarms of every account and Region (member DLQs)"
        region = var.region
        view   = "table"
        query  = "SOURCE '${aws_cloudwatch_log_group.alarm_events.name}' | fields @timestamp, account, region, detail.alarmName, detail.state.value, detail.state.reason | sort @timestamp desc | limit 100"
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "scanner" {
  dashboard_name = "highvolt-s3-scanner"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
