/**
 * Outcomes as CloudWatch Embedded Metric Format: the one log line per event is also the
 * metric, so dashboards and alarms need no PutMetricData calls (and no extra latency or cost).
 */
import type { Outcome } from "./Outcome.js"

export const namespace = "Highvolt/S3Scanner"

/**
 * The EMF document of one outcome: metrics `Events`, `BytesScanned`, `ScanDuration` by Outcome
 * (and Reason), and the same by Source (`realtime`/`backfill`) so dashboards tell a backfill apart.
 * The sets without Source stay as they were: the alarms are defined on them.
 */
export const emfDocument = (outcome: Outcome, now: number): Record<string, unknown> => {
  const reason = outcome.outcome === "skipped" ? outcome.reason : undefined
  const dimensions: Array<Array<string>> = [[], ["Outcome"], ["Source", "Outcome"]]
  if (reason !== undefined) dimensions.push(["Outcome", "Reason"], ["Source", "Outcome", "Reason"])
  return {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [{
        Namespace: namespace,
        Dimensions: dimensions,
        Metrics: [
          { Name: "Events", Unit: "Count" },
          { Name: "BytesScanned", Unit: "Bytes" },
          { Name: "ScanDuration", Unit: "Milliseconds" }
        ]
      }]
    },
    Outcome: outcome.outcome,
    Source: outcome.source,
    ...(reason === undefined ? {} : { Reason: reason }),
    Events: 1,
    BytesScanned: outcome.bytes ?? 0,
    ScanDuration: outcome.ms,
    ...outcome
  }
}
