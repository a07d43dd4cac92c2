// Pure admission rules of the dispatcher: no processes, no network, no clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childrenWanted, chooseReservation, takeBatch, type ChildSlot, type DispatchLimits } from '../../src/supervisor/dispatcher.js';
import type { WorkItem } from '../../src/ipc/protocol.js';

const MB = 1024 * 1024;
const limits: DispatchLimits = { batchFiles: 3, batchBytes: 100 * MB, concurrency: 4, childItemBudgetBytes: 64 * MB };

function item(id: string, bufferMb: number, sizeMb = 1): WorkItem {
  return { id, attempt: 1, sizeBytes: sizeMb * MB, bufferBytes: bufferMb * MB, payload: {}, checkpoint: null };
}

function slot(over: Partial<ChildSlot> = {}): ChildSlot {
  return { id: 1, inFlightCount: 0, committedBytes: 0, largestBufferBytes: 0, inFlightSizeBytes: 0, reservedFor: null, ...over };
}

test('takeBatch stops at batchFiles and leaves the rest queued', () => {
  const queue = [item('a', 8), item('b', 8), item('c', 8), item('d', 8)];
  assert.deepEqual(takeBatch(queue, slot(), limits).map((i) => i.id), ['a', 'b', 'c']);
  assert.deepEqual(queue.map((i) => i.id), ['d']);
});

test('takeBatch skips an item whose buffer does not fit the budget and takes later ones that do', () => {
  const queue = [item('big', 40), item('small', 8)];
  const batch = takeBatch(queue, slot({ inFlightCount: 1, committedBytes: 30 * MB }), limits);
  assert.deepEqual(batch.map((i) => i.id), ['small']);
  assert.deepEqual(queue.map((i) => i.id), ['big']);
});

test('takeBatch gives an over-budget item to an idle child alone', () => {
  const queue = [item('huge', 100), item('small', 1)];
  assert.deepEqual(takeBatch(queue, slot(), limits).map((i) => i.id), ['huge']);
  assert.deepEqual(queue.map((i) => i.id), ['small']);
});

test('takeBatch bounds source bytes by batchBytes', () => {
  const queue = [item('a', 1, 60), item('b', 1, 60)];
  assert.deepEqual(takeBatch(queue, slot(), limits).map((i) => i.id), ['a']);
});

test('a file above batchBytes is a batch of its own, and joins a child that holds another such file', () => {
  const queue = [item('big1', 10, 1024), item('big2', 10, 1024), item('small', 1)];
  assert.deepEqual(takeBatch(queue, slot(), limits).map((i) => i.id), ['big1']);
  const holding = slot({ inFlightCount: 1, committedBytes: 10 * MB, largestBufferBytes: 10 * MB, inFlightSizeBytes: 1024 * MB });
  assert.deepEqual(takeBatch(queue, holding, limits).map((i) => i.id), ['big2']);
  // A small file still does not join a child holding more than batchBytes.
  assert.deepEqual(takeBatch(queue, holding, limits), []);
});

test('items at the configured part size are charged at most the child\'s shared pool; a larger-part item is summed', () => {
  const pooled: DispatchLimits = { ...limits, sharedPool: { childBytes: 30 * MB, itemBytes: 10 * MB } };
  const busy = slot({ inFlightCount: 3, committedBytes: 60 * MB, largestBufferBytes: 10 * MB });
  assert.deepEqual(takeBatch([item('a', 10)], busy, limits), []);
  assert.deepEqual(takeBatch([item('a', 10)], busy, pooled).map((i) => i.id), ['a']);
  assert.deepEqual(takeBatch([item('bigparts', 20)], busy, pooled), []);
});

test('childrenWanted: a child per file, large files concurrency to a child', () => {
  assert.equal(childrenWanted(2, 0, 4), 2);
  assert.equal(childrenWanted(4, 4, 4), 1);
  assert.equal(childrenWanted(5, 5, 4), 2);
  assert.equal(childrenWanted(10, 4, 4), 7);
});

test('takeBatch on a reserved child takes only the reserved item', () => {
  const queue = [item('a', 1), item('r', 50)];
  assert.deepEqual(takeBatch(queue, slot({ reservedFor: 'r' }), limits).map((i) => i.id), ['r']);
  assert.deepEqual(takeBatch([item('a', 1)], slot({ reservedFor: 'gone' }), limits), []);
});

test('takeBatch takes nothing from a child at its concurrency', () => {
  assert.deepEqual(takeBatch([item('a', 1)], slot({ inFlightCount: 4 }), limits), []);
});

test('chooseReservation reserves the least loaded child when the head fits no free slot', () => {
  const head = item('head', 50);
  const children = [slot({ id: 1, inFlightCount: 1, committedBytes: 30 * MB }), slot({ id: 2, inFlightCount: 1, committedBytes: 20 * MB })];
  assert.equal(chooseReservation(head, children, limits)?.id, 2);
});

test('chooseReservation does not reserve when an idle child or a fitting slot exists, or one is reserved', () => {
  const head = item('head', 50);
  assert.equal(chooseReservation(head, [slot({ id: 1, inFlightCount: 1, committedBytes: 30 * MB }), slot({ id: 2 })], limits), null);
  assert.equal(chooseReservation(item('h', 10), [slot({ inFlightCount: 1, committedBytes: 30 * MB })], limits), null);
  assert.equal(chooseReservation(head, [slot({ inFlightCount: 1, committedBytes: 30 * MB, reservedFor: 'head' })], limits), null);
  assert.equal(chooseReservation(head, [slot({ inFlightCount: 4, committedBytes: 30 * MB })], limits), null);
});

const subjectOf = (i: WorkItem): string => (typeof i.payload.subject === 'string' ? i.payload.subject : '');
const userItem = (subject: string, n: number): WorkItem => ({ ...item(`${subject}-${n}`, 1, 0), payload: { subject } });

test('takeBatch takes subjects in turn: 10 items of user B queued after 1000 of user A go out in the first batches', () => {
  const queue = [...Array.from({ length: 1000 }, (_, n) => userItem('a@example.com', n)), ...Array.from({ length: 10 }, (_, n) => userItem('b@example.com', n))];
  const fair: DispatchLimits = { ...limits, batchFiles: 4, concurrency: 100 };
  const batches = Array.from({ length: 5 }, () => takeBatch(queue, slot(), fair, subjectOf).map((i) => i.id));
  assert.deepEqual(batches[0], ['a@example.com-0', 'b@example.com-0', 'a@example.com-1', 'b@example.com-1']);
  const bInFirst = batches.flat().filter((id) => id.startsWith('b@')).length;
  assert.equal(bInFirst, 10, `every B item within the first five batches: ${JSON.stringify(batches)}`);
  assert.equal(queue.length, 1010 - 20);
  assert.ok(queue.every((i) => subjectOf(i) === 'a@example.com'), 'only A is left');
});

test('takeBatch without subjects keeps queue order', () => {
  const queue = [userItem('a', 0), userItem('a', 1), userItem('b', 0)];
  assert.deepEqual(takeBatch(queue, slot(), limits).map((i) => i.id), ['a-0', 'a-1', 'b-0']);
});
