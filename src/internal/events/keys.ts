/**
 * Object keys as events spell them. S3 notifications (classic and EventBridge) form-URL-encode
 * keys: `+` is a space and everything else non-trivial is a percent escape. CloudTrail most
 * likely logs the key as sent, but that is not settled, so its encoded reading is kept as the
 * alternate to try when the raw one is not found. S3 Batch Operations hands over the manifest's
 * URL-encoded key: S3 Inventory (and ListObjectsV2 `encoding-type=url`) write a space as `+`,
 * a hand-made CSV may percent-encode only.
 */
import { Option, Schema } from "effect"
import { ObjectKey } from "../../Domain.js"

/** S3 keys are at most 1024 bytes of UTF-8; percent-encoding can triple that. */
const MAX_WIRE_KEY = 3 * 1024

/** A key as it appears on the wire, before any decoding. */
export const WireKey = Schema.NonEmptyString.pipe(
  Schema.maxLength(MAX_WIRE_KEY, { message: () => "an S3 key is at most 1024 bytes (3072 characters encoded)" })
)

/** `application/x-www-form-urlencoded` decoding; none when an escape is malformed (`%`, `%zz`, a lone surrogate). */
export const formDecode = (text: string): Option.Option<string> => {
  try {
    return Option.some(decodeURIComponent(text.replaceAll("+", " ")))
  } catch {
    return Option.none()
  }
}

const otherThan = (primary: string, other: string): Option.Option<string> =>
  other === primary ? Option.none() : Option.some(other)

/** Percent-decoding only (`+` stays `+`); none when an escape is malformed. */
export const percentDecode = (text: string): Option.Option<string> => {
  try {
    return Option.some(decodeURIComponent(text))
  } catch {
    return Option.none()
  }
}

/**
 * A Batch Operations task's key: form-decoded first (`+` is a space, as S3 Inventory writes it,
 * and as AWS's own Batch Operations tooling reads it), percent-decoded only as the alternate (a
 * manifest that left a literal `+` unencoded); a malformed key is taken as is.
 */
export const manifestKey = (wire: string): ObjectKey => {
  const name = notifiedName(wire)
  const plusKept = Option.getOrElse(percentDecode(wire), () => wire)
  return new ObjectKey({ primary: name, alternate: otherThan(name, plusKept) })
}

/** The name a notification means by `wire`: decoded, or as is when malformed. */
export const notifiedName = (wire: string): string => Option.getOrElse(formDecode(wire), () => wire)

/** A notification's key: the decoded name first, the raw text as the alternate; a malformed key is taken as is. */
export const notificationKey = (wire: string): ObjectKey => {
  const name = notifiedName(wire)
  return new ObjectKey({ primary: name, alternate: otherThan(name, wire) })
}

/** A CloudTrail key: the raw text first, its form-decoded reading as the alternate. */
export const cloudTrailKey = (wire: string): ObjectKey =>
  new ObjectKey({ primary: wire, alternate: Option.flatMap(formDecode(wire), (decoded) => otherThan(wire, decoded)) })
