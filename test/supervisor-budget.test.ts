// The core promise, measured on real processes: 8 children that leak Buffers are recycled for the right
// reasons and the whole tree (supervisor + children) stays under its budget. Prints the figures the
// closing note asks for: recycle reaction time, the supervisor's own RSS with 8 children, peak tree RSS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, items } from './support/supervisor-harness.js';

const MB = 1024 * 1024;

test('8 leaking children: every item done once, recycles by soft/hard cap, tree RSS under the budget', async (t) => {
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
  assert.ok(s.peakTreeRssBytes < budget * MB, `peak tree ${Math.round(s.peakTreeRssBytes / MB)} MB ≥ budget ${budget} MB`);
  const ready = [...s.replacementReadyMs].sort((a, b) => a - b);
  const pct = (p: number): number => ready[Math.min(ready.length - 1, Math.floor((p / 100) * ready.length))] ?? 0;
  t.diagnostic(
    `figures: ${JSON.stringify({
      workers,
      budgetMb: budget,
      peakTreeRssMb: Math.round(s.peakTreeRssBytes / MB),
      peakChildRssMb: Math.round(s.peakChildRssBytes / MB),
      peakSupervisorRssMb: Math.round(s.peakSupervisorRssBytes / MB),
      recycles: s.recycles,
      childrenSpawned: s.childrenSpawned,
      replacementReadyMs: { n: ready.length, p50: pct(50), p90: pct(90), max: ready.at(-1) ?? 0 },
      durationMs: Date.now() - started,
    })}`,
  );
});
