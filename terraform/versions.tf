terraform {
  # check blocks and preconditions need 1.5; OpenTofu >= 1.6 reads the same configuration.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.x: the per-resource `region` argument lets one configuration manage the management
      # account's forwarding rules in every monitored Region without one provider per Region.
      # No older than 6.25: test/infra checks every argument against 6.25.0's schema, and an
      # older 6.x may not know one of them.
      version = "~> 6.25"
    }
    random = {
      source  = "hashicorp/random"
      # No older than the 3.7 schema test/infra checks against.
      version = "~> 3.7"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ "highvolt:component" = "aws-s3-lambda" }, var.tags)
  }
}
