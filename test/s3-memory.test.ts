// The memory bound, measured: a large streamed upload (unknown size, the path Drive exports take) in a
// separate process that samples its own RSS, against s3rver in this process. Peak RSS above the pre-upload
// baseline must stay within part size × queue size plus a fixed allowance for the SDK and the allocator.
// Size: S3_MEMORY_TEST_MB (default 256; the report's figures use 1024).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startS3rver } from '../src/testing/s3rver.js';
import { within } from './support/within.js';

const MiB = 1024 * 1024;
const PART_MB = 8;
const QUEUE = 4;
/** SDK, sockets, V8 young generation and malloc slack. */
const ALLOWANCE = 24 * MiB;

const CHILD = `
const { upload } = await import(process.env.MOD_UPLOAD);
const { createS3Client } = await import(process.env.MOD_CLIENT);
const { resolveS3Options } = await import(process.env.MOD_OPTIONS);
const { contentStream, streamed } = await import(process.env.MOD_FIXTURES);
const { Readable } = await import('node:stream');
// 'static': one immutable 64 KiB chunk pushed again and again, so the source allocates nothing and RSS shows
// the upload path alone. 'alloc': a fresh chunk each time, like an HTTP download, whose dead chunks wait for GC.
function staticStream(size) {
  const chunk = Buffer.alloc(65536, 7);
  let left = size;
  return new Readable({ highWaterMark: 65536, read() {
    if (left <= 0) return this.push(null);
    const n = Math.min(left, chunk.length);
    left -= n;
    this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
  } });
}
const makeSource = (n) => (process.env.SOURCE === 'static' ? staticStream(n) : contentStream(n));
const opts = resolveS3Options({ bucket: process.env.BUCKET, endpoint: process.env.ENDPOINT, forcePathStyle: true, checksum: 'when-required', partSizeMb: ${PART_MB}, uploadQueueSize: ${QUEUE} }, {});
const client = createS3Client(opts, { maxSockets: ${QUEUE + 2}, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
const write = { contentType: 'application/octet-stream', metadata: {}, storageClass: null, sse: null, kmsKeyId: null };
// Warm up the client and the code paths so the baseline includes them.
await upload({ client, bucket: opts.bucket, key: 'warmup', bytes: streamed(contentStream(1024)), size: null, partSize: ${PART_MB} * 1048576, queueSize: ${QUEUE}, write, checksum: opts.checksum });
const baseline = process.memoryUsage().rss;
let peak = baseline;
let peakBuffers = 0;
const timer = setInterval(() => {
  const m = process.memoryUsage();
  peak = Math.max(peak, m.rss);
  peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
}, 10);
const size = Number(process.env.SIZE);
const started = Date.now();
const res = await upload({ client, bucket: opts.bucket, key: 'memory/big.bin', bytes: streamed(makeSource(size)), size: null, partSize: ${PART_MB} * 1048576, queueSize: ${QUEUE}, write, checksum: opts.checksum });
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
client.destroy();
process.stdout.write(JSON.stringify({ baseline, peak, peakBuffers, bytes: res.bytes, parts: res.parts, ms: Date.now() - started }));
`;

async function measure(source: 'static' | 'alloc', sizeMb: number): Promise<{ growth: number; line: string }> {
  const s3 = await startS3rver();
  try {
    const mod = (p: string): string => new URL(p, import.meta.url).href;
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: {
        ...process.env,
        MOD_UPLOAD: mod('../src/target/s3/upload-engine.js'),
        MOD_CLIENT: mod('../src/target/s3/s3-client.js'),
        MOD_OPTIONS: mod('../src/target/s3/s3-options.js'),
        MOD_FIXTURES: mod('./s3-fixtures.js'),
        BUCKET: s3.bucket,
        ENDPOINT: s3.endpoint,
        SIZE: String(sizeMb * MiB),
        SOURCE: source,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await within(new Promise<number | null>((resolve) => child.on('exit', resolve)), 20 * 60_000, 'the upload child');
    assert.equal(code, 0, err);
    const r = JSON.parse(out) as { baseline: number; peak: number; peakBuffers: number; bytes: number; parts: number; ms: number };
    assert.equal(r.bytes, sizeMb * MiB);
    const growth = r.peak - r.baseline;
    const mb = (n: number): string => (n / MiB).toFixed(1);
    const line = `memory (${source} source): ${sizeMb} MiB in ${r.parts} parts of ${PART_MB} MiB, queue ${QUEUE}; RSS baseline ${mb(r.baseline)} MiB, peak ${mb(r.peak)} MiB, growth ${mb(growth)} MiB; peak arrayBuffers ${mb(r.peakBuffers)} MiB; ${r.ms} ms`;
    console.log(`# ${line}`);
    return { growth, line };
  } finally {
    await s3.close();
  }
}

const PARTS_BYTES = PART_MB * MiB * QUEUE;

test('memory: the upload path holds part size × queue size (allocation-free source)', async () => {
  const { growth, line } = await measure('static', Number(process.env.S3_MEMORY_TEST_MB ?? '256'));
  assert.ok(growth <= PARTS_BYTES + ALLOWANCE, line);
});

test('memory: with a source allocating every chunk, dead chunks awaiting GC add at most ~64 MiB', async () => {
  // V8 collects external (Buffer) memory only after ~64 MiB of it has been allocated since the last GC, so
  // an HTTP-like source adds that much garbage on top, per process, regardless of how many items run.
  const { growth, line } = await measure('alloc', Number(process.env.S3_MEMORY_TEST_MB ?? '256'));
  assert.ok(growth <= PARTS_BYTES + 64 * MiB + ALLOWANCE, line);
});
