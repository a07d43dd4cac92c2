// MemoryGuard.decide on hand-made samples: which child is drained or killed, and when the pod pauses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryGuard, treeFigures, type GuardedChild, type MemorySample } from '../../src/supervisor/memory-guard.js';
import type { ChildState } from '../../src/supervisor/child-handle.js';
import type { MemoryPlan } from '../../src/supervisor/memory-plan.js';
import { RssSampler } from '../../src/supervisor/rss-sampler.js';

const MB = 1024 * 1024;
// decide() reads only these four lines of the plan; the sampler and cgroup are used by poll() alone.
const plan = { childSoftMb: 100, childHardMb: 150, pauseAtMb: 400, recycleAtMb: 500 } as MemoryPlan;
const guard = new MemoryGuard(plan, new RssSampler(250), () => null);

// Each child also maps 44 MB it shares with the others: in its RSS, never in its caps.
const SHARED_MB = 44;

function sample(ussMb: number[], podMb: number, sharedMb = SHARED_MB): MemorySample {
  const children = ussMb.map((mb, i) => ({ id: i + 1, pid: 100 + i, ussBytes: mb * MB, rssBytes: (mb + sharedMb) * MB }));
  return { at: 0, supervisorRssBytes: 0, supervisorUssBytes: 0, children, sharedBytes: sharedMb * MB, chargedBytes: podMb * MB, treeRssBytes: podMb * MB, cgroup: null, podBytes: podMb * MB };
}

function ready(n: number, state: ChildState = 'ready'): GuardedChild[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, pid: 100 + i, state }));
}

test('a child over the soft cap is drained, over the hard cap killed', () => {
  const d = guard.decide(sample([50, 120, 160], 330), ready(3));
  assert.deepEqual(d.drain.map((x) => [x.id, x.reason]), [[2, 'soft-cap']]);
  assert.deepEqual(d.kill.map((x) => [x.id, x.reason]), [[3, 'hard-cap']]);
  assert.equal(d.paused, false);
});

test('a child already terminating is neither drained nor killed again', () => {
  const d = guard.decide(sample([160, 120], 280), ready(2, 'terminating'));
  assert.deepEqual([d.kill, d.drain], [[], []]);
});

test('past the pause line the pod pauses; past the recycle line the largest child is killed', () => {
  const paused = guard.decide(sample([90, 80], 450), ready(2));
  assert.equal(paused.paused, true);
  assert.deepEqual(paused.kill, []);
  const recycled = guard.decide(sample([60, 90, 80], 520), ready(3));
  assert.deepEqual(recycled.kill.map((x) => [x.id, x.reason]), [[2, 'budget']]);
});

test('no budget kill on top of a hard-cap kill in the same poll', () => {
  const d = guard.decide(sample([160, 90], 520), ready(2));
  assert.deepEqual(d.kill.map((x) => x.reason), ['hard-cap']);
});

test('the caps act on a child\'s own pages: over the hard cap in RSS, a child under the soft cap in USS is left alone', () => {
  const d = guard.decide(sample([90, 110], 250, 70), ready(2));
  assert.ok(d.sample.children.every((c) => c.rssBytes > plan.childHardMb * MB));
  assert.deepEqual(d.kill, []);
  assert.deepEqual(d.drain.map((x) => [x.id, x.ussBytes]), [[2, 110 * MB]]);
});

test('the tree is charged the shared pages once, not once per process as summed RSS counts them', () => {
  const children = [30, 50].map((mb, i) => ({ id: i + 1, pid: 100 + i, ussBytes: mb * MB, rssBytes: (mb + 40) * MB }));
  const t = treeFigures({ ussBytes: 35 * MB, rssBytes: 79 * MB }, children);
  assert.deepEqual([t.sharedBytes, t.chargedBytes, t.treeRssBytes].map((b) => b / MB), [44, 35 + 44 + 30 + 50, 79 + 70 + 90]);
});
