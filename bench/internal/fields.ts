/** The submission fields of a benchmark object, built as the scanner builds them (`fieldsOf`). */
import { Option } from "effect"
import { collect, type DataOriginShape } from "../../src/DataOrigin.js"
import { type AccountId, type BucketName, type Digests, ObjectCreated, ObjectKey, type Region } from "../../src/Domain.js"
import { fieldsOf, type SubmissionFields } from "../../src/Submission.js"

export const benchFields = (digests: Digests, key: string, dataOrigin: DataOriginShape = collect()): SubmissionFields =>
  fieldsOf({
    event: new ObjectCreated({
      eventId: `bench-${key}`,
      shape: "cloudtrail",
      eventName: "PutObject",
      eventTime: Option.none(),
      account: "111111111111" as AccountId,
      region: "eu-west-1" as Region,
      bucket: "bench" as BucketName,
      key: ObjectKey.exact(key),
      versionId: Option.none(),
      size: Option.some(digests.bytes),
      etag: Option.none(),
      uploader: Option.none(),
      sourceIp: Option.none()
    }),
    opened: { key, versionId: Option.none(), etag: Option.none() },
    mimetype: "application/octet-stream",
    digests,
    timestamp: new Date(),
    dataOrigin
  })
