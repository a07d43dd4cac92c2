// The container limit found for real: a process born in a nested memory cgroup with no limit of its own,
// under a group with one, made here under this process's own group (which is itself nested on this
// machine: memory:/process_api/<id>). The reader must name the parent's limit and read the parent's usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { makeMemoryCgroup } from './support/memory-cgroup.js';
import type { CgroupMemory } from '../src/supervisor/cgroup.js';
import type { Launcher } from './support/e2e.js';

const MiB = 1024 * 1024;
const READER = fileURLToPath(new URL('../src/supervisor/cgroup.js', import.meta.url));

async function readInside(wrap: Launcher): Promise<CgroupMemory | null> {
  const script = `import(${JSON.stringify(READER)}).then((m) => process.stdout.write(JSON.stringify(m.readCgroupMemory())))`;
  const [command, args] = wrap(process.execPath, ['--input-type=module', '-e', script]);
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const [code] = (await once(proc, 'close')) as [number | null];
  assert.equal(code, 0);
  return JSON.parse(out) as CgroupMemory | null;
}

const group = makeMemoryCgroup('limit-reader', 256 * MiB);

test('a process in a nested group without a limit sees its parent\'s 256 MiB, and the parent\'s usage', { skip: typeof group === 'string' ? group : false }, async (t) => {
  if (typeof group === 'string') return;
  t.after(() => group.remove());
  const inner = group.child('inner');
  const cg = await readInside(inner.wrap);
  assert.ok(cg, 'no cgroup found');
  assert.equal(cg.limitBytes, 256 * MiB);
  assert.equal(cg.dir, group.dir);
  // The reader's own process was charged to the group while it ran.
  assert.ok(cg.usageBytes > 0 && cg.usageBytes <= 256 * MiB, `usage ${cg.usageBytes}`);
  t.diagnostic(`v${cg.version} group ${cg.dir}: limit ${cg.limitBytes / MiB} MiB, usage ${(cg.usageBytes / MiB).toFixed(1)} MiB`);
});
