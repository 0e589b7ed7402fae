# The scanner: one EventBridge event per asynchronous invocation; a failed scan throws, Lambda
# retries it, and what still fails (or waits too long behind the reserved concurrency) lands in
# the failure queue.

resource "aws_cloudwatch_log_group" "scanner" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_sqs_queue" "failed_events" {
  name                      = "highvolt-s3-scanner-failed-events"
  message_retention_seconds = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = true
}

# --- Execution role --------------------------------------------------------------------------

data "aws_iam_policy_document" "scanner_trust" {
  statement {
    sid     = "LambdaService"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "scanner" {
  name               = "${local.function_name}-role"
  description        = "Execution role of ${local.function_name}: its logs, its secret, its failure queue, reader roles of the organization, objects of this account."
  assume_role_policy = data.aws_iam_policy_document.scanner_trust.json
}

data "aws_iam_policy_document" "scanner" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.scanner.arn}:*"]
  }

  statement {
    sid       = "ReadJsonAirPat"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [data.aws_secretsmanager_secret.jsonair.arn]
  }

  dynamic "statement" {
    for_each = var.jsonair_secret_kms_key_arn == null ? [] : [var.jsonair_secret_kms_key_arn]
    content {
      sid       = "DecryptJsonAirPat"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${var.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "SendFailedEvents"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failed_events.arn]
  }

  statement {
    sid       = "WhoAmI"
    effect    = "Allow"
    actions   = ["sts:GetCallerIdentity"]
    resources = ["*"] # GetCallerIdentity has no resource type
  }

  # Member accounts: only the reader role (or, on explicit opt-in, OrganizationAccountAccessRole),
  # and only in accounts of this organization.
  statement {
    sid       = "AssumeReaderRolesOfTheOrganization"
    effect    = "Allow"
    actions   = ["sts:AssumeRole"]
    resources = ["arn:${local.partition}:iam::*:role/${local.cross_account_role_name}"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceOrgID"
      values   = [var.org_id]
    }
  }

  # This account's own buckets are read with the execution role itself (StackSets never deploy
  # the reader role to the management account).
  statement {
    sid       = "ReadObjectsOfThisAccount"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["arn:${local.partition}:s3:::*/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceAccount"
      values   = [local.account_id]
    }
  }

  # Without s3:ListBucket, S3 answers 403 AccessDenied for a key that does not exist; with it,
  # 404 NoSuchKey. The scanner needs that difference: a deleted object is skipped (not-found)
  # instead of failing, and a key CloudTrail spelled form-encoded is retried in its other form.
  statement {
    sid       = "TellMissingKeysOfThisAccount"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "DecryptSseKmsObjectsThroughS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = ["arn:${local.partition}:kms:*:*:key/*"]

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["s3.*.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = length(var.lambda_subnet_ids) > 0 ? ["vpc"] : []
    content {
      sid    = "AttachToVpc"
      effect = "Allow"
      actions = [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ]
      resources = ["*"] # these EC2 actions do not support resource-level permissions
    }
  }
}

resource "aws_iam_role_policy" "scanner" {
  name   = "scanner"
  role   = aws_iam_role.scanner.id
  policy = data.aws_iam_policy_document.scanner.json
}

# --- Function --------------------------------------------------------------------------------

resource "aws_lambda_function" "scanner" {
  function_name = local.function_name
  description   = "Scans every new S3 object of the organization and submits it to highvolt-server"
  role          = aws_iam_role.scanner.arn

  filename         = local.lambda_zip_path
  source_code_hash = fileexists(local.lambda_zip_path) ? filebase64sha256(local.lambda_zip_path) : null
  handler          = "index.handler"
  runtime          = "nodejs22.x"
  architectures    = ["arm64"]

  memory_size                    = var.lambda_memory_mb
  timeout                        = var.lambda_timeout_seconds
  reserved_concurrent_executions = var.lambda_reserved_concurrency

  ephemeral_storage {
    size = var.lambda_ephemeral_storage_mb
  }

  environment {
    variables = merge(
      {
        JSONAIR_SECRET_NAME = var.jsonair_secret_name
        JSONAIR_URL         = var.jsonair_url
        JSONAIR_NAME        = var.jsonair_name
        JSONAIR_TYPE        = var.jsonair_type
        CROSS_ACCOUNT_ROLE  = local.cross_account_role_name
        TLS_SKIP_VERIFY     = tostring(var.tls_skip_verify)
      },
      # OrganizationAccountAccessRole's trust policy knows no external id.
      var.use_organization_account_access_role ? {} : { CROSS_ACCOUNT_EXTERNAL_ID = local.external_id },
    )
  }

  dynamic "vpc_config" {
    for_each = length(var.lambda_subnet_ids) > 0 ? ["vpc"] : []
    content {
      subnet_ids         = var.lambda_subnet_ids
      security_group_ids = var.lambda_security_group_ids
    }
  }

  lifecycle {
    precondition {
      condition     = fileexists(local.lambda_zip_path)
      error_message = "The Lambda bundle is missing: run `npm ci && npm run build` at the repository top (or set lambda_zip_path)."
    }

    precondition {
      condition     = var.lambda_ephemeral_storage_mb >= var.max_file_size_mb
      error_message = "lambda_ephemeral_storage_mb must be at least max_file_size_mb: objects above 8 MiB are spooled to /tmp."
    }

    precondition {
      condition     = length(var.lambda_subnet_ids) == 0 || length(var.lambda_security_group_ids) > 0
      error_message = "lambda_security_group_ids is required when lambda_subnet_ids is set."
    }
  }

  depends_on = [aws_cloudwatch_log_group.scanner, aws_iam_role_policy.scanner]
}

resource "aws_lambda_function_event_invoke_config" "scanner" {
  function_name                = aws_lambda_function.scanner.function_name
  maximum_retry_attempts       = var.lambda_async_retry_attempts
  maximum_event_age_in_seconds = var.lambda_async_max_event_age_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failed_events.arn
    }
  }
}
