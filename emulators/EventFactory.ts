/**
 * Builders of the input shapes the Lambda accepts, for a given object, laid out like the AWS
 * documentation samples in `test/fixtures/events/`: the CloudTrail data event in its EventBridge
 * envelope (the primary path), S3's native EventBridge "Object Created" event, the classic S3
 * notification (`Records[]`), and SQS batches wrapping any of them. The demo and the
 * integration tests generate their events with these.
 */
import { randomUUID } from "node:crypto"

export interface ObjectRef {
  /** The bucket owner. */
  readonly account: string
  readonly region: string
  readonly bucket: string
  readonly key: string
  readonly versionId?: string | undefined
  readonly size?: number | undefined
  readonly etag?: string | undefined
}

/** How S3 notifications (classic and EventBridge) spell a key: form-URL-encoded, `/` kept, space as `+`. */
export const formEncode = (key: string): string =>
  key.split("/").map((segment) => encodeURIComponent(segment).replace(/%20/g, "+")).join("/")

const time = "2026-05-23T14:00:00Z"
const uploaderOf = (account: string) => `arn:aws:sts::${account}:assumed-role/Uploader/uploader`

export interface CloudTrailOptions {
  readonly eventName?: "PutObject" | "CompleteMultipartUpload" | "CopyObject" | "PostObject"
  /** The key as logged: raw (default) or form-encoded. */
  readonly keyAs?: "raw" | "encoded"
  /** The account whose EventBridge rule forwarded it (default: the bucket owner). */
  readonly envelopeAccount?: string
  /** The account CloudTrail says owns the bucket (default: the bucket owner). */
  readonly claimedOwner?: string
  readonly errorCode?: string
  readonly id?: string
}

/** "AWS API Call via CloudTrail" in its EventBridge envelope, as the central bus delivers it. */
export const cloudTrail = (object: ObjectRef, options: CloudTrailOptions = {}) => {
  const owner = options.claimedOwner ?? object.account
  const key = options.keyAs === "encoded" ? formEncode(object.key) : object.key
  const eventName = options.eventName ?? "PutObject"
  return {
    version: "0",
    id: options.id ?? randomUUID(),
    "detail-type": "AWS API Call via CloudTrail",
    source: "aws.s3",
    account: options.envelopeAccount ?? owner,
    time,
    region: object.region,
    resources: [],
    detail: {
      eventVersion: "1.09",
      userIdentity: {
        type: "AssumedRole",
        principalId: "AROAEXAMPLEID:uploader",
        arn: uploaderOf(owner),
        accountId: owner,
        accessKeyId: "ASIAEXAMPLEKEY"
      },
      eventTime: time,
      eventSource: "s3.amazonaws.com",
      eventName,
      awsRegion: object.region,
      sourceIPAddress: "198.51.100.7",
      userAgent: "[aws-cli/2.15.0]",
      requestParameters: {
        bucketName: object.bucket,
        Host: `${object.bucket}.s3.${object.region}.amazonaws.com`,
        key
      },
      responseElements: object.versionId === undefined && object.etag === undefined
        ? null
        : {
          ...(object.versionId === undefined ? {} : { "x-amz-version-id": object.versionId }),
          ...(object.etag === undefined ? {} : { ETag: object.etag })
        },
      additionalEventData: {
        SignatureVersion: "SigV4",
        AuthenticationMethod: "AuthHeader",
        ...(object.size === undefined ? {} : { bytesTransferredIn: object.size }),
        bytesTransferredOut: 0
      },
      ...(options.errorCode === undefined ? {} : { errorCode: options.errorCode, errorMessage: "Access Denied" }),
      requestID: randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase(),
      eventID: randomUUID(),
      readOnly: false,
      resources: [
        { type: "AWS::S3::Object", ARN: `arn:aws:s3:::${object.bucket}/${key}` },
        { accountId: owner, type: "AWS::S3::Bucket", ARN: `arn:aws:s3:::${object.bucket}` }
      ],
      eventType: "AwsApiCall",
      managementEvent: false,
      recipientAccountId: owner,
      eventCategory: "Data"
    }
  }
}

