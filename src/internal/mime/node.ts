/**
 * mimetype's detection tree: a node passes its test, then the first child whose test passes
 * refines it, recursively. Children are only tried once their parent has matched, which keeps
 * the order (and so the answer for ambiguous input) the same as mimetype's.
 */
export interface Node {
  readonly mime: string
  /** Looks at the sample: at most TEXT_LIMIT leading bytes, as mimetype reads. */
  readonly test: (sample: Uint8Array) => boolean
  readonly children?: ReadonlyArray<Node>
  /** A sub-type decided from the whole head when no child matched (OLE directories lie deep). */
  readonly subtype?: (head: Uint8Array) => string | undefined
  /** The charset parameter, for the text types mimetype gives one. */
  readonly charset?: (sample: Uint8Array) => string | undefined
}

export const node = (mime: string, test: Node["test"], children?: ReadonlyArray<Node>): Node =>
  children === undefined ? { mime, test } : { mime, test, children }

/** The most specific name under `n` (which has matched), with its charset parameter. */
export const refine = (n: Node, sample: Uint8Array, head: Uint8Array): string => {
  for (const child of n.children ?? []) {
    if (child.test(sample)) return refine(child, sample, head)
  }
  const sub = n.subtype?.(head)
  if (sub !== undefined) return sub
  // mimetype looks for the charset in the first 1024 bytes only.
  const charset = n.charset?.(sample.subarray(0, 1024))
  return charset === undefined ? n.mime : `${n.mime}; charset=${charset}`
}

/** The first of `nodes` that matches, refined; undefined when none does. */
export const firstMatch = (nodes: ReadonlyArray<Node>, sample: Uint8Array, head: Uint8Array): string | undefined => {
  for (const n of nodes) if (n.test(sample)) return refine(n, sample, head)
  return undefined
}
