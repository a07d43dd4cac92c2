// Shared pieces for the S3 tests: deterministic content of any length (the fake Drive's generator with one
// seed, so a resumed source can restart at any offset and the expected md5 is computable), and an S3 client
// wired to a started s3rver.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { contentRange } from '../src/fake-drive/content.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ReadableBytes } from '../src/source/readable-bytes.js';
import type { UploadBytes } from '../src/target/target.js';
import { createS3Client } from '../src/target/s3/s3-client.js';
import { resolveS3Options } from '../src/target/s3/s3-options.js';
import type { S3TargetOptions } from '../src/target/s3/s3-options.js';
import { after, before } from 'node:test';
import { startS3rver } from '../src/testing/s3rver.js';
import type { S3rverHandle, StartS3rverOptions } from '../src/testing/s3rver.js';

export const MiB = 1024 * 1024;
/** The seed of the one test object every S3 test reads a slice of. */
const SEED = 0x53335445;

/** Bytes [start, end) of the test object: every offset is reproducible. */
export function contentSlice(start: number, end: number): Buffer {
  return contentRange(SEED, start, end);
}

export interface ContentStreamOptions {
  from?: number;
  /** Throw (emit an error) once this absolute offset is reached. */
  failAt?: number;
  chunk?: number;
}

/** A Readable of the test content [from, size), in `chunk`-sized pieces, honouring backpressure. */
export function contentStream(size: number, opts: ContentStreamOptions = {}): Readable {
  let pos = opts.from ?? 0;
  const chunk = opts.chunk ?? 64 * 1024;
  return new Readable({
    highWaterMark: chunk,
    read() {
      if (opts.failAt !== undefined && pos >= opts.failAt) {
        this.destroy(Object.assign(new Error('source connection reset (test)'), { code: 'ECONNRESET' }));
        return;
      }
      if (pos >= size) {
        this.push(null);
        return;
      }
      const end = Math.min(size, pos + chunk, opts.failAt ?? Infinity);
      const data = contentSlice(pos, end);
      pos = end;
      this.push(data);
    },
  });
}

/** An upload's bytes from a Readable, as the node:http download path hands them on (source/readable-bytes.ts). */
export function streamed(stream: Readable): UploadBytes {
  return { source: new ReadableBytes(stream) };
}

export function contentMd5(size: number): string {
  const h = createHash('md5');
  for (let pos = 0; pos < size; pos += 8 * MiB) h.update(contentSlice(pos, Math.min(size, pos + 8 * MiB)));
  return h.digest('hex');
}

export function testOptions(s3: S3rverHandle, extra: Partial<S3TargetOptions> = {}): S3TargetOptions {
  return {
    ...resolveS3Options({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      // s3rver stores aws-chunked checksum trailers verbatim: only when-required is byte-exact there.
      checksum: 'when-required',
      partSizeMb: 5,
      uploadQueueSize: 3,
    }, {}),
    ...extra,
  };
}

export function testClient(s3: S3rverHandle, opts: S3TargetOptions = testOptions(s3)): S3Client {
  return createS3Client(opts, { maxSockets: 8, credentials: s3.credentials, maxAttempts: 1 });
}

/**
 * An s3rver and a test client for the enclosing suite: started before its first test (handed to `use`),
 * closed after its last.
 */
export function withS3rver(options: StartS3rverOptions, use: (world: { s3: S3rverHandle; client: S3Client }) => void): void {
  let world: { s3: S3rverHandle; client: S3Client } | null = null;
  before(async () => {
    const s3 = await startS3rver(options);
    world = { s3, client: testClient(s3) };
    use(world);
  });
  after(async () => {
    world?.client.destroy();
    await world?.s3.close();
  });
}

/** md5 (hex) and length of an object, read back through GetObject. */
export async function objectMd5(client: S3Client, bucket: string, key: string): Promise<{ md5: string; size: number }> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = res.Body;
  if (!(body instanceof Readable)) throw new Error('GetObject body is not a Node stream');
  const h = createHash('md5');
  let size = 0;
  for await (const c of body) {
    const b = c as Buffer;
    h.update(b);
    size += b.length;
  }
  return { md5: h.digest('hex'), size };
}
