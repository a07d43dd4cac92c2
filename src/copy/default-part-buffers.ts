// --child-part-buffers when unset: the one rule the supervisor plans memory by (app/memory-setup.ts) and a
// child falls back to when its init message lacks the number (copy-options.ts).
import { rangeQueueSize } from './range-reader.js';

/** One buffer per item in flight, and never fewer than one item's own queue (more when it is read as ranges). */
export function defaultPartBuffers(concurrency: number, uploadQueueSize: number, rangeStreams: number): number {
  return Math.max(concurrency, rangeQueueSize(rangeStreams, uploadQueueSize));
}
