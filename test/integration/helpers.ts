/**
 * Integration harness: the embedded local stack and Lambda containers of the PRODUCTION
 * application layer (`../helpers/localStackHarness.ts`), plus content and assertion helpers.
 *
 * Every socket this process opens is checked: anything but loopback is refused and reported.
 */
export { type Container, newContainer, nonLoopbackConnections, type Stack, startStack, useStack } from "../helpers/localStackHarness.js"
export * from "../helpers/stackQueries.js"

/** The product page's submission fields, and the `s3` block this client adds. */
export const productFields = ["mimetype", "timestamp", "file_data", "sha256", "sha1", "md5", "app", "full_path", "filename", "data_origin"] as const
