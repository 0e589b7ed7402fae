// Preloaded (`node --import`) into a process the bench does not otherwise control (the shipped
// CLI): at exit, prints the whole process's wall time, CPU and peak RSS as one `BENCH {…}` line
// on stderr, which the CLI keeps free of outcomes.
import { writeSync } from "node:fs"

process.once("exit", () => {
  const cpu = process.cpuUsage()
  const process_ = { wallS: process.uptime(), userS: cpu.user / 1e6, sysS: cpu.system / 1e6 }
  writeSync(2, `\nBENCH ${JSON.stringify({ process: process_, maxRssKiB: process.resourceUsage().maxRSS })}\n`)
})
