/** The Lambda entry point: `index.handler` in the bundle. */
import { Layer, Logger } from "effect"
import { AppLayer } from "./AppLayer.js"
import { tuneHeapForStreaming } from "./HeapTuning.js"
import { makeHandler } from "./LambdaHandler.js"
import { OutcomeLog } from "./OutcomeLog.js"

tuneHeapForStreaming()

const lambda = makeHandler(Layer.mergeAll(AppLayer, OutcomeLog.layer).pipe(Layer.provide(Logger.json)))

export const handler = lambda.handler

// Lambda sends SIGTERM before shutting a container down (when extensions are registered).
process.once("SIGTERM", () => {
  void lambda.dispose().finally(() => process.exit(0))
})
