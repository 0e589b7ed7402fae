/**
 * V8 heap tuning for a process that streams large objects off sockets; called once by each
 * entry point (the Lambda module, the CLI) before any object is read.
 *
 * Why: every socket read hands Node a freshly allocated buffer (64 KiB over plain HTTP, one
 * per 16 KiB record under TLS), and V8 counts that external memory against the old
 * generation's headroom. With the default growing factor the headroom over the scanner's small
 * heap (~15 MB in the bundle) is ~16 MB, so a download started a full mark-compact every
 * ~8 MB of body: measured on a 512 MiB duplicate scan of the bundle under Lambda's own node
 * flags, about 40% of the CPU went to those collections. A growing factor of 3 leaves twice
 * the live heap as headroom: the same scan took 3.1–4.2 CPU s instead of 5.4–8.0 (three
 * alternating rounds each), for ~10 MB more peak RSS.
 *
 * The flag is read by V8 each time it recomputes the heap limit, so setting it at run time
 * takes effect from the next collection on (Node starts V8 with `--no-freeze-flags-after-init`
 * so that `v8.setFlagsFromString` keeps working). It cannot be passed in `NODE_OPTIONS` (which
 * Lambda would need), hence here. V8 still caps the limit halfway between the live size and
 * the old-space maximum (90% of a Lambda's memory), so a small function is not pushed towards
 * running out of memory.
 */
import { setFlagsFromString } from "node:v8"

/** Heap limit after each full collection: live size × (1 + HeapGrowingPercent / 100). */
export const HeapGrowingPercent = 200

export const tuneHeapForStreaming = (): void => {
  setFlagsFromString(`--heap-growing-percent=${HeapGrowingPercent}`)
}
