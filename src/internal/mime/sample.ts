/**
 * How many leading bytes mimetype v1.4.13 reads (its default read limit). Our own checks look
 * at no more, so that they answer as mimetype does; a sample shorter than this is the whole file.
 */
export const SAMPLE_BYTES = 3072
