// The core promise, measured on real processes: 8 children that leak Buffers are recycled for the right
// reasons and the whole tree (supervisor + children) stays under its budget. Prints the figures the
// closing note asks for: recycle reaction time, the supervisor's own RSS with 8 children, the tree's peak
// charge (shared pages once) beside its peak summed RSS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, items } from './support/supervisor-harness.js';

const MB = 1024 * 1024;

test('8 leaking children: every item done once, recycles by soft/hard cap, the tree\'s charge under the budget', async (t) => {
  const work = items(240, { behaviour: 'leak-buffers', mb: 16, ms: 30 });
  const workers = 8;
  const hard = 260;
  const reserve = 200;
  const budget = workers * hard + reserve;
  const h = harness(work, { workers, childConcurrency: 1, childRssSoftMb: 160, childRssHardMb: hard, budgetMb: budget }, { rssPollMs: 100, batchFiles: 2, recycleStaggerMs: 100 });
  const started = Date.now();
  assert.equal(await h.supervisor.run(), 'completed');
  const s = h.supervisor.stats;
  const counts = new Map<string, number>();
  for (const c of h.source.settleCalls) counts.set(c.item.id, (counts.get(c.item.id) ?? 0) + 1);
  assert.equal(counts.size, work.length);
  assert.ok([...counts.values()].every((n) => n === 1));
  assert.ok(s.recycles['soft-cap'] > 0, JSON.stringify(s.recycles));
  assert.equal(s.recycles.crash, 0);
  assert.ok(s.peakChargedBytes < budget * MB, `peak charge ${Math.round(s.peakChargedBytes / MB)} MB ≥ budget ${budget} MB`);
  assert.ok(s.peakChargedBytes < s.peakTreeRssBytes, 'the charge counts the shared pages once, summed RSS once per process');
  const ready = [...s.replacementReadyMs].sort((a, b) => a - b);
  const pct = (p: number): number => ready[Math.min(ready.length - 1, Math.floor((p / 100) * ready.length))] ?? 0;
  t.diagnostic(
    `figures: ${JSON.stringify({
      workers,
      budgetMb: budget,
      peakChargedMb: Math.round(s.peakChargedBytes / MB),
      peakTreeRssMb: Math.round(s.peakTreeRssBytes / MB),
      peakChildUssMb: Math.round(s.peakChildUssBytes / MB),
      peakChildRssMb: Math.round(s.peakChildRssBytes / MB),
      peakSupervisorRssMb: Math.round(s.peakSupervisorRssBytes / MB),
      recycles: s.recycles,
      childrenSpawned: s.childrenSpawned,
      replacementReadyMs: { n: ready.length, p50: pct(50), p90: pct(90), max: ready.at(-1) ?? 0 },
      durationMs: Date.now() - started,
    })}`,
  );
});

test('hard-cap reaction: a child past its hard cap is killed within a poll and replaced; figures', async (t) => {
  const hog = (i: number) => ({ id: `hog-${i}`, attempt: 1, sizeBytes: 1, bufferBytes: 1, payload: { behaviour: 'leak-buffers', mb: 400, ms: 800 }, checkpoint: null });
  const work = [...Array.from({ length: 6 }, (_, i) => hog(i)), ...items(40, { behaviour: 'ok', ms: 5 })];
  const h = harness(work, { workers: 4, childConcurrency: 1, childRssSoftMb: 180, childRssHardMb: 220, budgetMb: 4 * 220 + 200 }, { rssPollMs: 100, maxAttempts: 1, batchFiles: 1, recycleStaggerMs: 50 });
  let overHard = 0;
  h.supervisor.on('sample', (s) => {
    for (const c of s.children) if (c.ussBytes > 220 * MB) overHard++;
  });
  assert.equal(await h.supervisor.run(), 'completed');
  const s = h.supervisor.stats;
  assert.equal(s.recycles['hard-cap'], 6, JSON.stringify(s.recycles));
  for (let i = 0; i < 6; i++) assert.equal(h.source.settled.get(`hog-${i}`)?.outcome.status, 'failed');
  assert.equal(s.settled.done, 40);
  // Each hog is seen over its cap in at most one poll before it is gone.
  assert.ok(overHard <= 6, `${overHard} samples over the hard cap for 6 hogs`);
  const ready = [...s.replacementReadyMs].sort((a, b) => a - b);
  t.diagnostic(`hard-cap figures: ${JSON.stringify({ kills: s.recycles['hard-cap'], samplesOverHard: overHard, peakChildUssMb: Math.round(s.peakChildUssBytes / MB), replacementReadyMs: { n: ready.length, p50: ready[Math.floor(ready.length / 2)] ?? 0, max: ready.at(-1) ?? 0 } })}`);
});
