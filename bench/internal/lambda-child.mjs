// Child process of the large-object rounds (internal/gib.ts), plain JavaScript so that nothing
// but Node and the bundle is loaded, started with Lambda's own node flags: imports the built
// Lambda bundle (argv[2], a file URL), invokes its handler with each warm-up event (argv[3],
// untimed: layer build, first clients, a spool file; none when the file holds []) and then, timed, with the measured event (argv[4]); the
// env points at the local stack. Prints one `BENCH {…}` line; the handler's outcome log lines
// go to stdout too.
import { readFileSync } from "node:fs"

const bundle = await import(process.argv[2])
const context = { getRemainingTimeInMillis: () => 900_000 }
const events = (file) => JSON.parse(readFileSync(file, "utf8"))
for (const warmup of events(process.argv[3])) await bundle.handler(warmup, context)
const event = events(process.argv[4])[0]
globalThis.gc?.()
const rssBeforeKiB = Math.round(process.memoryUsage.rss() / 1024)
const cpu = process.cpuUsage()
const start = process.hrtime.bigint()
await bundle.handler(event, context)
const wallS = Number(process.hrtime.bigint() - start) / 1e9
const used = process.cpuUsage(cpu)
const scan = { wallS, userS: used.user / 1e6, sysS: used.system / 1e6 }
const total = process.cpuUsage()
const whole = { wallS: process.uptime(), userS: total.user / 1e6, sysS: total.system / 1e6 }
process.stdout.write(`BENCH ${JSON.stringify({ scan, rssBeforeKiB, maxRssKiB: process.resourceUsage().maxRSS, process: whole })}\n`)
process.exit(0)
