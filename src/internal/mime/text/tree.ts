/** `text/plain` and the text formats beneath it, in mimetype's order (the first that matches wins). */
import { charsetOfPlain } from "../charset.js"
import type { Node } from "../node.js"
import { csv, tsv } from "./csv.js"
import { icalendar, netpbmNodes, rfc822, rtf, subrip, vcard, warc, webvtt } from "./formats.js"
import { json, ndjson } from "./json.js"
import { isText } from "./plain.js"
import { javascript, lua, perl, php, python, ruby, shell, tcl } from "./scripts.js"
import { html, svg, xml } from "./sgml.js"

export const text: Node = {
  mime: "text/plain",
  test: isText,
  charset: charsetOfPlain,
  children: [
    svg, html, xml, php, javascript, lua, perl, python, ruby, json, ndjson, rtf, subrip, tcl, csv, tsv,
    vcard, icalendar, warc, webvtt, shell, ...netpbmNodes, rfc822
  ]
}
