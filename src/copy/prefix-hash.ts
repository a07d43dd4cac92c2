// A resume in a fresh process has the parts already in S3 but not the digest of their bytes (node's hash
// state cannot leave the process that built it: see s3/content-digest.ts). So the download starts at byte 0
// again and the first `bytes` go into the digest only; the stream handed on starts at the resume offset,
// exactly what a Range download from there would have been. No part is uploaded twice.
import { pipeline, Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { ItemError } from '../errors.js';
import type { PartDigest } from '../s3/part-reader.js';

/**
 * `source` (from byte 0) with its first `bytes` fed to `digest` and dropped; `onHashed` runs once they all
 * were. Errors and destroy() pass both ways.
 */
export function hashPrefix(source: Readable, bytes: number, digest: PartDigest, onHashed: () => void = () => undefined): Readable {
  let left = bytes;
  const rest = new Transform({
    // The same bound as the download it wraps: this adds no buffering of its own beyond one chunk.
    highWaterMark: source.readableHighWaterMark,
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      if (left === 0) {
        callback(null, chunk);
        return;
      }
      const take = Math.min(left, chunk.length);
      digest.update(chunk.subarray(0, take));
      left -= take;
      if (left === 0) onHashed();
      callback(null, take < chunk.length ? chunk.subarray(take) : undefined);
    },
    flush(callback: TransformCallback) {
      callback(left > 0 ? new ItemError(`download ended ${left} bytes before the resume offset ${bytes}`, true, 'source-size-mismatch') : null);
    },
  });
  // pipeline destroys the download when `rest` is destroyed (the upload gave up) and fails `rest` with the
  // download's error.
  pipeline(source, rest, () => undefined);
  return rest;
}
