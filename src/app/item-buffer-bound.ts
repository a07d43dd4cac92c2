// The buffer bound of one item read the way a child reads it (copy-item.ts): one stream, or --range-streams
// ranges at or above the cutoff, each holding a part buffer and a connection's buffer (range-reader.ts). The
// memory plan (memory-setup.ts) and admission (run, plan) both count by it, so they cannot disagree.
import { DOWNLOAD_BUFFER_BYTES } from '../source/drive/download.js';
import { MIB, choosePartSize, predictBufferBytes } from '../target/s3/part-size.js';
import { rangeQueueSize, readsAsRanges } from '../copy/range-reader.js';

/** The settings the bound depends on (a Settings satisfies it). */
export interface ItemBufferSettings {
  partSizeMb: number;
  uploadQueueSize: number;
  /** --range-streams: 1 reads every file as one stream. */
  rangeStreams: number;
  /** --range-cutoff-mb: files at or above it are read as ranges. */
  rangeCutoffMb: number;
}

/** Bytes one item of `size` holds when read over `streams` connections: their part buffers and connection buffers. */
function boundOver(size: number | null, partSize: number, streams: number, uploadQueueSize: number): number {
  return predictBufferBytes({ size, partSize, queueSize: rangeQueueSize(streams, uploadQueueSize), streamHighWaterMark: streams * DOWNLOAD_BUFFER_BYTES });
}

/** Connections a child reads a file of `size` bytes over (null: an export of unknown length): 1, or --range-streams. */
export function streamsFor(size: number | null, s: ItemBufferSettings): number {
  const ranged = readsAsRanges(size, choosePartSize(size, s.partSizeMb), { rangeStreams: s.rangeStreams, rangeCutoffBytes: s.rangeCutoffMb * MIB });
  return ranged ? s.rangeStreams : 1;
}

/** The bound of one item of `size` bytes: what admission counts. */
export function itemBufferBytes(size: number | null, s: ItemBufferSettings): number {
  return boundOver(size, choosePartSize(size, s.partSizeMb), streamsFor(size, s), s.uploadQueueSize);
}

/** The bound of an ordinary large item at the configured part size, read as ranges: what the plan sizes a child by. */
export function largeItemBufferBytes(s: ItemBufferSettings): number {
  return boundOver(null, s.partSizeMb * MIB, s.rangeStreams, s.uploadQueueSize);
}
