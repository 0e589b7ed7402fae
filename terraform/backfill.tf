# Backfill (issue 12), off unless enable_backfill = true: S3 Batch Operations jobs (one per
# account and Region, created by `highvolt-s3 backfill --batch-operations`) invoke a function of
# their own, the same bundle and execution role as the scanner, so that their reserved
# concurrency is a cap of its own: a backfill can never take the real-time function's reservation.

locals {
  backfill_function_name = "${local.function_name}-backfill"
  backfill_bucket_name   = "highvolt-s3-backfill-${local.account_id}-${var.region}"
}

resource "aws_cloudwatch_log_group" "backfill" {
  count = var.enable_backfill ? 1 : 0

  name              = "/aws/lambda/${local.backfill_function_name}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "backfill_logs" {
  count = var.enable_backfill ? 1 : 0

  statement {
    sid       = "WriteBackfillLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.backfill[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "backfill_logs" {
  count = var.enable_backfill ? 1 : 0

  name   = "backfill-logs"
  role   = aws_iam_role.scanner.id
  policy = data.aws_iam_policy_document.backfill_logs[0].json
}

resource "aws_lambda_function" "backfill" {
  count = var.enable_backfill ? 1 : 0

  function_name = local.backfill_function_name
  description   = "Scans objects that already exist, for S3 Batch Operations jobs (same bundle as ${local.function_name})"
  role          = aws_iam_role.scanner.arn

  filename         = local.lambda_zip_path
  source_code_hash = fileexists(local.lambda_zip_path) ? filebase64sha256(local.lambda_zip_path) : null
  handler          = "index.handler"
  runtime          = "nodejs22.x"
  architectures    = ["arm64"]

  memory_size                    = var.lambda_memory_mb
  timeout                        = var.lambda_timeout_seconds
  reserved_concurrent_executions = var.backfill_reserved_concurrency

  ephemeral_storage {
    size = var.lambda_ephemeral_storage_mb
  }

  environment {
    variables = aws_lambda_function.scanner.environment[0].variables
  }

  dynamic "vpc_config" {
    for_each = length(var.lambda_subnet_ids) > 0 ? ["vpc"] : []
    content {
      subnet_ids         = var.lambda_subnet_ids
      security_group_ids = var.lambda_security_group_ids
    }
  }

  depends_on = [aws_cloudwatch_log_group.backfill, aws_iam_role_policy.backfill_logs]
}

# --- Report bucket: manifests the CLI generates, and the jobs' completion reports ---------------

resource "aws_s3_bucket" "backfill" {
  count = var.enable_backfill ? 1 : 0

  bucket = local.backfill_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "backfill" {
  count = var.enable_backfill ? 1 : 0

  bucket = aws_s3_bucket.backfill[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "backfill" {
  count = var.enable_backfill ? 1 : 0

  bucket                  = aws_s3_bucket.backfill[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Batch Operations writes completion reports with SSE-S3 whatever the default; SSE-S3 it is.
resource "aws_s3_bucket_server_side_encryption_configuration" "backfill" {
  count = var.enable_backfill ? 1 : 0

  bucket = aws_s3_bucket.backfill[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "backfill" {
  count = var.enable_backfill ? 1 : 0

  bucket = aws_s3_bucket.backfill[0].id
  rule {
    id     = "expire-manifests-and-reports"
    status = "Enabled"
    filter {}
    expiration {
      days = var.backfill_report_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "backfill_bucket" {
  count = var.enable_backfill ? 1 : 0

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.backfill[0].arn,
      "${aws_s3_bucket.backfill[0].arn}/*",
    ]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "backfill" {
  count = var.enable_backfill ? 1 : 0

  bucket     = aws_s3_bucket.backfill[0].id
  policy     = data.aws_iam_policy_document.backfill_bucket[0].json
  depends_on = [aws_s3_bucket_public_access_block.backfill]
}

# --- The Batch Operations job role ----------------------------------------------------------------

data "aws_iam_policy_document" "batch_operations_trust" {
  count = var.enable_backfill ? 1 : 0

  statement {
    sid     = "S3BatchOperationsOfThisAccount"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["batchoperations.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "batch_operations" {
  count = var.enable_backfill ? 1 : 0

  name               = "highvolt-s3-backfill-batch-operations"
  description        = "S3 Batch Operations jobs of the backfill: invoke ${local.backfill_function_name}, read manifests and write completion reports in ${local.backfill_bucket_name}."
  assume_role_policy = data.aws_iam_policy_document.batch_operations_trust[0].json
}

data "aws_iam_policy_document" "batch_operations" {
  count = var.enable_backfill ? 1 : 0

  statement {
    sid       = "InvokeTheBackfillFunctionOnly"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.backfill[0].arn, "${aws_lambda_function.backfill[0].arn}:*"]
  }

  statement {
    sid       = "ReadManifests"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.backfill[0].arn}/manifests/*"]
  }

  statement {
    sid       = "WriteCompletionReports"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.backfill[0].arn}/reports/*"]
  }

  statement {
    sid       = "LocateTheReportBucket"
    effect    = "Allow"
    actions   = ["s3:GetBucketLocation"]
    resources = [aws_s3_bucket.backfill[0].arn]
  }
}

resource "aws_iam_role_policy" "batch_operations" {
  count = var.enable_backfill ? 1 : 0

  name   = "backfill-job"
  role   = aws_iam_role.batch_operations[0].id
  policy = data.aws_iam_policy_document.batch_operations[0].json
}
