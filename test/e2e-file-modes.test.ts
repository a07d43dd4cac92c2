// The journal (and its -wal/-shm) and the report name every file copied: a real run makes them 0600, and the
// directories it makes for them 0700, whatever the umask it was started with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { folderOfFiles, startCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { until } from './support/within.js';

let w: World;

before(async () => {
  w = await startWorld({ nodes: folderOfFiles('R', 'private', 6, 4096) });
});

after(async () => {
  await w.close();
});

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

for (const umask of [0o022, 0o000]) {
  test(`umask ${umask.toString(8).padStart(3, '0')}: journal, -wal, -shm and report 0600, the directories made for them 0700`, async () => {
    const stateDir = join(w.dir, `state-${umask}`);
    const reportDir = join(w.dir, `reports-${umask}`);
    const journal = join(stateDir, 'nested', 'journal.db');
    const report = join(reportDir, 'run', 'report.json');
    // The CLI inherits the umask at spawn (a synchronous fork), so it is put back at once.
    const previous = process.umask(umask);
    const run = startCli(worldFlags(w, 'R', ['--state', journal, '--report', report]), {}, w.s3);
    process.umask(previous);
    // SQLite removes -wal and -shm when the run closes the journal: look while it runs.
    let sideModes: string[] = [];
    await until(() => {
      try {
        sideModes = [mode(`${journal}-wal`), mode(`${journal}-shm`)];
        return true;
      } catch {
        // Not there yet: the run has not opened its journal.
        return false;
      }
    }, 30_000, 'the journal\'s -wal and -shm');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(sideModes, ['600', '600']);
    assert.deepEqual([mode(journal), mode(report)], ['600', '600']);
    assert.deepEqual([stateDir, join(stateDir, 'nested'), reportDir, join(reportDir, 'run')].map(mode), ['700', '700', '700', '700']);
  });
}
