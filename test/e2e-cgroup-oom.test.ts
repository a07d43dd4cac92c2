// A real kernel memory limit: the CLI with its default memory settings in a memory cgroup the size of a
// small pod, the fake Drive and s3rver outside it. The plan must name the group's limit, every byte must
// arrive, and the kernel must never OOM-kill anything in the group. The control, in a group of the same
// size: children that leak with recycling off are OOM-killed, so the group's limit is real.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { folderOfFiles, listKeys, objectMd5, readReport, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { makeMemoryCgroup } from './support/memory-cgroup.js';
import type { TestCgroup } from './support/memory-cgroup.js';
import type { SupervisorStats } from '../src/supervisor/supervisor.js';

const MiB = 1024 * 1024;
// The smallest limit the defaults plan in is 409 MiB (90% of it must hold the 192 MB reserve and one
// child's 176 MB hard cap); a little above it, as a small pod would be sized.
const LIMIT_MB = 420;
const LEAKING_SUPERVISOR = fileURLToPath(new URL('./fixtures/leaking-supervisor.js', import.meta.url));

/** The world's flags without --memory-budget-mb: the budget comes from the container limit, as by default. */
function defaultMemoryFlags(w: World): string[] {
  const flags = worldFlags(w, 'R');
  const at = flags.indexOf('--memory-budget-mb');
  flags.splice(at, 2);
  return flags;
}

/** A test group, or why there can be none here (the tests skip, saying so). */
function group(name: string): TestCgroup | string {
  return makeMemoryCgroup(name, LIMIT_MB * MiB);
}

const probe = group('oom-probe');
const skip = typeof probe === 'string' ? probe : false;
if (typeof probe !== 'string') await probe.remove();

let w: World;

before(async () => {
  if (skip) return;
  w = await startWorld({ nodes: [...folderOfFiles('R', 'pod', 40, 256 * 1024), { id: 'big', name: 'big.bin', parents: ['R'], mimeType: 'application/octet-stream', size: 48 * MiB + 3 }] });
});

after(async () => {
  if (!skip) await w.close();
});

test(`the CLI with default memory settings in a ${LIMIT_MB} MiB cgroup: the plan names the limit, every byte arrives, no OOM kill`, { skip, timeout: 300_000 }, async (t) => {
  const cg = group('oom-cli');
  if (typeof cg === 'string') return assert.fail(cg);
  t.after(() => cg.remove());
  const run = await runCli(defaultMemoryFlags(w), {}, w.s3, cg.wrap);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, new RegExp(`budget ${Math.floor(LIMIT_MB * 0.9)} MB \\(container-limit; container limit ${LIMIT_MB} MB\\)`));
  assert.equal(cg.oomKills(), 0, 'the kernel OOM-killed a process of the run');

  const keys = await listKeys(w);
  assert.equal(keys.length, 41);
  for (let i = 0; i < 40; i++) assert.equal(await objectMd5(w, `file-${i}.bin`), await w.drive.trueMd5(`r-${i}`), `bytes of file-${i}.bin`);
  assert.equal(await objectMd5(w, 'big.bin'), await w.drive.trueMd5('big'));

  const report = await readReport(w);
  assert.equal(report.memory.plan.containerLimitMb, LIMIT_MB);
  const peak = cg.peakBytes();
  // The supervisor read the group it runs in: what it saw never exceeds what the kernel charged there.
  assert.ok(report.memory.peakCgroupBytes > 0 && peak !== null && report.memory.peakCgroupBytes <= peak, `supervisor saw ${report.memory.peakCgroupBytes}, group peak ${peak}`);
  t.diagnostic(`plan: ${report.memory.plan.workers} worker(s), budget ${report.memory.plan.budgetMb} MB; peak charged ${((peak ?? 0) / MiB).toFixed(1)} MiB of ${LIMIT_MB} MiB (supervisor saw ${(report.memory.peakCgroupBytes / MiB).toFixed(1)}), peak tree RSS ${(report.memory.peakTreeRssBytes / MiB).toFixed(1)} MiB, oom_kill ${cg.oomKills()}`);
});

test(`control: children leaking with recycling off in a ${LIMIT_MB} MiB cgroup are OOM-killed`, { skip, timeout: 300_000 }, async (t) => {
  const cg = group('oom-leak');
  if (typeof cg === 'string') return assert.fail(cg);
  t.after(() => cg.remove());
  const [command, args] = cg.wrap(process.execPath, [LEAKING_SUPERVISOR]);
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const [code] = (await once(proc, 'close')) as [number | null];
  assert.equal(code, 0, out);
  const { stats } = JSON.parse(out) as { outcome: string; stats: SupervisorStats };
  assert.ok(cg.oomKills() >= 1, `oom_kill ${cg.oomKills()}`);
  // Every child death was the kernel's: the supervisor recycled none by its caps or the budget.
  assert.ok(stats.recycles.crash >= 1);
  assert.deepEqual([stats.recycles['soft-cap'], stats.recycles['hard-cap'], stats.recycles.budget], [0, 0, 0]);
  t.diagnostic(`oom_kill ${cg.oomKills()}, children died ${stats.recycles.crash}, started ${stats.childrenSpawned}; peak charged ${((cg.peakBytes() ?? 0) / MiB).toFixed(1)} MiB; items done ${stats.settled.done}, failed ${stats.settled.failed}`);
});
