// The journal's volume full, through the real CLI (issue 20, point 9): a 2 MiB tmpfs as the --state
// directory and enough files that the journal outgrows it. The run stops with one line naming the journal
// and "no space left", exit 74; the journal is intact, done files stay done, none failed; once the volume
// is bigger a rerun finishes, without reading again any file the first run had recorded done.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ExitCode } from '../src/exit-codes.js';
import { folderOfFiles, listKeys, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { mountTmpfs } from './support/tmpfs.js';
import type { Tmpfs } from './support/tmpfs.js';

const FILES = 400;
let w: World;
let volume: Tmpfs | string;

before(async () => {
  w = await startWorld({ nodes: folderOfFiles('F', 'full', FILES, 10) });
  volume = await mountTmpfs(2);
});

after(async () => {
  if (typeof volume !== 'string') await volume.unmount();
  await w.close();
});

interface Row {
  drive_id: string;
  status: string;
}

/** The journal's rows, read-only, after its integrity check passed. */
function readJournal(state: string): Row[] {
  const db = new Database(state, { readonly: true, fileMustExist: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    return db.prepare<[], Row>("SELECT drive_id, status FROM items WHERE key <> ''").all();
  } finally {
    db.close();
  }
}

test('the journal volume full: one line, exit 74, nothing lost; a rerun with space finishes', async (t) => {
  if (typeof volume === 'string') {
    t.skip(volume);
    return;
  }
  const state = join(volume.dir, 'journal.db');
  const flags = [...worldFlags(w, 'F', ['--workers', '2']), '--state', state];

  const full = await runCli(flags, {}, w.s3);
  assert.equal(full.code, ExitCode.JournalFull, full.stderr.slice(-3000));
  const lines = full.stderr.split('\n').filter((l) => l.startsWith('supervisor: '));
  assert.equal(lines.length, 1, full.stderr.slice(-3000));
  assert.ok(lines[0]?.startsWith(`supervisor: journal ${state}: no space left on its volume (`), lines[0]);
  assert.doesNotMatch(full.stderr, /\n\s+at /, 'a stack trace was printed');

  const rows = readJournal(state);
  assert.equal(rows.length, FILES, 'the listing was recorded before the volume filled');
  const done = rows.filter((r) => r.status === 'done').map((r) => r.drive_id);
  assert.ok(done.length > 0 && done.length < FILES, `done: ${done.length}`);
  t.diagnostic(`${done.length} of ${FILES} done when the volume filled: ${lines[0] ?? ''}`);
  assert.deepEqual(rows.filter((r) => r.status === 'failed'), [], 'files were marked failed because of the full volume');
  // Every file recorded done is in S3.
  const keys = new Set(await listKeys(w));
  for (const id of done) assert.ok(keys.has(`file-${id.slice('f-'.length)}.bin`), `${id} done but not in S3`);

  await volume.resize(64);
  w.drive.resetStats();
  const rerun = await runCli(flags, {}, w.s3);
  assert.equal(rerun.code, ExitCode.Ok, rerun.stderr.slice(-3000));
  const after = readJournal(state);
  assert.equal(after.filter((r) => r.status === 'done').length, FILES);
  assert.equal((await listKeys(w)).length, FILES);
  // Done stayed done: the rerun read none of them from Drive again, and every other file at least once.
  // (Not "exactly once": a rerun after a SIGTERM stop reads the odd file twice as well, a separate matter.)
  const wasDone = new Set(done);
  const misread = rows
    .map((r) => ({ id: r.drive_id, reads: w.drive.stats.mediaRequestsByFile.get(r.drive_id) ?? 0 }))
    .filter(({ id, reads }) => (wasDone.has(id) ? reads !== 0 : reads === 0));
  assert.deepEqual(misread, []);
});
