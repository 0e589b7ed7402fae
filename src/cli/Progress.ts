/** Progress bars on stderr, drawn only when stderr is a terminal (never in logs or pipes). */
import { Effect } from "effect"

export interface Progress {
  readonly advance: (by: number) => Effect.Effect<void>
  readonly finish: Effect.Effect<void>
}

export const progress = (total: number, stream: NodeJS.WriteStream = process.stderr): Progress => {
  if (!stream.isTTY || total === 0) return { advance: () => Effect.void, finish: Effect.void }
  let done = 0
  const draw = () => {
    const width = 30
    const filled = Math.round((done / total) * width)
    stream.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}`)
  }
  return {
    advance: (by) => Effect.sync(() => {
      done += by
      draw()
    }),
    finish: Effect.sync(() => stream.write("\r\x1b[2K"))
  }
}

export interface TransferProgress {
  /** Objects listed (to be scanned), with their bytes. */
  readonly listed: (objects: number, bytes: number) => Effect.Effect<void>
  /** The listing is complete: the totals are final. */
  readonly listingDone: Effect.Effect<void>
  /** Objects whose scan ended, with their bytes. */
  readonly advance: (objects: number, bytes: number) => Effect.Effect<void>
  readonly finish: Effect.Effect<void>
}

const units = ["B", "KB", "MB", "GB", "TB"]

/** `1.5 MB`: decimal units, as S3's console and bills count. */
export const formatBytes = (bytes: number): string => {
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit += 1
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

const formatDuration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds))
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)]
  return `${h > 0 ? `${h}:${String(m).padStart(2, "0")}` : m}:${String(s % 60).padStart(2, "0")}`
}

/**
 * A progress bar of objects and bytes (done / total, rate, ETA) on stderr when it is a terminal.
 * The totals grow while the listing runs ahead of the scans (shown with a `+`); the ETA is the
 * bytes still to go at the byte rate so far. Redrawn at most ten times a second.
 */
export const transferProgress = (enabled: boolean, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): TransferProgress => {
  if (!enabled || !stream.isTTY) {
    return { listed: () => Effect.void, listingDone: Effect.void, advance: () => Effect.void, finish: Effect.void }
  }
  const started = now()
  let [totalObjects, totalBytes, doneObjects, doneBytes, listing, drawnAt] = [0, 0, 0, 0, true, 0]
  const draw = (force = false) => {
    const t = now()
    if (!force && t - drawnAt < 100) return
    drawnAt = t
    const width = 24
    const ratio = totalBytes > 0 ? doneBytes / totalBytes : totalObjects > 0 ? doneObjects / totalObjects : 0
    const filled = Math.min(width, Math.round(ratio * width))
    const seconds = Math.max(0.001, (t - started) / 1000)
    const more = listing ? "+" : ""
    const eta = !listing && doneBytes > 0 ? ` ETA ${formatDuration((totalBytes - doneBytes) / (doneBytes / seconds))}` : ""
    stream.write(
      `\r\x1b[2K[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${doneObjects}/${totalObjects}${more} objects, ` +
        `${formatBytes(doneBytes)}/${formatBytes(totalBytes)}${more}, ${(doneObjects / seconds).toFixed(1)} obj/s, ` +
        `${formatBytes(doneBytes / seconds)}/s${eta}`
    )
  }
  return {
    listed: (objects, bytes) => Effect.sync(() => {
      totalObjects += objects
      totalBytes += bytes
      draw()
    }),
    listingDone: Effect.sync(() => {
      listing = false
      draw(true)
    }),
    advance: (objects, bytes) => Effect.sync(() => {
      doneObjects += objects
      doneBytes += bytes
      draw()
    }),
    finish: Effect.sync(() => stream.write("\r\x1b[2K"))
  }
}
