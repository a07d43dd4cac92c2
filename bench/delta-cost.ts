// Issue 22's cost figure: Drive requests, response bytes and time of a full pass against a delta pass after
// 1% of a 100,000-file tree changed, and an idle delta. The passes run as `run` makes them (sync-pass.ts:
// fake Drive through the real client, a real journal); the copy itself is left out — it is in proportion to
// the files each pass queues, which the figures give. Usage: node dist/bench/delta-cost.js [files-per-folder]
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
import { FOLDER_MIME, generateTree, startFakeDrive } from '../src/fake-drive/index.js';
import type { GeneratedTreeOptions } from '../src/fake-drive/index.js';
import { Journal } from '../src/journal/journal.js';
import { silentLogger } from '../src/observability/logger.js';

const TOKEN = 'delta-cost-token';
const filesPerFolder = Number(process.argv[2] ?? '900');

const TREE: GeneratedTreeOptions = { seed: 22, depth: 2, foldersPerFolder: 10, filesPerFolder, sizes: [1024, 65_536, 1_048_576], rootId: 'R', md5: 'none' };

type Call = (params: unknown, options: unknown) => Promise<{ data: unknown }>;

async function main(): Promise<void> {
  const fake = await startFakeDrive({
    token: TOKEN,
    nodes: [{ id: 'R', name: 'R', parents: ['root'], mimeType: FOLDER_MIME }],
    generate: [TREE],
  });
  const client = createDriveClient({ auth: createDriveAuth({ accessToken: TOKEN }), rootUrl: fake.rootUrl });
  // Response bytes as the client received them (JSON), counted around the three calls the passes make.
  let bytes = 0;
  const count = (resource: Record<string, unknown>, name: string): void => {
    const original = (resource[name] as Call).bind(resource);
    resource[name] = async (params: unknown, options: unknown) => {
      const res = await original(params, options);
      bytes += Buffer.byteLength(JSON.stringify(res.data));
      return res;
    };
  };
  count(client.drive.files as unknown as Record<string, unknown>, 'list');
  count(client.drive.changes as unknown as Record<string, unknown>, 'list');
  count(client.drive.changes as unknown as Record<string, unknown>, 'getStartPageToken');

  const dir = mkdtempSync(join(tmpdir(), 'delta-cost-'));
  const state = join(dir, 'journal.db');
  const settings = resolveSettings({ state, driveFolderId: 'R', s3Bucket: 'unused' }, {});
  const journal = Journal.open(state, { source: 'R', target: 'bench' }, { fresh: false });
  const guard = new JournalWriteGuard(state);
  const log = silentLogger();
  const s3 = new S3Client({ region: 'us-east-1' }); // not called: --deletes keep
  const pending = (): number => journal.counts().byStatus.pending.files;

  const pass = async (label: string, full: boolean): Promise<void> => {
    fake.resetStats();
    bytes = 0;
    const before = pending();
    const started = process.hrtime.bigint();
    const progress = { listed: 0, skipped: 0, pages: 0 };
    const result: PassResult = await runPass({
      settings: { ...settings, full }, drive: client, journal, guard, rootId: 'R', prefix: '', pacer: createPacer({ tps: Number.POSITIVE_INFINITY }),
      shard: null, log, signal: new AbortController().signal, progress, notify: () => undefined,
    });
    await finishPass({ settings: { ...settings, full }, journal, guard, log, s3, bucket: 'unused', shard: null }, result);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // The copy would take what is pending; mark it done so the next pass starts from a finished journal.
    const queued = pending() - before;
    journal.batch(() => {
      for (const item of journal.takePending(1_000_000, () => 0)) journal.markDone(item.id, { bytes: item.sizeBytes, md5: null });
    });
    const c = result.delta?.counts;
    process.stdout.write(
      `| ${label} | ${fake.stats.requests} | ${(bytes / 1024 / 1024).toFixed(2)} MB | ${(ms / 1000).toFixed(2)} s | ${queued + before} | ${c ? `${c.changes} changes: ${c.new} new, ${c.changed} changed, ${c.moved} moved, ${c.gone} gone; ${c.foldersListed} folders listed` : `${progress.listed} listed`} |\n`,
    );
  };

  // The same generated tree, to pick files from (every 100th file, spread over all folders).
  const files = generateTree(TREE).filter((n) => n.mimeType !== FOLDER_MIME).map((n) => n.id);
  process.stdout.write(`tree: 111 folders, ${files.length} files\n\n| pass | Drive requests | response bytes | time | files queued to copy | what |\n| --- | --- | --- | --- | --- | --- |\n`);
  await pass('full', true);
  await pass('idle delta', false);
  // 1% changed: half content edits, a fifth renames, a fifth moves to another folder, a tenth trashed.
  const picked = files.filter((_, i) => i % 100 === 0);
  const cut = (from: number, to: number): string[] => picked.slice(Math.round(picked.length * from), Math.round(picked.length * to));
  const [edits, renames, moves, trashes] = [cut(0, 0.5), cut(0.5, 0.7), cut(0.7, 0.9), cut(0.9, 1)];
  for (const id of edits) fake.updateFile(id, { size: 4096 });
  for (const id of renames) fake.updateFile(id, { name: `renamed-${id}.bin` });
  for (const id of moves) fake.moveNode(id, ['R']);
  for (const id of trashes) fake.updateFile(id, { trashed: true });
  await pass(`delta, ${picked.length} files changed`, false);
  await pass('idle delta', false);
  await pass('full again (--full)', true);
  journal.close();
  await fake.close();
}

await main();
