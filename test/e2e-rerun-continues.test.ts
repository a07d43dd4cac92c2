// Issue 20, point 4: a plain rerun continues. Files that failed for a transient reason (here a 500 on every
// media request) are tried again by the next `run`, up to --max-runs-per-file runs each; permanent failures
// (a 403 forbidden) stay failed with their reason and are not asked for again; `retry-failed` still takes all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import { objectMd5, readReport, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const FLAGS = ['--workers', '1', '--max-attempts', '2', '--drive-retries', '0', '--max-runs-per-file', '2'];
const FILES = ['ok', 'flaky-a', 'flaky-b', 'locked'];

let w: World;

before(async () => {
  w = await startWorld({
    nodes: [
      { id: 'R', name: 'R', parents: ['root'], mimeType: FOLDER_MIME },
      ...FILES.map((id, i) => ({ id, name: `${id}.bin`, parents: ['R'], mimeType: 'application/octet-stream', size: 1024 * (i + 1) })),
    ],
  });
});

after(async () => {
  await w.close();
});

function serverError(fileId: string): void {
  w.drive.addFault({ route: 'media', fileId, fault: { type: 'status', status: 500, reason: 'backendError' } });
}

function forbidden(): void {
  w.drive.addFault({ route: 'media', fileId: 'locked', fault: { type: 'status', status: 403, reason: 'forbidden' } });
}

async function run(command: string[] = []): Promise<{ code: number | null; failed: Map<string, string> }> {
  w.drive.resetStats();
  const r = await runCli([...command, ...worldFlags(w, 'R', FLAGS)], {}, w.s3);
  const report = await readReport(w);
  assert.equal(report.exitCode, r.code, r.stderr);
  return { code: r.code, failed: new Map(report.failed.map((f) => [f.id, f.reason])) };
}

async function assertCopied(id: string): Promise<void> {
  assert.equal(await objectMd5(w, `${id}.bin`), await w.drive.trueMd5(id), `bytes of ${id}`);
}

test('transient failures are retried by the next run up to --max-runs-per-file; permanent ones stay failed', async () => {
  serverError('flaky-a');
  serverError('flaky-b');
  forbidden();
  const first = await run();
  assert.equal(first.code, 1);
  assert.deepEqual([...first.failed.keys()].sort(), ['flaky-a', 'flaky-b', 'locked']);
  assert.match(first.failed.get('locked') ?? '', /^forbidden: /);
  await assertCopied('ok');

  // Run 2: flaky-a's fault is gone, flaky-b's is not (its 2nd failed run), locked is still forbidden.
  w.drive.clearFaults();
  serverError('flaky-b');
  forbidden();
  const second = await run();
  assert.equal(second.code, 1);
  assert.deepEqual([...second.failed.keys()].sort(), ['flaky-b', 'locked']);
  await assertCopied('flaky-a');
  assert.match(second.failed.get('locked') ?? '', /^forbidden: /, 'the permanent failure keeps its reason');
  assert.equal(w.drive.stats.mediaRequestsByFile.get('locked') ?? 0, 0, 'a permanent failure is not asked for again');
  assert.ok((w.drive.stats.mediaRequestsByFile.get('flaky-b') ?? 0) > 0, 'the transient failure was tried again');

  // Run 3, every fault gone: flaky-b failed in 2 runs already (--max-runs-per-file 2), so it stays failed.
  w.drive.clearFaults();
  const third = await run();
  assert.equal(third.code, 1);
  assert.deepEqual([...third.failed.keys()].sort(), ['flaky-b', 'locked']);
  assert.equal(w.drive.stats.mediaRequests, 0, 'nothing was requeued');

  // retry-failed takes them all, whatever their kind.
  const retried = await run(['retry-failed']);
  assert.equal(retried.code, 0);
  assert.deepEqual([...retried.failed.keys()], []);
  for (const id of FILES) await assertCopied(id);
});
