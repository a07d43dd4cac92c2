// The supervisor core over real child processes: recycles for the right reasons, nothing lost,
// every item settled exactly once or failed with a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashLoopError } from '../src/errors.js';
import type { JsonObject } from '../src/ipc/json.js';
import type { MemorySample } from '../src/supervisor/memory-guard.js';
import { BROKEN_PROCESSOR, harness, items } from './support/supervisor-harness.js';

const MB = 1024 * 1024;

function assertSettledExactlyOnce(h: ReturnType<typeof harness>, ids: string[]): void {
  const counts = new Map<string, number>();
  for (const c of h.source.settleCalls) counts.set(c.item.id, (counts.get(c.item.id) ?? 0) + 1);
  for (const id of ids) assert.equal(counts.get(id), 1, `item ${id} settled ${counts.get(id) ?? 0} times`);
  assert.equal(h.source.settleCalls.length, ids.length);
}

test('healthy items: all done exactly once, no recycles', async () => {
  const work = items(120, { behaviour: 'ok', ms: 2 });
  const h = harness(work, { workers: 3 });
  assert.equal(await h.supervisor.run(), 'completed');
  assertSettledExactlyOnce(h, work.map((i) => i.id));
  for (const r of h.source.settled.values()) assert.equal(r.outcome.status, 'done');
  assert.deepEqual(Object.values(h.supervisor.stats.recycles), [0, 0, 0, 0, 0, 0]);
  assert.equal(h.supervisor.stats.childrenSpawned, 3);
});

/** What the child of a one-item, one-worker run reports about itself (the behaviour processor's detail). */
async function childSelfReport(): Promise<JsonObject> {
  const h = harness(items(1, { behaviour: 'ok', ms: 1 }), { workers: 1 });
  assert.equal(await h.supervisor.run(), 'completed');
  const outcome = [...h.source.settled.values()][0]?.outcome;
  assert.ok(outcome?.status === 'done');
  return outcome.detail;
}

test('children run with their heap limit, the V8 flags the copy relies on (young generation, one GC thread, gc()) and the malloc settings', async () => {
  const detail = await childSelfReport();
  const argv = detail.execArgv as string[];
  assert.ok(argv.some((a) => a.startsWith('--max-old-space-size=')), argv.join(' '));
  for (const flag of ['--max-semi-space-size=2', '--single-threaded-gc', '--expose-gc']) assert.ok(argv.includes(flag), `${flag} in ${argv.join(' ')}`);
  assert.equal(detail.gc, 'function');
  assert.equal(detail.mallocArenaMax, '2');
  assert.equal(detail.mallocTrimThreshold, '131072');
});

test("children keep the operator's own malloc settings", async () => {
  const saved = process.env.MALLOC_ARENA_MAX;
  process.env.MALLOC_ARENA_MAX = '4';
  try {
    const detail = await childSelfReport();
    assert.equal(detail.mallocArenaMax, '4');
    assert.equal(detail.mallocTrimThreshold, '131072');
  } finally {
    if (saved === undefined) delete process.env.MALLOC_ARENA_MAX;
    else process.env.MALLOC_ARENA_MAX = saved;
  }
});

test('children start as work asks for them: two items on six workers start two children', async () => {
  const work = items(2, { behaviour: 'ok', ms: 200 });
  const h = harness(work, { workers: 6 });
  assert.equal(await h.supervisor.run(), 'completed');
  assertSettledExactlyOnce(h, work.map((i) => i.id));
  assert.equal(h.supervisor.stats.childrenSpawned, 2);
});

