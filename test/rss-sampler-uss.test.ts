// A real child is charged its own pages (USS from smaps_rollup), not its RSS, which counts the shared node
// binary and libraries once per child; the guard's caps act on that charge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { RssSampler, readUssBytes } from '../src/supervisor/rss-sampler.js';

test('a spawned child is charged its USS, below its RSS', { skip: !existsSync('/proc/self/smaps_rollup') }, async () => {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("up"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(child.stdout, 'data');
    const pid = child.pid ?? assert.fail('no pid');
    const sampler = new RssSampler(250);
    const rss = (await sampler.sampleRss(pid)) ?? assert.fail('child gone');
    const uss = (await readUssBytes(pid)) ?? assert.fail('smaps_rollup unreadable');
    const charged = (await sampler.sample(pid)) ?? assert.fail('child gone');
    assert.ok(uss > 0 && uss < rss, `USS ${uss} should be below RSS ${rss}`);
    assert.ok(charged < rss, `charged ${charged} should be the USS, not RSS ${rss}`);
  } finally {
    child.kill();
  }
});
