// A Drive token revoked mid-run, through the real CLI (issue 20, point 9). With --drive-access-token there is
// nothing to refresh: the first 401 stops the run, checkpointed, exit 2 and one line saying Drive refused the
// credentials; the files not yet copied stay pending (none failed), and a rerun with a new token finishes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ExitCode } from '../src/exit-codes.js';
import { JournalReader } from '../src/journal/journal-reader.js';
import type { JournalCounts } from '../src/journal/types.js';
import { TOKEN, folderOfFiles, listKeys, runCli, startCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const FILES = 40;
const NEW_TOKEN = 'e2e-access-token-reissued-9876543210';
let w: World;

before(async () => {
  w = await startWorld({ nodes: folderOfFiles('T', 'tokens', FILES, 2000) });
});

after(async () => {
  await w.close();
});

function countsOf(state: string): JournalCounts | null {
  let reader: JournalReader;
  try {
    reader = JournalReader.openReadOnly(state);
  } catch {
    return null; // not created yet
  }
  try {
    return reader.counts();
  } finally {
    reader.close();
  }
}

/** Polls the journal (another process writes it) until `done` files are recorded; fails after 60 s. */
async function waitForDone(state: string, done: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((countsOf(state)?.byStatus.done.files ?? 0) < done) {
    assert.ok(Date.now() < deadline, `fewer than ${done} files done after 60 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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

  const counts = countsOf(state);
  assert.ok(counts);
  const done = counts.byStatus.done.files;
  assert.ok(done >= 3 && done < FILES, `done: ${done}`);
  assert.equal(counts.byStatus.failed.files, 0, 'files were marked failed because of the token');
  assert.equal(counts.byStatus['in-progress'].files, 0);
  assert.equal(counts.byStatus.pending.files, FILES - done);
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
