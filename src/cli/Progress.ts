/** A progress bar on stderr, drawn only when stderr is a terminal (never in logs or pipes). */
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
