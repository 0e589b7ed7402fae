// Child process of the cold-start section, plain JavaScript so that nothing but Node and the
// bundle is loaded: imports the built Lambda bundle (argv[2], a file URL) and, with an event file
// (argv[3]), invokes its handler once against the local stack (the env points at it). Prints
// one `BENCH {…}` line (with the process's CPU time); the handler's own outcome log line goes to stdout too.
import { readFileSync } from "node:fs"

const started = performance.now()
const bundle = await import(process.argv[2])
const imported = performance.now()
let outcome = null
if (process.argv[3] !== undefined) {
  const event = JSON.parse(readFileSync(process.argv[3], "utf8"))
  try {
    await bundle.handler(event, { getRemainingTimeInMillis: () => 120_000 })
    outcome = "ok"
  } catch (error) {
    outcome = `handler threw: ${error instanceof Error ? error.message : String(error)}`
  }
}
const done = performance.now()
const cpu = process.cpuUsage()
process.stdout.write(`BENCH ${JSON.stringify({ importMs: imported - started, handlerMs: done - imported, outcome, uptimeMs: process.uptime() * 1000, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`)
process.exit(0)
