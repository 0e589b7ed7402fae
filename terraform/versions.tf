terraform {
  # check blocks and preconditions need 1.5; OpenTofu >= 1.6 reads the same configuration.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.x: the per-resource `region` argument lets one configuration manage the management
      # account's forwarding rules in every monitored Region without one provider per Region.
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ "highvolt:component" = "aws-s3-lambda" }, var.tags)
  }
}
