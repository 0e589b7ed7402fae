/** The per-IP token bucket in front of highvolt's and JSONAir's auth endpoints (x/time/rate semantics). */
export interface RateLimit {
  /** Tokens a fresh client may spend at once (5 on the real servers). */
  readonly burst: number
  /** One token comes back every `refillMs` (12 s: 5 per minute). */
  readonly refillMs: number
}

export const defaultAuthRateLimit: RateLimit = { burst: 5, refillMs: 12_000 }

export interface TokenBuckets {
  /** Takes a token for `ip`; false means answer 429. */
  readonly take: (ip: string, nowMs: number) => boolean
  readonly reset: () => void
  readonly configure: (limit: RateLimit) => void
}

export const makeTokenBuckets = (initial: RateLimit): TokenBuckets => {
  let limit = initial
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take: (ip, now) => {
      const bucket = buckets.get(ip) ?? { tokens: limit.burst, at: now }
      bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.at) / limit.refillMs)
      bucket.at = now
      buckets.set(ip, bucket)
      if (bucket.tokens < 1) return false
      bucket.tokens -= 1
      return true
    },
    reset: () => buckets.clear(),
    configure: (next) => {
      limit = next
      buckets.clear()
    }
  }
}
