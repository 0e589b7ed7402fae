/**
 * The one error of JSONAir and highvolt-server calls. It names the service, the operation and
 * what went wrong, and says whether a retry can help. It never carries a request: headers hold
 * the bearer token and bodies hold the PAT or the file.
 */
import { Duration, Option, Schema } from "effect"

export const ServiceName = Schema.Literal("jsonair", "highvolt")
export type ServiceName = typeof ServiceName.Type

/**
 * Raised by `JsonAir` and `Highvolt` calls: `status` for an HTTP answer, `transport`/`timeout`
 * for no answer, `tls` for a server certificate we do not trust, `decode` for an answer we
 * cannot read.
 */
export class ServiceError extends Schema.TaggedError<ServiceError>()("ServiceError", {
  service: ServiceName,
  operation: Schema.String,
  reason: Schema.Literal("status", "transport", "timeout", "tls", "decode"),
  status: Schema.optional(Schema.Number),
  /** The server's own error text or our description of the failure, truncated; never request content. */
  detail: Schema.String,
  retryAfterMs: Schema.optional(Schema.Number)
}) {
  override get message() {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return `${this.service} ${this.operation} failed${status}: ${this.detail}`
  }

  /** Network trouble, timeouts, rate limiting and 5xx may pass; 4xx, untrusted certificates and unreadable answers will not. */
  get transient(): boolean {
    switch (this.reason) {
      case "transport":
      case "timeout":
        return true
      case "tls":
      case "decode":
        return false
      case "status":
        return this.status === 429 || this.status === 500 || this.status === 502 || this.status === 503 ||
          this.status === 504
    }
  }

  get retryAfter(): Option.Option<Duration.Duration> {
    return Option.fromNullable(this.retryAfterMs).pipe(Option.map(Duration.millis))
  }

  get unauthorized(): boolean {
    return this.reason === "status" && this.status === 401
  }
}
