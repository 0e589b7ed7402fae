/** Scripts recognised by their `#!` line (and PHP also by its opening tag), as mimetype lists them. */
import { Cursor } from "../cursor.js"
import { node, type Node } from "../node.js"
import { CompactWs, FullWord, IgnoreCase, match } from "../pattern.js"

/** The interpreter paths a shebang may name, each with and without `/usr/bin/env` (and `env -S`). */
const interpreters = (direct: ReadonlyArray<string>, viaEnv: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...direct,
  ...viaEnv.flatMap((name) => [`/usr/bin/env ${name}`, `/usr/bin/env -S ${name}`])
]

/** Whether the first line is `#!`, optional spaces, then one of `paths` (matched with `flags`). */
const shebang = (flags: number, paths: ReadonlyArray<string>) => (sample: Uint8Array): boolean => {
  const line = new Cursor(sample).line()
  if (line.length < 2 || line[0] !== 0x23 || line[1] !== 0x21) return false
  const rest = new Cursor(line, 2)
  rest.skipSpace()
  return paths.some((p) => match(line, rest.pos, p, flags) !== -1)
}

/** A case-insensitive prefix that must be followed by at least one more byte, as mimetype's ciPrefix. */
export const caseInsensitivePrefix = (...sigs: ReadonlyArray<string>) => (sample: Uint8Array): boolean =>
  sigs.some((sig) => sample.length > sig.length && match(sample, 0, sig, IgnoreCase) === sig.length)

const phpPage = caseInsensitivePrefix("<?PHP", "<?\n", "<?\r", "<? ")
const phpScript = shebang(CompactWs, interpreters(["/usr/local/bin/php", "/usr/bin/php"], ["php"]))

export const php: Node = node("text/x-php", (sample) => phpPage(sample) || phpScript(sample))

export const javascript: Node = node("text/javascript", shebang(CompactWs, interpreters(
  ["/bin/node", "/usr/bin/node", "/bin/nodejs", "/usr/bin/nodejs"],
  ["node", "nodejs"]
)))

export const lua: Node = node("text/x-lua", shebang(CompactWs | FullWord, interpreters(
  ["/usr/bin/lua", "/usr/local/bin/lua"],
  ["lua"]
)))

export const perl: Node = node("text/x-perl", shebang(CompactWs | FullWord, interpreters(["/usr/bin/perl"], ["perl"])))

export const python: Node = node("text/x-python", shebang(CompactWs, ["python", "python2", "python3"].flatMap((v) =>
  interpreters([`/usr/bin/${v}`, `/usr/local/bin/${v}`], [v])
)))

export const ruby: Node = node("text/x-ruby", shebang(CompactWs, interpreters(
  ["/usr/bin/ruby", "/usr/local/bin/ruby"],
  ["ruby"]
)))

export const tcl: Node = node("text/x-tcl", shebang(CompactWs, ["tcl", "tclsh", "wish"].flatMap((v) =>
  interpreters([`/usr/bin/${v}`, `/usr/local/bin/${v}`], [v])
)))

export const shell: Node = node("text/x-shellscript", shebang(CompactWs | FullWord, [
  "/bin/sh",
  ...interpreters(["/bin/bash", "/usr/local/bin/bash"], ["bash"]),
  ...["csh", "dash", "ksh", "tcsh", "zsh"].flatMap((v) => interpreters([`/bin/${v}`, `/usr/local/bin/${v}`], [v]))
]))