/** S3's own EventBridge "Object Created" event (the bucket's EventBridge notifications). */
export const s3EventBridge = (object: ObjectRef, options: { readonly id?: string; readonly reason?: string } = {}) => ({
  version: "0",
  id: options.id ?? randomUUID(),
  "detail-type": "Object Created",
  source: "aws.s3",
  account: object.account,
  time,
  region: object.region,
  resources: [`arn:aws:s3:::${object.bucket}`],
  detail: {
    version: "0",
    bucket: { name: object.bucket },
    object: {
      key: formEncode(object.key),
      ...(object.size === undefined ? {} : { size: object.size }),
      ...(object.etag === undefined ? {} : { etag: object.etag }),
      ...(object.versionId === undefined ? {} : { "version-id": object.versionId }),
      sequencer: "617f08299329d189"
    },
    "request-id": randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase(),
    requester: object.account,
    "source-ip-address": "198.51.100.7",
    reason: options.reason ?? "PutObject"
  }
})

let sequencer = 0x55aed6dcd90281e5n

/** One record of a classic S3 notification (the bucket is taken to be the Lambda's own account's). */
export const notificationRecord = (object: ObjectRef, eventName = "ObjectCreated:Put") => ({
  eventVersion: "2.1",
  eventSource: "aws:s3",
  awsRegion: object.region,
  eventTime: "2026-05-23T14:00:00.123Z",
  eventName,
  userIdentity: { principalId: "AWS:AIDAEXAMPLEUPLOADER" },
  requestParameters: { sourceIPAddress: "198.51.100.7" },
  responseElements: {
    "x-amz-request-id": randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase(),
    "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"
  },
  s3: {
    s3SchemaVersion: "1.0",
    configurationId: "scan-uploads",
    bucket: { name: object.bucket, ownerIdentity: { principalId: "A3NL1KOZZKExample" }, arn: `arn:aws:s3:::${object.bucket}` },
    object: {
      key: formEncode(object.key),
      ...(object.size === undefined ? {} : { size: object.size }),
      ...(object.etag === undefined ? {} : { eTag: object.etag }),
      ...(object.versionId === undefined ? {} : { versionId: object.versionId }),
      sequencer: (sequencer++).toString(16).toUpperCase()
    }
  }
})

/** A classic S3 notification, one record per object. */
export const notification = (objects: ReadonlyArray<ObjectRef>) => ({ Records: objects.map((o) => notificationRecord(o)) })

/** The event id the scanner gives a notification record: request id / sequencer. */
export const notificationEventId = (record: ReturnType<typeof notificationRecord>) =>
  `${record.responseElements["x-amz-request-id"]}/${record.s3.object.sequencer}`

/** `event` as an SNS topic delivers it to a subscribed queue without raw message delivery (the default). */
export const snsNotification = (event: unknown, topicArn = "arn:aws:sns:eu-west-1:111111111111:s3-object-created") => ({
  Type: "Notification",
  MessageId: randomUUID(),
  TopicArn: topicArn,
  Subject: "Amazon S3 Notification",
  Message: JSON.stringify(event),
  Timestamp: new Date().toISOString(),
  SignatureVersion: "1",
  Signature: "EXAMPLE",
  SigningCertURL: "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000.pem",
  UnsubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:0000`
})

export interface SqsMessage {
  readonly messageId: string
  readonly body: string
}

/** An SQS message whose body is `event` as JSON (or `raw` text as is). */
export const sqsMessage = (event: unknown, messageId: string = randomUUID()): SqsMessage => ({
  messageId,
  body: typeof event === "string" ? event : JSON.stringify(event)
})

/** The Lambda event of an SQS trigger. */
export const sqsBatch = (messages: ReadonlyArray<SqsMessage>, queueRegion = "eu-west-1") => ({
  Records: messages.map((m) => ({
    messageId: m.messageId,
    receiptHandle: `AQEB${m.messageId}`,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1779544800000",
      SenderId: "AIDAEXAMPLESENDER",
      ApproximateFirstReceiveTimestamp: "1779544800001"
    },
    messageAttributes: {},
    md5OfBody: "098f6bcd4621d373cade4e832627b4f6",
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:${queueRegion}:111111111111:scan-queue`,
    awsRegion: queueRegion
  }))
})
