// A real child is charged its own pages (USS from smaps_rollup), not its RSS, which counts the shared node
// binary and libraries once per child; the guard's caps act on that charge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { MemoryGuard } from '../src/supervisor/memory-guard.js';
import type { MemoryPlan } from '../src/supervisor/memory-plan.js';
import { RssSampler, readUssBytes } from '../src/supervisor/rss-sampler.js';

const MiB = 1024 * 1024;

test('a spawned child is charged its USS, below its RSS', { skip: !existsSync('/proc/self/smaps_rollup') }, async () => {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("up"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(child.stdout, 'data');
    const pid = child.pid ?? assert.fail('no pid');
    const sampler = new RssSampler(250);
    const rss = (await sampler.sampleRss(pid)) ?? assert.fail('child gone');
    const uss = (await readUssBytes(pid)) ?? assert.fail('smaps_rollup unreadable');
    const both = (await sampler.sample(pid)) ?? assert.fail('child gone');
    const charged = both.ussBytes;
    assert.ok(uss > 0 && uss < rss, `USS ${uss} should be below RSS ${rss}`);
    assert.ok(charged < rss, `charged ${charged} should be the USS, not RSS ${rss}`);
    // smaps_rollup's own RSS beside the USS: the same resident set pidusage reports, within what moved between reads.
    assert.ok(both.rssBytes > charged && Math.abs(both.rssBytes - rss) < 8 * MiB, `sampled RSS ${both.rssBytes} against pidusage's ${rss}`);
    console.log(`child RSS ${(rss / MiB).toFixed(1)} MiB, USS ${(uss / MiB).toFixed(1)} MiB`);
    // Caps between the charge and the RSS: an RSS guard would kill and drain this child, the USS guard neither.
    const capMb = Math.floor((charged + rss) / 2 / MiB);
    assert.ok(capMb * MiB > charged && capMb * MiB < rss, `no whole-MiB cap fits between ${charged} and ${rss}`);
    const plan = { childSoftMb: capMb, childHardMb: capMb, pauseAtMb: 1e6, recycleAtMb: 1e6 } as MemoryPlan;
    const decision = await new MemoryGuard(plan, sampler, () => null).poll([{ id: 1, pid, state: 'ready' }]);
    const seen = decision.sample.children[0] ?? assert.fail('child not sampled');
    assert.ok(seen.ussBytes < capMb * MiB && seen.rssBytes > capMb * MiB, `USS ${seen.ussBytes} under and RSS ${seen.rssBytes} over the ${capMb} MiB cap`);
    assert.deepEqual(decision.kill, []);
    assert.deepEqual(decision.drain, []);
  } finally {
    child.kill();
  }
});
