// The adaptive Drive pace through the real CLI (issue 21): against a fake Drive whose quota is far below the
// ceiling (--drive-tps at its default), refusals bring the shared pace down under the ceiling, every file is
// copied, and the refusals stay bounded. Counts only, no timing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode } from '../src/exit-codes.js';
import { folderOfFiles, listKeys, readReport, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const FILES = 120;
const QUOTA = 20;
let w: World;

before(async () => {
  w = await startWorld({ nodes: folderOfFiles('P', 'paced', FILES, 100), quota: { requestsPerSecond: QUOTA, burst: 5 }, wan: { latencyMs: 10 } });
});

after(() => w.close());

interface PaceReport {
  drivePace?: { ceiling: number; rate: number; lowestRate: number; answered: number; refused: number; cuts: number };
}

test('a quota far under the ceiling: the pace comes down, every file is copied, refusals stay bounded', async (t) => {
  // worldFlags sets --drive-tps 10000; the last flag wins, so this run has the default ceiling back.
  const flags = worldFlags(w, 'P', ['--workers', '2']).filter((f, i, all) => f !== '--drive-tps' && all[i - 1] !== '--drive-tps');
  const run = await runCli(flags, {}, w.s3);
  assert.equal(run.code, ExitCode.Ok, run.stderr.slice(-3000));
  assert.equal((await listKeys(w)).length, FILES);
  const report = (await readReport(w)) as unknown as PaceReport & Awaited<ReturnType<typeof readReport>>;
  assert.equal(report.thisRun.done, FILES);
  assert.equal(report.thisRun.failed, 0);
  const pace = report.drivePace;
  assert.ok(pace, 'the report carries the pace');
  t.diagnostic(JSON.stringify(pace));
  assert.equal(pace.ceiling, 200, 'the default ceiling');
  assert.ok(w.drive.quota.stats.refused > 0, 'the quota never refused: the test did not press on it');
  assert.ok(pace.cuts >= 1, 'refusals cut the pace');
  assert.ok(pace.lowestRate < QUOTA * 2, `the pace came down near the quota, lowest ${pace.lowestRate}`);
  // What the fake refused is what the children and the lister reported refused, but for at most one refusal lost
  // when a child's last pace report races its exit (seen 2 in ~10 runs; an open defect, docs/design.md "Drive pacing").
  assert.ok(pace.refused <= w.drive.quota.stats.refused && pace.refused >= w.drive.quota.stats.refused - 1, `reported ${pace.refused} refusals, the fake refused ${w.drive.quota.stats.refused}`);
  assert.ok(pace.refused <= FILES, `refusals bounded: ${pace.refused} for ${FILES} files`);
  assert.match(run.stderr, /drive pace: .* requests\/s at the end \(ceiling 200, lowest .*\); \d+ of \d+ requests refused for the rate/);
});
