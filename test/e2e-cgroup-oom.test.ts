// A real kernel memory limit: the CLI with its default memory settings in a memory cgroup the size of a
// small pod, the fake Drive and s3rver outside it. The plan must name the group's limit, every byte must
// arrive, and the kernel must never OOM-kill anything in the group. The control, in a group of the
// smallest size: children that leak with recycling off are OOM-killed, so the group's limit is real.
// The CLI runs from a copy of the node binary written past the page cache, so its pages are charged to the
// group that first maps them, as in a fresh pod (the host's cached binary would be charged elsewhere).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderOfFiles, listKeys, objectMd5, readReport, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { Launcher, World } from './support/e2e.js';
import { makeMemoryCgroup } from './support/memory-cgroup.js';
import type { TestCgroup } from './support/memory-cgroup.js';
import type { SupervisorStats } from '../src/supervisor/supervisor.js';

const MiB = 1024 * 1024;
// 220 MiB: a small pod, where the defaults plan one child (90% of it holds the 96 MB reserve and one 99 MB
// hard cap); 420 MiB: one where they plan several.
const LIMITS_MB = [220, 420] as const;
const SMALLEST_MB = 220;
const LEAKING_SUPERVISOR = fileURLToPath(new URL('./fixtures/leaking-supervisor.js', import.meta.url));

/** The world's flags without --memory-budget-mb: the budget comes from the container limit, as by default. */
function defaultMemoryFlags(w: World): string[] {
  const flags = worldFlags(w, 'R');
  const at = flags.indexOf('--memory-budget-mb');
  flags.splice(at, 2);
  return flags;
}

/** A test group, or why there can be none here (the tests skip, saying so). */
function group(name: string, limitMb: number): TestCgroup | string {
  return makeMemoryCgroup(name, limitMb * MiB);
}

/**
 * A copy of the node binary none of whose pages are cached (written with O_DIRECT), or null where the
 * file system refuses that (tmpfs): the run then uses the host's binary and the group is charged less.
 */
function coldNodeBinary(dir: string, name: string): string | null {
  const path = join(dir, name);
  const dd = spawnSync('dd', [`if=${process.execPath}`, `of=${path}`, 'bs=1M', 'oflag=direct', 'status=none'], { encoding: 'utf8' });
  if (dd.status !== 0) return null;
  spawnSync('chmod', ['0755', path]);
  return path;
}

const probe = group('oom-probe', SMALLEST_MB);
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

for (const limitMb of LIMITS_MB) {
  test(`the CLI with default memory settings in a ${limitMb} MiB cgroup: the plan names the limit, every byte arrives, no OOM kill`, { skip, timeout: 300_000 }, async (t) => {
    const cg = group(`oom-cli-${limitMb}`, limitMb);
    if (typeof cg === 'string') return assert.fail(cg);
    t.after(() => cg.remove());
    // A journal and a key prefix per limit: each run copies everything, into keys of its own.
    const flags = defaultMemoryFlags(w).map((f) => (f.endsWith('journal.db') ? f.replace('journal.db', `journal-${limitMb}.db`) : f));
    const prefix = `${limitMb}/`;
    // A copy per run: the previous run's pages of its copy stay cached (charged to the parent once its group is gone).
    const node = coldNodeBinary(w.dir, `node-${limitMb}`);
    const launch: Launcher = (command, args) => cg.wrap(node ?? command, args);
    const run = await runCli([...flags, '--s3-prefix', prefix], {}, w.s3, launch);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`budget ${Math.floor(limitMb * 0.9)} MB \\(container-limit; container limit ${limitMb} MB\\)`));
    assert.match(run.stderr, /supervisor reserve \d+ MB \(its own pages \+ ~\d+ MB all processes share, charged once/);
    assert.equal(cg.oomKills(), 0, 'the kernel OOM-killed a process of the run');

    const keys = await listKeys(w, prefix);
    assert.equal(keys.length, 41);
    for (let i = 0; i < 40; i++) assert.equal(await objectMd5(w, `${prefix}file-${i}.bin`), await w.drive.trueMd5(`r-${i}`), `bytes of file-${i}.bin`);
    assert.equal(await objectMd5(w, `${prefix}big.bin`), await w.drive.trueMd5('big'));

    const report = await readReport(w);
    const m = report.memory;
    assert.equal(m.plan.containerLimitMb, limitMb);
    assert.ok(m.plan.workers >= 1 && m.plan.workers * m.plan.childHardMb + m.plan.reserveMb <= m.plan.budgetMb, JSON.stringify(m.plan));
    const peak = cg.peakBytes();
    // The supervisor read the group it runs in: what it saw never exceeds what the kernel charged there.
    assert.ok(m.peakCgroupBytes > 0 && peak !== null && m.peakCgroupBytes <= peak, `supervisor saw ${m.peakCgroupBytes}, group peak ${peak}`);
    // The tree's charge counts the shared pages once: below the summed RSS, which counts them per process.
    assert.ok(m.peakChargedBytes > 0 && m.peakChargedBytes < m.peakTreeRssBytes, `charged ${m.peakChargedBytes}, tree RSS ${m.peakTreeRssBytes}`);
    assert.ok(m.peakChildUssBytes > 0 && m.peakChildUssBytes <= m.plan.childHardMb * MiB, `largest child ${m.peakChildUssBytes} B own, hard cap ${m.plan.childHardMb} MB`);
    const f = (b: number | null): string => ((b ?? 0) / MiB).toFixed(1);
    t.diagnostic(`plan: ${m.plan.workers} worker(s), budget ${m.plan.budgetMb} MB, reserve ${m.plan.reserveMb} MB, hard cap ${m.plan.childHardMb} MB; node binary ${node === null ? 'cached on the host' : 'cold (charged to the group)'}`);
    t.diagnostic(`peak charged by the kernel ${f(peak)} MiB of ${limitMb} MiB (supervisor saw ${f(m.peakCgroupBytes)}); tree charge ${f(m.peakChargedBytes)} MiB, tree RSS ${f(m.peakTreeRssBytes)} MiB, largest child ${f(m.peakChildUssBytes)} MiB own / ${f(m.peakChildRssBytes)} MiB RSS; oom_kill ${cg.oomKills()}`);
  });
}

test(`control: children leaking with recycling off in a ${SMALLEST_MB} MiB cgroup are OOM-killed`, { skip, timeout: 300_000 }, async (t) => {
  const cg = group('oom-leak', SMALLEST_MB);
  if (typeof cg === 'string') return assert.fail(cg);
  t.after(() => cg.remove());
  const [command, args] = cg.wrap(process.execPath, [LEAKING_SUPERVISOR]);
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const [code] = (await once(proc, 'close')) as [number | null];
  assert.equal(code, 0, `the supervisor died (the kernel must pick a child, whose oom_score_adj is raised): ${out}`);
  const { stats } = JSON.parse(out) as { outcome: string; stats: SupervisorStats };
  assert.ok(cg.oomKills() >= 1, `oom_kill ${cg.oomKills()}`);
  // Every child death was the kernel's: the supervisor recycled none by its caps or the budget.
  assert.ok(stats.recycles.crash >= 1);
  assert.deepEqual([stats.recycles['soft-cap'], stats.recycles['hard-cap'], stats.recycles.budget], [0, 0, 0]);
  t.diagnostic(`oom_kill ${cg.oomKills()}, children died ${stats.recycles.crash}, started ${stats.childrenSpawned}; peak charged ${((cg.peakBytes() ?? 0) / MiB).toFixed(1)} MiB; items done ${stats.settled.done}, failed ${stats.settled.failed}`);
});
