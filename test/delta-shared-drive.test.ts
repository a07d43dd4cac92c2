// Issue 22 on a shared drive: the full pass takes the drive's start token and the delta lists that drive's
// changes (driveId, supportsAllDrives, includeItemsFromAllDrives) through the real client, so a change in
// My Drive is not seen, and a change in the drive is keyed as the listing keys it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { JournalWriteGuard } from '../src/app/journal-write-guard.js';
import { finishPass, runPass } from '../src/app/sync-pass.js';
import type { PassResult } from '../src/app/sync-pass.js';
import { resolveSettings } from '../src/config/settings.js';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { createDriveClient } from '../src/source/drive/drive-client.js';
import { createPacer } from '../src/source/drive/pacer.js';
import { FOLDER_MIME, startFakeDrive } from '../src/fake-drive/index.js';
import { Journal } from '../src/journal/journal.js';
import { silentLogger } from '../src/observability/logger.js';

const TOKEN = 'shared-delta-token';
const BIN = 'application/octet-stream';

test('delta on a shared drive: only that drive changes, keyed as the listing keys them', async (t) => {
  const fake = await startFakeDrive({
    token: TOKEN,
    sharedDrives: [{ id: 'sd1', name: 'Team' }],
    nodes: [
      { id: 'docs', name: 'docs', parents: ['sd1'], mimeType: FOLDER_MIME },
      { id: 'a', name: 'a.bin', parents: ['docs'], mimeType: BIN, size: 10 },
      { id: 'b', name: 'b.bin', parents: ['sd1'], mimeType: BIN, size: 20 },
      { id: 'mine', name: 'mine.bin', parents: ['root'], mimeType: BIN, size: 30 },
    ],
  });
  t.after(() => fake.close());
  const drive = createDriveClient({ auth: createDriveAuth({ accessToken: TOKEN }), rootUrl: fake.rootUrl });
  const state = join(mkdtempSync(join(tmpdir(), 'delta-sd-')), 'journal.db');
  const settings = resolveSettings({ state, sharedDriveId: 'sd1', s3Bucket: 'unused' }, {});
  const journal = Journal.open(state, { source: 'sd1', target: 'test' }, { fresh: false });
  t.after(() => journal.close());
  const guard = new JournalWriteGuard(state);
  const log = silentLogger();
  const s3 = new S3Client({ region: 'us-east-1' }); // not called under --deletes keep
  const pass = async (): Promise<PassResult> => {
    const result = await runPass({
      settings, drive, journal, guard, rootId: 'sd1', prefix: 'team', pacer: createPacer({ tps: Number.POSITIVE_INFINITY }),
      shard: null, log, signal: new AbortController().signal, progress: { listed: 0, skipped: 0, pages: 0 }, notify: () => undefined,
    });
    await finishPass({ settings, journal, guard, log, s3, bucket: 'unused', shard: null }, result);
    for (const item of journal.takePending(100, () => 0)) journal.markDone(item.id, { bytes: item.sizeBytes, md5: null });
    return result;
  };
  const keys = (): string[] => [...journal.doneItems()].map((d) => d.key).sort();

  const full = await pass();
  assert.equal(full.kind, 'full');
  assert.deepEqual(keys(), ['team/b.bin', 'team/docs/a.bin']);

  fake.updateFile('mine', { size: 31 });
  fake.updateFile('a', { name: 'a2.bin' });
  fake.addNodes([{ id: 'c', name: 'c.bin', parents: ['docs'], mimeType: BIN, size: 5 }]);
  const delta = await pass();
  assert.equal(delta.kind, 'delta');
  assert.deepEqual(delta.delta?.counts && { changes: delta.delta.counts.changes, new: delta.delta.counts.new, moved: delta.delta.counts.moved, gone: delta.delta.counts.gone }, { changes: 2, new: 1, moved: 1, gone: 1 }, 'the My Drive change is not in the shared drive\'s list');
  assert.equal(delta.delta?.counts.foldersListed, 0, 'no clash: keyed without listing');
  assert.deepEqual(keys(), ['team/b.bin', 'team/docs/a.bin', 'team/docs/a2.bin', 'team/docs/c.bin'], 'a.bin kept (--deletes keep), marked gone');
  assert.deepEqual(journal.delta.goneRows(10).map((g) => g.key), ['team/docs/a.bin']);
});
