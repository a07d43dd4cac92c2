// The part-buffer bounds: per upload (queue) and per process (--child-part-buffers), with turns for the spare;
// and the GC pacer that frees the download chunks a child has copied into them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGcPacer } from '../src/child/gc-pacer.js';
import { PartBufferPool, limitPartBuffers } from '../src/copy/part-buffers.js';
import { defaultPartBuffers } from '../src/copy/default-part-buffers.js';
import { childPartBuffers } from '../src/app/memory-setup.js';
import { resolveSettings } from '../src/config/settings.js';
import { copyOptionsFromJson } from '../src/copy/copy-options.js';

const PART = 1024;

/** Resolves on the next macrotask: every pending hand-over has happened by then. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('uploads sharing a process never hold more than its limit together, and all finish', async () => {
  limitPartBuffers(PART, 3);
  let held = 0;
  let peak = 0;
  // Four uploads of 12 parts, each allowed 2 at once: "uploading" a part takes a few turns of the loop.
  const upload = async (): Promise<void> => {
    const pool = new PartBufferPool(2);
    const inflight: Promise<void>[] = [];
    for (let part = 0; part < 12; part++) {
      const buffer = await pool.acquire(PART);
      held += 1;
      peak = Math.max(peak, held);
      inflight.push(
        (async () => {
          for (let i = 0; i < 1 + (part % 3); i++) await settle();
          held -= 1;
          pool.release(buffer);
        })(),
      );
    }
    await Promise.all(inflight);
  };
  await Promise.all([upload(), upload(), upload(), upload()]);
  assert.equal(held, 0);
  assert.equal(peak, 3, 'the process limit, reached and never passed');
});

test('an upload holding a second buffer gives it to another upload waiting for its first', async () => {
  limitPartBuffers(PART, 2);
  const long = new PartBufferPool(2);
  const first = await long.acquire(PART);
  const second = await long.acquire(PART);
  // The long upload wants a third part (waits on its own queue); another upload wants its first.
  let longGot: Buffer | null = null;
  let otherGot: Buffer | null = null;
  void long.acquire(PART).then((b) => (longGot = b));
  const other = new PartBufferPool(2);
  void other.acquire(PART).then((b) => (otherGot = b));
  await settle();
  assert.equal(otherGot, null, 'the process limit is reached');

  long.release(first);
  await settle();
  assert.equal(otherGot, first, 'the released buffer went to the waiting upload, the same Buffer reused');
  assert.equal(longGot, null, 'the long upload waits for its turn');

  long.release(second);
  await settle();
  assert.equal(longGot, second, 'with nobody else waiting, its next buffer comes back to it');
});

test('without a process limit an upload is bound by its own queue only', async () => {
  limitPartBuffers(PART, Number.POSITIVE_INFINITY);
  const pool = new PartBufferPool(2);
  const a = await pool.acquire(PART);
  await pool.acquire(PART);
  let third: Buffer | null = null;
  void pool.acquire(PART).then((b) => (third = b));
  await settle();
  assert.equal(third, null, 'a third part waits for one of the two');
  pool.release(a);
  await settle();
  assert.equal(third, a);
});

test('the GC pacer runs a minor GC each time another `everyBytes` have been read, a full one at every `majorEveryBytes`, and nothing without --expose-gc', () => {
  const calls: unknown[] = [];
  const g = globalThis as { gc?: unknown };
  const saved = g.gc;
  try {
    g.gc = (options?: unknown) => calls.push(options ?? 'full');
    const read = createGcPacer(1000, 0);
    for (let i = 0; i < 25; i++) read(100); // 2,500 bytes
    assert.deepEqual(calls, [{ type: 'minor' }, { type: 'minor' }]);
    calls.length = 0;
    const paced = createGcPacer(1000, 3000);
    for (let i = 0; i < 70; i++) paced(100); // 7,000 bytes: minor, minor, full, minor, minor, full, minor
    assert.deepEqual(calls, [{ type: 'minor' }, { type: 'minor' }, 'full', { type: 'minor' }, { type: 'minor' }, 'full', { type: 'minor' }]);
    calls.length = 0;
    delete g.gc;
    const without = createGcPacer(1000, 3000);
    for (let i = 0; i < 70; i++) without(100);
    assert.equal(calls.length, 0);
  } finally {
    g.gc = saved;
  }
});

test('--child-part-buffers defaults to one per item, never below one item\'s queue (ranges included): one rule, which both sides of IPC call', () => {
  assert.equal(defaultPartBuffers(4, 2, 1), 4);
  assert.equal(defaultPartBuffers(1, 2, 1), 2);
  assert.equal(defaultPartBuffers(1, 3, 1), 3);
  // At --range-streams 4 a large file may hold 4 + 2 - 1 buffers (copy/range-reader.ts).
  assert.equal(defaultPartBuffers(4, 2, 4), 5);
  assert.equal(defaultPartBuffers(8, 2, 4), 8);
  // The supervisor: the rule over the settings it resolved, unless the option is set.
  // At the defaults (4 items, --range-streams 4, queue 2): the ranged file's 5.
  assert.equal(childPartBuffers(resolveSettings({}, {})), 5);
  assert.equal(childPartBuffers(resolveSettings({ rangeStreams: 1 }, {})), 4);
  assert.equal(childPartBuffers(resolveSettings({ rangeStreams: 8 }, {})), 9);
  assert.equal(childPartBuffers(resolveSettings({ childPartBuffers: 7 }, {})), 7);
  // A child sent no number (an older supervisor): the same rule over what it was sent, ranges included.
  assert.equal(copyOptionsFromJson({ concurrency: 1, rangeStreams: 4, s3: { bucket: 'b', region: 'r', uploadQueueSize: 2 } }).partBuffers, 5);
  assert.equal(copyOptionsFromJson({ concurrency: 3, partBuffers: 9, s3: { bucket: 'b', region: 'r', uploadQueueSize: 2 } }).partBuffers, 9);
});
