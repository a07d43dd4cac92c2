// Part-size arithmetic and the per-item memory bound the supervisor admits work against.
// S3 limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): at most 10,000 parts,
// each 5 MiB to 5 GiB except the last.

export const MIB = 1024 * 1024;
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 5 * MIB;
export const MAX_PART_SIZE = 5 * 1024 * MIB;

/**
 * Part size for an object: `partSizeMb` MiB, grown (rounded up to a whole MiB) when the object would
 * otherwise need more than 10,000 parts.
 *
 * Unknown size (Drive exports): the configured part size is used as is, which caps the object at
 * partSize × 10,000 (5 MiB parts → 48.8 GiB). An export larger than that fails with `too-many-parts`;
 * raise --part-size-mb if that ever matters (Drive caps an export at 10 MB).
 */
export function choosePartSize(size: number | null, partSizeMb: number): number {
  const configured = partSizeMb * MIB;
  if (size === null) return configured;
  const minimum = Math.ceil(Math.ceil(size / MAX_PARTS) / MIB) * MIB;
  return Math.min(Math.max(configured, minimum), MAX_PART_SIZE);
}

/** Number of parts for a known size (0 bytes still makes one, empty, object). */
export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}

/** The largest object a given part size can hold. */
export function maxObjectBytes(partSize: number): number {
  return partSize * MAX_PARTS;
}

export interface BufferPrediction {
  /** Object size when known; null for streams of unknown length. */
  size: number | null;
  partSize: number;
  queueSize: number;
  /**
   * Sum of the high-water marks of the stream stages in front of the upload (HTTP response, hashing
   * transforms, ...). It is counted twice: once for the buffered stages, once for the single chunk the
   * part reader holds across a part boundary (chunks are assumed not to exceed the pipeline's marks).
   */
  streamHighWaterMark: number;
}

/** The stream buffers of one upload: the stages' high-water marks plus one chunk held across a part boundary. */
export function streamBufferBytes(streamHighWaterMark: number): number {
  return 2 * streamHighWaterMark;
}

/**
 * Upper bound of the bytes one upload holds: the part reader (see copy/part-buffers.ts) never holds more
 * than `queueSize` part buffers at once — the one being filled counts against the queue — and each is at
 * most one part long; an object smaller than one part gets a buffer of its exact size.
 */
export function predictBufferBytes(p: BufferPrediction): number {
  const streams = streamBufferBytes(p.streamHighWaterMark);
  if (p.size !== null && p.size <= p.partSize) return p.size + streams;
  const parts = p.size === null ? p.queueSize : Math.min(p.queueSize, partCount(p.size, p.partSize));
  return parts * p.partSize + streams;
}
