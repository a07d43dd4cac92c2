// A resume's prefix hashing (copy/prefix-hash.ts) on both kinds of download, a direct body and a chunked
// Readable (source/readable-bytes.ts): each read into one part-size buffer and handed on at the offset; both
// tell the GC pacer every byte they hash (and whether it came as chunks), and a download that ends before
// the offset fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { hashPrefix } from '../../src/copy/prefix-hash.js';
import type { PrefixHashOptions } from '../../src/copy/prefix-hash.js';
import type { ByteSource } from '../../src/source/byte-source.js';
import { ReadableBytes } from '../../src/source/readable-bytes.js';
import { readAll } from '../support/media-item.js';

const DATA = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
const PREFIX = 200_003;

/** A source that fills the buffer it is given, as net/direct-body.ts does. */
class FakeDirect implements ByteSource {
  readonly chunked = false;
  private at = 0;
  constructor(private readonly data: Buffer) {}
  get remaining(): number {
    return this.data.length - this.at;
  }
  readInto(target: Buffer, onBytes: (view: Buffer) => void = () => undefined): Promise<number> {
    const n = this.data.copy(target, 0, this.at, this.at + target.length);
    this.at += n;
    onBytes(target.subarray(0, n));
    return Promise.resolve(n);
  }
  more(): Promise<boolean> {
    return Promise.resolve(this.remaining > 0);
  }
  destroy(): void {
    this.at = this.data.length;
  }
}

function recorder(): { options: PrefixHashOptions; reads: [number, boolean][]; hashed: () => number } {
  const reads: [number, boolean][] = [];
  let hashed = 0;
  return {
    options: { partSize: 64 * 1024, signal: new AbortController().signal, onBytesRead: (n, chunks) => reads.push([n, chunks]), onHashed: () => (hashed += 1) },
    reads,
    hashed: () => hashed,
  };
}

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

for (const kind of ['direct', 'chunked'] as const) {
  test(`${kind}: the prefix goes to the digest only, the stream goes on from the offset, the pacer hears every byte`, async () => {
    const direct = kind === 'direct' ? new FakeDirect(DATA) : null;
    const source = direct ?? new ReadableBytes(Readable.from([DATA.subarray(0, 70_000), DATA.subarray(70_000, 210_000), DATA.subarray(210_000)]));
    const digest = createHash('sha1');
    const r = recorder();
    const rest = await hashPrefix(source, PREFIX, digest, r.options);
    assert.equal(rest, source, 'the source is handed on as itself, at the offset');
    if (direct) assert.equal(direct.remaining, DATA.length - PREFIX);
    assert.deepEqual(await readAll(rest), DATA.subarray(PREFIX));
    assert.equal(digest.digest('hex'), sha1(DATA.subarray(0, PREFIX)));
    assert.equal(r.hashed(), 1);
    assert.equal(r.reads.reduce((s, [n]) => s + n, 0), PREFIX);
    assert.ok(r.reads.every(([, chunks]) => chunks === (kind === 'chunked')));
    // Into one part-size buffer, reused: never a region larger than it.
    assert.ok(r.reads.every(([n]) => n <= 64 * 1024));
  });

  test(`${kind}: a download that ends before the resume offset fails`, async () => {
    const short = DATA.subarray(0, 1000);
    const source = kind === 'direct' ? new FakeDirect(short) : new ReadableBytes(Readable.from([short]));
    const r = recorder();
    await assert.rejects(
      async () => readAll(await hashPrefix(source, PREFIX, createHash('sha1'), r.options)),
      (err: unknown) => err instanceof Error && 'code' in err && err.code === 'source-size-mismatch',
    );
    assert.equal(r.hashed(), 0);
  });
}
