// Failures every file would meet stop the run, through the real CLI (issue 20, points 5 and 9): a Drive token
// revoked mid-run (with --drive-access-token there is nothing to refresh: exit 2) and Drive's download quota
// used up (403 downloadQuotaExceeded: exit 3 with the time to rerun). Either way one line, the files not yet
// copied stay pending (none failed), and a rerun once Drive accepts again finishes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ExitCode } from '../src/exit-codes.js';
import { TOKEN, assertStoppedCheckpointed, countsOf, folderOfFiles, listKeys, runCli, startCli, startWorld, waitForDone, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const FILES = 40;
const NEW_TOKEN = 'e2e-access-token-reissued-9876543210';
let w: World;
let q: World;

before(async () => {
  w = await startWorld({ nodes: folderOfFiles('T', 'tokens', FILES, 2000) });
  q = await startWorld({ nodes: folderOfFiles('Q', 'quota', FILES, 2000) });
});

after(async () => {
  await w.close();
  await q.close();
});


test('a token revoked mid-run stops the run with exit 2 and one line; nothing failed; a rerun with a new token finishes', async (t) => {
  const state = join(w.dir, 'journal.db');
  // Slow enough (3 Drive requests a second per process) that files remain when the token goes.
  const run = startCli(worldFlags(w, 'T', ['--workers', '1', '--drive-tps', '6']), {}, w.s3);
  await waitForDone(state, 3);
  w.drive.revokeToken(TOKEN);
  const stopped = await run.done;

  assert.equal(stopped.code, ExitCode.Config, stopped.stderr.slice(-3000));
  const lines = stopped.stderr.split('\n').filter((l) => l.startsWith('supervisor: '));
  assert.equal(lines.length, 1, stopped.stderr.slice(-3000));
  assert.match(lines[0] ?? '', /^supervisor: Drive refused the credentials mid-run \(HTTP 401.*\): the run stopped, \d+ files still pending, none marked failed; rerun with valid Drive credentials/);
  assert.doesNotMatch(stopped.stderr, /\n\s+at /, 'a stack trace was printed');
  assert.equal(stopped.stderr.includes(TOKEN) || stopped.stdout.includes(TOKEN), false, 'the token leaked');
  assert.ok(w.drive.stats.unauthorized > 0, 'Drive never refused a request');

  const done = assertStoppedCheckpointed(state, FILES, 'of the token');
  assert.ok(done >= 3 && done < FILES, `done: ${done}`);
  assert.match(lines[0] ?? '', new RegExp(`the run stopped, ${FILES - done} files still pending`));
  t.diagnostic(lines[0] ?? '');

  w.drive.acceptToken(NEW_TOKEN);
  const rerun = await runCli([...worldFlags(w, 'T'), '--drive-access-token', NEW_TOKEN], {}, w.s3);
  assert.equal(rerun.code, ExitCode.Ok, rerun.stderr.slice(-3000));
  assert.equal((await listKeys(w)).length, FILES);
  const after = countsOf(state);
  assert.equal(after?.byStatus.done.files, FILES);
  assert.equal(after.byStatus.failed.files, 0);
});

test("Drive's download quota refusing three files in a row stops the run with exit 3 and the time to rerun; nothing failed; a rerun finishes", async (t) => {
  const state = join(q.dir, 'journal.db');
  q.drive.addFault({ route: 'media', skip: 5, fault: { type: 'status', status: 403, reason: 'downloadQuotaExceeded' } });
  const stopped = await runCli(worldFlags(q, 'Q', ['--workers', '1']), {}, q.s3);

  assert.equal(stopped.code, ExitCode.DownloadQuota, stopped.stderr.slice(-3000));
  const lines = stopped.stderr.split('\n').filter((l) => l.startsWith('supervisor: '));
  assert.equal(lines.length, 1, stopped.stderr.slice(-3000));
  assert.match(lines[0] ?? '', /^supervisor: Drive's download quota is used up \(HTTP 403 downloadQuotaExceeded.*\): the run stopped, \d+ files still pending, none marked failed; Drive counts it over 24 h: rerun after \d{4}-\d\d-\d\dT/);
  const done = assertStoppedCheckpointed(state, FILES, 'of the quota');
  assert.ok(done >= 1 && done <= 5, `done: ${done} (Drive allowed five media requests)`);
  t.diagnostic(lines[0] ?? '');

  q.drive.clearFaults();
  const rerun = await runCli(worldFlags(q, 'Q'), {}, q.s3);
  assert.equal(rerun.code, ExitCode.Ok, rerun.stderr.slice(-3000));
  assert.equal((await listKeys(q)).length, FILES);
  assert.equal(countsOf(state)?.byStatus.done.files, FILES);
});
