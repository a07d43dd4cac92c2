// The Readable adapter (source/readable-bytes.ts), which every node:http or gaxios download is read through:
// bytes in order whatever the chunk and buffer sizes, the rest of a chunk kept for the next read, the end
// told by more() and by a read of 0, and the stream's errors (or its destruction) failing the read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ItemError } from '../../src/errors.js';
import { ReadableBytes } from '../../src/source/readable-bytes.js';

const DATA = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) % 256));

/** DATA cut into chunks of the given sizes (cycled). */
function chunksOf(sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < DATA.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    out.push(DATA.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Read everything with buffers of `size`, checking each onBytes region is the part of the buffer just filled. */
async function readWith(source: ReadableBytes, size: number): Promise<{ data: Buffer; reads: number[] }> {
  const got: Buffer[] = [];
  const reads: number[] = [];
  for (;;) {
    const target = Buffer.alloc(size);
    let landed = 0;
    const n = await source.readInto(target, (view) => {
      assert.equal(view.buffer, target.buffer, 'a region is a view of the caller\'s buffer');
      assert.equal(view.byteOffset, target.byteOffset + landed, 'regions land in order, back to back');
      landed += view.length;
    });
    assert.equal(landed, n, 'onBytes saw every byte the read returned');
    if (n === 0) return { data: Buffer.concat(got), reads };
    reads.push(n);
    got.push(Buffer.from(target.subarray(0, n)));
  }
}

test('bytes arrive in order across chunk boundaries, each read full until the end', async () => {
  for (const [sizes, buffer] of [[[3, 5, 7], 4], [[1], 64], [[100, 1, 250], 99], [[64], 64]] as const) {
    const { data, reads } = await readWith(new ReadableBytes(Readable.from(chunksOf([...sizes]))), buffer);
    assert.deepEqual(data, DATA, `chunks ${sizes.join('/')} into ${buffer}-byte buffers`);
    const full = Math.floor(DATA.length / buffer);
    assert.deepEqual(reads, [...Array<number>(full).fill(buffer), ...(DATA.length % buffer ? [DATA.length % buffer] : [])], 'short only at the end');
  }
});

test('a chunk larger than the buffer is carried over to the next reads, not dropped', async () => {
  const source = new ReadableBytes(Readable.from([DATA]));
  const { data, reads } = await readWith(source, 300);
  assert.deepEqual(reads, [300, 300, 300, 100]);
  assert.deepEqual(data, DATA);
});

test('more() looks ahead without taking a byte; the end is more() false and reads of 0', async () => {
  const source = new ReadableBytes(Readable.from([DATA.subarray(0, 10), DATA.subarray(10, 12)]));
  assert.equal(await source.more(), true);
  assert.equal(await source.more(), true, 'asking twice takes nothing');
  const target = Buffer.alloc(12);
  assert.equal(await source.readInto(target), 12, 'the chunk more() read is the first of this read');
  assert.deepEqual(target, DATA.subarray(0, 12));
  assert.equal(await source.more(), false);
  assert.equal(await source.readInto(Buffer.alloc(5)), 0);
  assert.equal(await source.readInto(Buffer.alloc(5)), 0, 'still 0 after the end');
  const empty = new ReadableBytes(Readable.from([Buffer.alloc(0), Buffer.alloc(0)]));
  assert.equal(await empty.more(), false, 'empty chunks are no bytes');
});

test('the stream\'s error fails the read that meets it, and every read after it', async () => {
  const reset = Object.assign(new Error('socket reset (test)'), { code: 'ECONNRESET' });
  let sent = false;
  const stream = new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(DATA.subarray(0, 100));
      } else this.destroy(reset);
    },
  });
  const source = new ReadableBytes(stream);
  const first = Buffer.alloc(60);
  assert.equal(await source.readInto(first), 60);
  assert.deepEqual(first, DATA.subarray(0, 60));
  await assert.rejects(source.readInto(Buffer.alloc(60)), (err: unknown) => err === reset, 'the 40 carried bytes do not hide the error');
  await assert.rejects(source.readInto(Buffer.alloc(60)), (err: unknown) => err === reset, 'not mistaken for the end afterwards');
  await assert.rejects(source.more(), (err: unknown) => err === reset);
});

test('destroy() while a read waits fails that read (a stopped upload is not the end of the file)', async () => {
  const stream = new Readable({ read() {} });
  const source = new ReadableBytes(stream);
  const waiting = source.readInto(Buffer.alloc(10));
  source.destroy();
  await assert.rejects(waiting);
  assert.equal(stream.destroyed, true);
});

test('strings are bytes; any other chunk is refused as not binary', async () => {
  const text = new ReadableBytes(Readable.from(['ab', 'cd'], { objectMode: true }));
  const target = Buffer.alloc(4);
  assert.equal(await text.readInto(target), 4);
  assert.equal(target.toString(), 'abcd');
  const objects = new ReadableBytes(Readable.from([{ not: 'bytes' }]));
  await assert.rejects(objects.readInto(Buffer.alloc(4)), (err: unknown) => err instanceof ItemError && err.code === 'source-not-binary');
});