test('children leaking Buffers are drained at the soft cap and replaced; nothing lost; never above the hard cap for more than a poll', async () => {
  // Each item leaks 24 MB of Buffers (external memory: --max-old-space-size does not bound it): a child never
  // recycled would reach 20 × 24 = 480 MB on its share of the items, well past the hard cap.
  const workers = 2;
  const hardMb = 400;
  const work = items(40, { behaviour: 'leak-buffers', mb: 24, ms: 40 });
  assert.ok((work.length / workers) * 24 > hardMb + 50, 'the leak can reach the hard cap');
  const h = harness(work, { workers, childConcurrency: 1, childRssSoftMb: 150, childRssHardMb: hardMb }, { rssPollMs: 50 });
  const samples: MemorySample[] = [];
  h.supervisor.on('sample', (s) => samples.push(s));
  assert.equal(await h.supervisor.run(), 'completed');
  assertSettledExactlyOnce(h, work.map((i) => i.id));
  for (const r of h.source.settled.values()) assert.equal(r.outcome.status, 'done');
  // Structural bound: no child sampled above its hard cap in two consecutive polls.
  const above = new Map<number, number>();
  for (const s of samples) {
    for (const c of s.children) {
      const n = c.ussBytes > hardMb * MB ? (above.get(c.id) ?? 0) + 1 : 0;
      above.set(c.id, n);
      assert.ok(n <= 1, `child ${c.id} above its hard cap for ${n} polls`);
    }
  }
  const rec = h.supervisor.stats.recycles;
  assert.ok(rec['soft-cap'] >= 2, `expected soft-cap recycles, got ${JSON.stringify(rec)}`);
  assert.equal(rec['hard-cap'], 0);
  assert.equal(rec.crash, 0);
  assert.ok(h.supervisor.stats.peakChargedBytes < 4096 * MB);
});

