// Packages the tsup bundle as dist/lambda.zip (handler `index.handler`), byte-for-byte
// reproducible: every file of dist/lambda (the entry index.mjs and the chunks/ it imports), in
// name order, with a fixed time.
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, relative, sep } from "node:path"
import { zipSync } from "fflate"

const root = "dist/lambda"
const fixedTime = new Date("2020-01-01T00:00:00Z")
const filesUnder = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
const names = filesUnder(root).map((f) => relative(root, f).split(sep).join("/")).sort()
if (!names.includes("index.mjs")) throw new Error(`${root}/index.mjs is missing: run tsup first`)
let bytes = 0
const entries = {}
for (const name of names) {
  const data = readFileSync(join(root, name))
  bytes += data.length
  entries[name] = [data, { level: 9, mtime: fixedTime }]
}
const zip = zipSync(entries)
writeFileSync("dist/lambda.zip", zip)
console.log(`dist/lambda.zip: ${zip.length} bytes (${names.length} files, ${bytes} bytes)`)
