output "event_bus_arn" {
  description = "ARN of the central event bus every forwarder targets."
  value       = aws_cloudwatch_event_bus.central.arn
}

output "event_pattern" {
  description = "The rendered S3 object-write pattern of the central rule and of every forwarder."
  value       = local.s3_object_created_pattern
}

output "lambda_function_name" {
  description = "Name of the scanner function."
  value       = aws_lambda_function.scanner.function_name
}

output "lambda_function_arn" {
  description = "ARN of the scanner function."
  value       = aws_lambda_function.scanner.arn
}

output "lambda_execution_role_arn" {
  description = "ARN of the scanner's execution role (the only principal the reader roles trust)."
  value       = aws_iam_role.scanner.arn
}

output "lambda_log_group_name" {
  description = "Log group of the scanner (one EMF outcome line per event)."
  value       = aws_cloudwatch_log_group.scanner.name
}

output "cross_account_role_name" {
  description = "Role name the scanner assumes in member accounts (CROSS_ACCOUNT_ROLE)."
  value       = local.cross_account_role_name
}

output "cross_account_external_id" {
  description = "External id the reader roles require (CROSS_ACCOUNT_EXTERNAL_ID); null with OrganizationAccountAccessRole."
  value       = var.use_organization_account_access_role ? null : local.external_id
  sensitive   = true
}

output "target_dlq_url" {
  description = "Dead-letter queue of the central rule's targets."
  value       = aws_sqs_queue.target_dlq.id
}

output "failed_events_queue_url" {
  description = "Failure destination of the scanner's asynchronous invocations."
  value       = aws_sqs_queue.failed_events.id
}

output "management_forwarder_dlq_urls" {
  description = "Dead-letter queues of this account's forwarders, by Region."
  value       = { for r, q in aws_sqs_queue.management_forwarder_dlq : r => q.id }
}

output "forwarding_stack_set_name" {
  description = "StackSet of the per-Region forwarders in member accounts."
  value       = aws_cloudformation_stack_set.forwarding.name
}

output "reader_stack_set_name" {
  description = "StackSet of the reader roles in member accounts (null with OrganizationAccountAccessRole)."
  value       = one(aws_cloudformation_stack_set.reader[*].name)
}

output "cloudtrail_arn" {
  description = "ARN of the organization trail (null when create_cloudtrail is false)."
  value       = one(aws_cloudtrail.org[*].arn)
}

output "cloudtrail_bucket_name" {
  description = "Log bucket of the trail, always excluded from scanning."
  value       = local.trail_bucket_name
}

output "alarm_topic_arn" {
  description = "SNS topic of every alarm, central and forwarded (subscribe paging or chat here)."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_url" {
  description = "CloudWatch dashboard of the scanner."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards:name=${aws_cloudwatch_dashboard.scanner.dashboard_name}"
}

output "backfill_function_arn" {
  description = "The function S3 Batch Operations backfill jobs invoke (null unless enable_backfill)."
  value       = one(aws_lambda_function.backfill[*].arn)
}

output "backfill_job_role_arn" {
  description = "The role to create S3 Batch Operations backfill jobs with (null unless enable_backfill)."
  value       = one(aws_iam_role.batch_operations[*].arn)
}

output "backfill_bucket" {
  description = "Where backfill manifests (manifests/) and completion reports (reports/) go (null unless enable_backfill)."
  value       = one(aws_s3_bucket.backfill[*].bucket)
}
