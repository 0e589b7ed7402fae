/**
 * A small XML reader for the request bodies REST-XML clients send (S3 Control's CreateJob):
 * elements, text and the five predefined entities, which is all the AWS SDK writes. Anything
 * else (a DTD, an unclosed element) is malformed, as AWS's own parser would answer.
 */

export interface XmlElement {
  readonly name: string
  readonly children: ReadonlyArray<XmlElement>
  readonly text: string
}

const entities: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'" }

const unescape = (s: string) =>
  s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, name: string) =>
    name.startsWith("#x")
      ? String.fromCodePoint(parseInt(name.slice(2), 16))
      : name.startsWith("#")
      ? String.fromCodePoint(parseInt(name.slice(1), 10))
      : entities[name] ?? whole)

const token = /<\/?([A-Za-z_][\w.-]*)(?:\s+[^>]*?)?(\/?)>|<\?[^>]*\?>|([^<]+)/gy

/** The document's root element, or `undefined` when the text is not well-formed XML of that kind. */
export const parseXml = (text: string): XmlElement | undefined => {
  interface Open {
    readonly name: string
    readonly children: Array<XmlElement>
    text: string
  }
  const stack: Array<Open> = [{ name: "", children: [], text: "" }]
  token.lastIndex = 0
  let position = 0
  while (position < text.length) {
    const m = token.exec(text)
    if (m === null || m.index !== position) return undefined
    position = token.lastIndex
    const [whole, name, selfClosing, chars] = m
    const top = stack[stack.length - 1]!
    if (chars !== undefined) top.text += unescape(chars)
    else if (name === undefined) continue
    else if (whole.startsWith("</")) {
      if (stack.length < 2 || top.name !== name) return undefined
      stack.pop()
      stack[stack.length - 1]!.children.push({ name, children: top.children, text: top.text.trim() })
    } else if (selfClosing === "/") top.children.push({ name, children: [], text: "" })
    else stack.push({ name, children: [], text: "" })
  }
  const root = stack[0]!
  return stack.length === 1 && root.children.length === 1 && root.text.trim() === "" ? root.children[0] : undefined
}

export const child = (element: XmlElement | undefined, name: string): XmlElement | undefined =>
  element?.children.find((c) => c.name === name)

/** The text of the child `name`, `undefined` when there is no such child. */
export const textOf = (element: XmlElement | undefined, name: string): string | undefined => child(element, name)?.text
