# Optional organization trail. EventBridge only sees S3 data events that some trail logs; this
# one logs nothing but the four object writes the scanner reacts to, and never its own bucket
# nor the excluded ones, so neither CloudTrail nor the scanner pays for anything else (a
# WriteOnly selector would also log UploadPart, DeleteObject, PutObjectAcl, ...).

resource "aws_s3_bucket" "trail" {
  count = var.create_cloudtrail ? 1 : 0

  bucket = local.trail_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "trail" {
  count = var.create_cloudtrail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "trail" {
  count = var.create_cloudtrail ? 1 : 0

  bucket                  = aws_s3_bucket.trail[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "trail" {
  count = var.create_cloudtrail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  count = var.create_cloudtrail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "trail" {
  count = var.create_cloudtrail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id

  rule {
    id     = "expire-trail-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.cloudtrail_log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.trail]
}

locals {
  # Known before the trail exists, so that the bucket policy can name it (no cycle).
  trail_arn = "arn:${local.partition}:cloudtrail:${var.region}:${local.account_id}:trail/${local.trail_name}"
}

data "aws_iam_policy_document" "trail_bucket" {
  count = var.create_cloudtrail ? 1 : 0

  statement {
    sid       = "CloudTrailAclCheck"
    effect    = "Allow"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.trail[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid     = "CloudTrailWrite"
    effect  = "Allow"
    actions = ["s3:PutObject"]
    resources = [
      "${aws_s3_bucket.trail[0].arn}/AWSLogs/${local.account_id}/*",
      "${aws_s3_bucket.trail[0].arn}/AWSLogs/${var.org_id}/*",
    ]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.trail[0].arn,
      "${aws_s3_bucket.trail[0].arn}/*",
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

resource "aws_s3_bucket_policy" "trail" {
  count = var.create_cloudtrail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  policy = data.aws_iam_policy_document.trail_bucket[0].json

  depends_on = [aws_s3_bucket_public_access_block.trail]
}

resource "aws_cloudtrail" "org" {
  count = var.create_cloudtrail ? 1 : 0

  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.trail[0].id
  is_organization_trail         = true
  is_multi_region_trail         = true
  include_global_service_events = true # required of multi-Region trails; no management event is selected below
  enable_log_file_validation    = true

  advanced_event_selector {
    name = "S3 object writes scanned by highvolt"

    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }

    field_selector {
      field  = "resources.type"
      equals = ["AWS::S3::Object"]
    }

    field_selector {
      field  = "eventName"
      equals = ["PutObject", "CompleteMultipartUpload", "CopyObject", "PostObject"]
    }

    # Never log (nor pay for, nor react to) CloudTrail's own log writes or the excluded buckets.
    field_selector {
      field           = "resources.ARN"
      not_starts_with = [for b in local.excluded_bucket_names : "arn:${local.partition}:s3:::${b}/"]
    }
  }

  # Logging starts once every forwarder and the scanner are in place: no event is produced
  # that nothing would receive.
  depends_on = [
    aws_s3_bucket_policy.trail,
    aws_cloudformation_stack_instances.forwarding,
    aws_cloudwatch_event_target.management_forward,
  ]
}
