// A resume in a fresh process has the parts already in S3 but, without a saved digest state (an older
// journal, a state that does not load, parts ListParts no longer confirms), not the digest of their bytes.
// So the download starts at byte 0 again and the first `bytes` go into the digest only; the stream handed
// on starts at the resume offset, exactly what a Range download from there would have been. No part is
// uploaded twice; copy-item.ts bounds how long a prefix may be read this way (--resume-reread-max-mb).
//
// Memory: the prefix is read inside the same bounds as the upload (issue 20, point 1: a child re-reading
// 200 MiB through fresh 64 KiB chunks that no GC was asked to collect passed its hard cap). A direct body
// (net/direct-body.ts) is read into one part buffer borrowed from the child's pool (the memory plan counts
// those), reused for the whole prefix: no chunk at all. A chunked body passes chunk by chunk, each one told
// to the GC pacer (child/gc-pacer.ts), as the upload's own chunks are.
import { pipeline, Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { ItemError } from '../errors.js';
import { PartBufferPool } from './part-buffers.js';
import { directSource } from './part-reader.js';
import type { DirectSource, PartDigest } from './part-reader.js';

export interface PrefixHashOptions {
  /** The part size: the one buffer a direct body is read into. */
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

/** Hash the first `bytes` of a direct body through one pooled part buffer; the body is left at `bytes`. */
async function hashDirect(source: Readable, direct: DirectSource, bytes: number, digest: PartDigest, o: PrefixHashOptions): Promise<Readable> {
  const pool = new PartBufferPool(1);
  const buffer = await pool.acquire(o.partSize);
  // readInto waits on the socket: an abort destroys the body, which fails the read.
  const onAbort = (): void => void source.destroy();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    let left = bytes;
    while (left > 0) {
      if (o.signal.aborted) throw o.signal.reason;
      const n = await direct.readInto(buffer.subarray(0, Math.min(o.partSize, left)), (view) => digest.update(view));
      if (n === 0) throw shortError(left, bytes);
      left -= n;
      o.onBytesRead(n, false);
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

/** Pass a chunked body on from `bytes`, its first `bytes` fed to the digest and dropped as they stream by. */
function hashChunks(source: Readable, bytes: number, digest: PartDigest, o: PrefixHashOptions): Readable {
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
      o.onBytesRead(take, true);
      if (left === 0) o.onHashed();
      callback(null, take < chunk.length ? chunk.subarray(take) : undefined);
    },
    flush(callback: TransformCallback) {
      callback(left > 0 ? shortError(left, bytes) : null);
    },
  });
  // pipeline destroys the download when `rest` is destroyed (the upload gave up) and fails `rest` with the
  // download's error.
  pipeline(source, rest, () => undefined);
  return rest;
}

/**
 * `source` (from byte 0) with its first `bytes` fed to `digest`: resolves with the stream from `bytes` on.
 * A direct body is hashed up to there before this resolves; a chunked one as the caller reads it.
 */
export function hashPrefix(source: Readable, bytes: number, digest: PartDigest, options: PrefixHashOptions): Promise<Readable> {
  const direct = directSource(source);
  if (direct !== null) return hashDirect(source, direct, bytes, digest, options);
  return Promise.resolve(hashChunks(source, bytes, digest, options));
}
