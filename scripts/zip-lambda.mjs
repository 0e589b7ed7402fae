// Packages the tsup bundle as dist/lambda.zip (handler `index.handler`), byte-for-byte reproducible.
import { readFileSync, writeFileSync } from "node:fs"
import { zipSync } from "fflate"

const fixedTime = new Date("2020-01-01T00:00:00Z")
const bundle = readFileSync("dist/lambda/index.mjs")
const zip = zipSync({ "index.mjs": [bundle, { level: 9, mtime: fixedTime }] })
writeFileSync("dist/lambda.zip", zip)
console.log(`dist/lambda.zip: ${zip.length} bytes (bundle ${bundle.length} bytes)`)
