// The retry policy's bound, counted at the server (issue 19, docs/design.md "Retries"): a part that always gets a
// 500 is sent (--drive-retries + 1) × --max-attempts times and no more — our loop in the child and the
// supervisor's file-level attempts, the S3 SDK's own retries off under them (it would be 5 times that).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ExitCode } from '../src/exit-codes.js';
import { JournalReader } from '../src/journal/journal-reader.js';
import { countsOf, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const MiB = 1024 * 1024;
const RETRIES = 2;
const ATTEMPTS = 2;

let w: World;

before(async () => {
  w = await startWorld(
    { nodes: [{ id: 'R', name: 'R', parents: ['root'], mimeType: 'application/vnd.google-apps.folder' }, { id: 'big', name: 'big.bin', parents: ['R'], mimeType: 'application/octet-stream', size: 11 * MiB }] },
    { failPart: 1 },
  );
});

after(async () => {
  await w.close();
});

test(`a part answered 500 every time is sent (retries + 1) × attempts = ${(RETRIES + 1) * ATTEMPTS} times, then the file fails as S3's`, async () => {
  const state = join(w.dir, 'journal.db');
  const run = await runCli(worldFlags(w, 'R', ['--workers', '1', '--drive-retries', String(RETRIES), '--max-attempts', String(ATTEMPTS)]), {}, w.s3);

  assert.equal(run.code, ExitCode.SomeFailed, run.stderr.slice(-3000));
  assert.equal(w.s3.partSends(1), (RETRIES + 1) * ATTEMPTS, 'UploadPart of part 1 as the server counted them');
  assert.equal(countsOf(state)?.byStatus.failed.files, 1);
  const reader = JournalReader.openReadOnly(state);
  try {
    const [failed, ...others] = reader.failures(10);
    assert.ok(failed && others.length === 0);
    assert.match(failed.reason, /^s3-server-error: .*InternalError/);
  } finally {
    reader.close();
  }
});
