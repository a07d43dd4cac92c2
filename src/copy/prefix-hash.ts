// A resume in a fresh process has the parts already in S3 but, without a saved digest state (an older
// journal, a state that does not load, parts ListParts no longer confirms), not the digest of their bytes.
// So the download starts at byte 0 again and the first `bytes` go into the digest only; the source handed
// on is then at the resume offset, exactly what a Range download from there would have been. No part is
// uploaded twice; copy-item.ts bounds how long a prefix may be read this way (--resume-reread-max-mb).
//
// Memory: the prefix is read inside the same bounds as the upload (issue 20, point 1: a child re-reading
// 200 MiB through fresh 64 KiB chunks that no GC was asked to collect passed its hard cap). It is read into
// one part buffer borrowed from the child's pool (the memory plan counts those), reused for the whole
// prefix; a chunked source's chunks are told to the GC pacer (child/gc-pacer.ts), as the upload's own are.
import { ItemError } from '../errors.js';
import type { ByteSource } from '../source/byte-source.js';
import { PartBufferPool } from './part-buffers.js';
import type { PartDigest } from './part-reader.js';

export interface PrefixHashOptions {
  /** The part size: the one buffer the prefix is read into. */
  partSize: number;
  /** Told every region hashed, and whether it came as a chunk Buffer (child/gc-pacer.ts). */
  onBytesRead: (bytes: number, chunks: boolean) => void;
  /** Runs once, when all `bytes` were hashed. */
  onHashed: () => void;
  signal: AbortSignal;
}

function shortError(left: number, bytes: number): ItemError {
  return new ItemError(`download ended ${left} bytes before the resume offset ${bytes}`, true, 'source-size-mismatch');
}

/**
 * Feed the first `bytes` of `source` (from byte 0) to `digest`: resolves with the same source, at `bytes`.
 * On failure the source is destroyed.
 */
export async function hashPrefix(source: ByteSource, bytes: number, digest: PartDigest, o: PrefixHashOptions): Promise<ByteSource> {
  const pool = new PartBufferPool(1);
  const buffer = await pool.acquire(o.partSize);
  // A read waits on the download: an abort destroys the source, which fails the read.
  const onAbort = (): void => source.destroy();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    let left = bytes;
    while (left > 0) {
      if (o.signal.aborted) throw o.signal.reason;
      const n = await source.readInto(buffer.subarray(0, Math.min(o.partSize, left)), (view) => digest.update(view));
      if (n === 0) throw shortError(left, bytes);
      left -= n;
      o.onBytesRead(n, source.chunked);
    }
  } catch (err) {
    source.destroy();
    // A read failed by our own abort: the abort is what happened.
    throw o.signal.aborted ? o.signal.reason : err;
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    pool.release(buffer);
  }
  o.onHashed();
  return source;
}
