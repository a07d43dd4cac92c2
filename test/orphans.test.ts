// When the supervisor dies, even by SIGKILL, its children exit on their own within seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { alive } from './support/process-tree.js';
import { until } from './support/within.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/fixture-supervisor.js', import.meta.url));



test('SIGKILL of the supervisor leaves no child alive', async () => {
  const sup = spawn(process.execPath, [FIXTURE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pids: number[] = [];
  const lines = createInterface({ input: sup.stdout });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      const m = /"childPid":(\d+)/.exec(line);
      if (m?.[1]) pids.push(Number(m[1]));
      if (pids.length === 3) resolve();
    });
    sup.once('exit', () => reject(new Error('fixture supervisor exited early')));
  });
  assert.ok(pids.every(alive));
  sup.kill('SIGKILL');
  await until(() => pids.every((p) => !alive(p)), 10_000, `children ${pids.join(',')} to exit after the supervisor's SIGKILL`);
});
