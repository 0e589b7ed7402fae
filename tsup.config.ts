import { defineConfig } from "tsup"

// One minified ESM bundle for Lambda (nodejs22.x); `require` is defined for the CJS parts of the AWS SDK.
export default defineConfig({
  entry: { index: "src/lambda.ts" },
  outDir: "dist/lambda",
  format: ["esm"],
  outExtension: () => ({ js: ".mjs" }),
  platform: "node",
  target: "node20",
  bundle: true,
  noExternal: [/.*/],
  minify: true,
  sourcemap: false,
  splitting: false,
  clean: true,
  // NodeHttpClient drags in undici for layers we do not use (see src/internal/undiciUnused.ts).
  esbuildOptions(options) {
    options.alias = { undici: "./src/internal/undiciUnused.ts" }
  },
  banner: {
    js: `import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);`
  }
})
