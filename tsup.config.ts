import { defineConfig, type Options } from "tsup"

// Self-contained minified ESM bundles (target node20, run on Lambda nodejs22.x): nothing is
// installed beside them. `require` is defined for the CJS parts of the AWS SDK.
const bundle: Options = {
  format: ["esm"],
  outExtension: () => ({ js: ".mjs" }),
  platform: "node",
  target: "node20",
  bundle: true,
  noExternal: [/.*/],
  minify: true,
  sourcemap: false,
  splitting: false,
  banner: {
    js: `import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);`
  }
}

/**
 * The Lambda bundle (exported for the cold-start bench, which rebuilds it with a metafile). Split:
 * what a dynamic `import()` loads (the SDK's credential providers other than the environment's,
 * which a Lambda never reaches; what the first event needs later) goes into `chunks/`, so the
 * import parses only what the entry needs. The chunk names hash their content: the build, and so
 * the zip, stay reproducible.
 */
export const lambdaBundle: Options = {
  ...bundle,
  entry: { index: "src/lambda.ts" },
  outDir: "dist/lambda",
  clean: true,
  splitting: true,
  esbuildOptions(options) {
    options.chunkNames = "chunks/[name]-[hash]"
    // NodeHttpClient drags in undici for layers we do not use (see src/internal/undiciUnused.ts),
    // Schema fast-check for arbitraries we never build (src/internal/fastCheckUnused.ts).
    options.alias = { undici: "./src/internal/undiciUnused.ts", "fast-check": "./src/internal/fastCheckUnused.ts" }
  }
}

export default defineConfig([
  lambdaBundle,
  {
    ...bundle,
    entry: { main: "src/cli/main.ts" },
    outDir: "dist/cli",
    // The emulators come along for `demo`, `local` and `--local`. The shebang of src/cli/main.ts
    // is kept, and tsup makes the file executable.
    clean: true
  }
])
