/**
 * Child process of `HeapTuning.test.ts`: allocates 1 GiB in 64 KiB buffers, dropped at once
 * (what a download does with socket reads) over a small live heap, and prints how many full
 * (major) collections that caused. With argument `tuned`, `tuneHeapForStreaming` runs first.
 */
import { constants, PerformanceObserver } from "node:perf_hooks"
import { tuneHeapForStreaming } from "../../src/HeapTuning.js"

if (process.argv[2] === "tuned") tuneHeapForStreaming()

// A live heap of about the bundle's size (~15 MB).
const live = Array.from({ length: 150_000 }, (_, i) => ({ i, s: `x${i}`, a: [i, i + 1] }))
let majors = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const detail = (entry as PerformanceEntry & { readonly detail?: { readonly kind?: number } }).detail
    if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++
  }
}).observe({ entryTypes: ["gc"] })

let touched = 0
for (let i = 0; i < 16384; i++) {
  const buffer = Buffer.allocUnsafe(64 * 1024)
  buffer[0] = i & 0xff
  touched += buffer[0]! >= 0 ? 1 : 0
  // Yield now and then, as a stream does between reads (lets V8 run its GC tasks).
  if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve))
}
// GC entries are delivered asynchronously.
setTimeout(() => process.stdout.write(JSON.stringify({ majors, touched, live: live.length }) + "\n"), 50)