test('a child over the hard cap is SIGKILLed at once; its item is requeued and fails as poison after max attempts', async () => {
  const hog = { id: 'hog', attempt: 1, sizeBytes: 1, bufferBytes: 1, payload: { behaviour: 'leak-buffers', mb: 400, ms: 2000 }, checkpoint: null };
  const work = [hog, ...items(20, { behaviour: 'ok', ms: 5 })];
  const h = harness(work, { workers: 2, childConcurrency: 1, childRssSoftMb: 150, childRssHardMb: 200 }, { rssPollMs: 50, maxAttempts: 2 });
  assert.equal(await h.supervisor.run(), 'completed');
  assertSettledExactlyOnce(h, work.map((i) => i.id));
  const outcome = h.source.settled.get('hog')?.outcome;
  assert.equal(outcome?.status, 'failed');
  assert.match(outcome?.status === 'failed' ? outcome.error.message : '', /poison item: in flight during 2 child deaths \(last: hard-cap/);
  assert.equal(h.supervisor.stats.recycles['hard-cap'], 2);
  const counted = h.source.requeues.filter((r) => r.id === 'hog' && r.countAttempt);
  assert.equal(counted.length, 1);
  for (const i of work.slice(1)) assert.equal(h.source.settled.get(i.id)?.outcome.status, 'done');
});

test('a crash mid-item requeues with an attempt count: succeeds on retry, or fails as poison', async () => {
  const flaky = { id: 'flaky', attempt: 1, sizeBytes: 1, bufferBytes: 1, payload: { behaviour: 'crash', succeedOnAttempt: 2, ms: 20 }, checkpoint: null };
  const poison = { id: 'poison', attempt: 1, sizeBytes: 1, bufferBytes: 1, payload: { behaviour: 'crash', ms: 20 }, checkpoint: null };
  const work = [flaky, poison, ...items(30, { behaviour: 'ok', ms: 5 })];
  const h = harness(work, { workers: 2, childConcurrency: 1 }, { maxAttempts: 3, batchFiles: 1 });
  assert.equal(await h.supervisor.run(), 'completed');
  assertSettledExactlyOnce(h, work.map((i) => i.id));
  const f = h.source.settled.get('flaky');
  assert.equal(f?.outcome.status, 'done');
  assert.equal(f?.item.attempt, 2);
  const p = h.source.settled.get('poison')?.outcome;
  assert.equal(p?.status, 'failed');
  assert.match(p?.status === 'failed' ? p.error.message : '', /poison item: in flight during 3 child deaths \(last: crash, exit code 1\)/);
  assert.equal(h.supervisor.stats.recycles.crash, 4);
});

test('a child that exhausts its V8 heap is recycled as heap-oom', async () => {
  const oom = { id: 'oom', attempt: 1, sizeBytes: 1, bufferBytes: 1, payload: { behaviour: 'heap-oom' }, checkpoint: null };
  const work = [oom, ...items(10, { behaviour: 'ok' })];
  const h = harness(work, { workers: 2, childHeapMb: 48, childRssHardMb: 1500, childRssSoftMb: 1400 }, { maxAttempts: 1 });
  assert.equal(await h.supervisor.run(), 'completed');
  assertSettledExactlyOnce(h, work.map((i) => i.id));
  assert.equal(h.supervisor.stats.recycles['heap-oom'], 1);
  const o = h.source.settled.get('oom')?.outcome;
  assert.equal(o?.status, 'failed');
  assert.match(o?.status === 'failed' ? o.error.message : '', /last: heap-oom/);
});

test('max-items-per-child recycles by drain; every item done once', async () => {
  const work = items(40, { behaviour: 'ok', ms: 2 });
  const h = harness(work, { workers: 2 }, { maxItemsPerChild: 10 });
  assert.equal(await h.supervisor.run(), 'completed');
  assertSettledExactlyOnce(h, work.map((i) => i.id));
  assert.ok(h.supervisor.stats.recycles['max-items'] >= 2);
  assert.equal(h.supervisor.stats.recycles.crash, 0);
});

test('pod memory past the pause line pauses dispatch; past the recycle line the largest child is recycled (budget)', async () => {
  const work = items(40, { behaviour: 'ok', ms: 10 });
  let polls = 0;
  // The cgroup working set is what the kubelet acts on; feed the guard a pod that is briefly over its lines.
  const readCgroup = () => {
    polls++;
    const over = polls >= 3 && polls <= 5;
    const ws = over ? 4000 * MB : 100 * MB;
    return { version: 2 as const, dir: '/fake', limitBytes: 4096 * MB, usageBytes: ws, workingSetBytes: ws, events: { max: 0, oom: 0, oomKill: 0 } };
  };
  const h = harness(work, { workers: 2, budgetMb: 3500 }, { readCgroup, rssPollMs: 50 });
  const pauses: boolean[] = [];
  h.supervisor.on('paused', (p) => pauses.push(p));
  assert.equal(await h.supervisor.run(), 'completed');
  assertSettledExactlyOnce(h, work.map((i) => i.id));
  assert.deepEqual(pauses.slice(0, 2), [true, false]);
  assert.ok(h.supervisor.stats.recycles.budget >= 1);
});

test('children that die during start-up stop the run as a crash loop', async () => {
  const h = harness(items(5, { behaviour: 'ok' }), { workers: 2 }, { processorPath: BROKEN_PROCESSOR, crashLoopLimit: 3 });
  await assert.rejects(h.supervisor.run(), (err: unknown) => {
    assert.ok(err instanceof CrashLoopError);
    assert.match(err.message, /children keep dying during start-up \(3 in a row, last: exit code 1/);
    return true;
  });
  // Nothing was settled: the items are still there for the next run.
  assert.equal(h.source.settleCalls.length, 0);
});

test('shutdown: a child that ignores SIGTERM is killed after the grace period; in-flight items requeued without an attempt', async () => {
  const work = [
    { id: 'hang', attempt: 1, sizeBytes: 1, bufferBytes: 1, payload: { behaviour: 'hang-on-term' }, checkpoint: null },
    ...items(3, { behaviour: 'slow', ms: 60_000 }),
  ];
  const h = harness(work, { workers: 2 }, { shutdownGraceMs: 300 });
  let started = 0;
  const running = h.supervisor.run();
  await new Promise<void>((resolve) => {
    h.supervisor.on('sample', () => {
      started = h.supervisor.childViews().reduce((s, c) => s + c.inFlight, 0);
      if (started >= 4) resolve();
    });
  });
  const shutdown = h.supervisor.shutdown('SIGTERM');
  assert.equal(h.supervisor.shutdown('SIGTERM'), shutdown, 'shutdown is memoized');
  await shutdown;
  assert.equal(await running, 'interrupted');
  assert.equal(h.source.settleCalls.length, 0);
  assert.equal(h.source.requeues.filter((r) => !r.countAttempt).length, 4);
  assert.ok(h.source.requeues.every((r) => !r.countAttempt));
  assert.equal(h.supervisor.childViews().length, 0);
});

test('checkpoints reported by a child reach the source and ride along with a requeued item', async () => {
  const work = items(3, { behaviour: 'checkpoint', ms: 5 });
  const h = harness(work, { workers: 1 });
  assert.equal(await h.supervisor.run(), 'completed');
  assert.deepEqual(h.source.checkpoints.get('item-0'), { part: 1 });
});
