// MemoryGuard.decide on hand-made samples: which child is drained or killed, and when the pod pauses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryGuard, type GuardedChild, type MemorySample } from '../../src/supervisor/memory-guard.js';
import type { MemoryPlan } from '../../src/supervisor/memory-plan.js';
import { RssSampler } from '../../src/supervisor/rss-sampler.js';

const MB = 1024 * 1024;
// decide() reads only these four lines of the plan; the sampler and cgroup are used by poll() alone.
const plan = { childSoftMb: 100, childHardMb: 150, pauseAtMb: 400, recycleAtMb: 500 } as MemoryPlan;
const guard = new MemoryGuard(plan, new RssSampler(250), () => null);

function sample(rssMb: number[], podMb: number): MemorySample {
  const children = rssMb.map((mb, i) => ({ id: i + 1, pid: 100 + i, rssBytes: mb * MB }));
  return { at: 0, supervisorRssBytes: 0, children, treeRssBytes: podMb * MB, cgroup: null, podBytes: podMb * MB };
}

function ready(n: number, state = 'ready'): GuardedChild[] {
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
