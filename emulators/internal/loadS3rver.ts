/**
 * Loads s3rver on demand (koa and friends cost ~100 ms; only the local stack needs them).
 *
 * Under tsx on Node 20, `require("generator-function")` (deep in koa) yields that package's
 * ESM namespace instead of its function, and s3rver's constructor dies with "getGeneratorFunction
 * is not a function". Replacing the cached export with the function fixes it for every requirer.
 */
import { createRequire } from "node:module"

const repairGeneratorFunction = () => {
  try {
    const require = createRequire(import.meta.url)
    const fromKoaDeps = createRequire(require.resolve("is-generator-function"))
    const loaded = fromKoaDeps("generator-function") as unknown
    if (typeof loaded === "function") return
    const entry = require.cache[fromKoaDeps.resolve("generator-function")]
    const fn = (loaded as { default?: unknown }).default
    if (entry !== undefined && typeof fn === "function") entry.exports = fn
  } catch {
    // Bundled, or laid out differently: nothing to repair.
  }
}

export const loadS3rver = async () => {
  repairGeneratorFunction()
  const { default: S3rver } = await import("s3rver")
  return S3rver
}
