// The per-drive manifest: a gzipped JSON Lines object beside the data, one line per copied file with its
// owners, permissions and checksums, rewritten by a delta that changed something and left alone by an idle one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import { readManifest, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const KEY = 'p/_manifest.jsonl.gz';
const owner = 'ada@example.com';
let w: World;

before(async () => {
  w = await startWorld({
    nodes: [
      { id: 'R', name: 'root', parents: ['root'], mimeType: FOLDER_MIME },
      { id: 'S', name: 'sub', parents: ['R'], mimeType: FOLDER_MIME },
      {
        id: 'a', name: 'a.bin', parents: ['R'], mimeType: 'application/octet-stream', size: 5000,
        createdTime: '2020-02-02T02:02:02.000Z', modifiedTime: '2021-03-03T03:03:03.000Z', description: 'the first', owners: [owner],
        permissions: [{ role: 'owner', type: 'user', emailAddress: owner }, { role: 'reader', type: 'domain', domain: 'example.com' }],
      },
      { id: 'b', name: 'b.bin', parents: ['S'], mimeType: 'application/octet-stream', size: 700, owners: [owner] },
      { id: 'd', name: 'Plan', parents: ['R'], mimeType: 'application/vnd.google-apps.document', exportSize: 3000 },
    ],
  });
});

after(async () => {
  await w.close();
});

const manifest = (): Promise<Record<string, unknown>[]> => readManifest(w, KEY);

async function passManifest(): Promise<{ written: boolean; why?: string; files?: number } | null> {
  const report = JSON.parse(await readFile(join(w.dir, 'report.json'), 'utf8')) as { pass?: { manifest: { written: boolean; why?: string; files?: number } | null } };
  return report.pass?.manifest ?? null;
}

const flags = (): string[] => worldFlags(w, 'R', ['--s3-prefix', 'p']);

test('a full pass writes one line per copied file with owners, permissions, checksums and the export format', async () => {
  const run = await runCli(flags(), {}, w.s3);
  assert.equal(run.code, 0, run.stderr);
  const lines = await manifest();
  assert.deepEqual(lines.map((l) => l.key), ['p/Plan.docx', 'p/a.bin', 'p/sub/b.bin']);
  const a = lines.find((l) => l.id === 'a');
  assert.ok(a);
  assert.equal(a.path, 'a.bin');
  assert.equal(a.size, 5000);
  assert.equal(a.md5, await w.drive.trueMd5('a'));
  assert.match(String(a.sha1), /^[0-9a-f]{40}$/);
  assert.equal(a.createdTime, '2020-02-02T02:02:02.000Z');
  assert.equal(a.modifiedTime, '2021-03-03T03:03:03.000Z');
  assert.equal(a.description, 'the first');
  assert.equal(a.starred, false);
  assert.deepEqual(a.owners, [{ email: 'ada@example.com', name: null }]);
  assert.deepEqual(a.permissions, [{ role: 'owner', type: 'user', email: 'ada@example.com' }, { role: 'reader', type: 'domain', domain: 'example.com' }]);
  assert.equal(a.exportFormat, null);
  const d = lines.find((l) => l.id === 'd');
  assert.equal(d?.exportFormat, 'docx');
  assert.equal(d?.size, 3000, 'an export has the size it streamed');
  assert.deepEqual(await passManifest(), { written: true, key: KEY, files: 3, bytes: 8700 });
});

test('an idle delta leaves the manifest alone; a delta that stars, renames and removes rewrites it', async () => {
  const idle = await runCli(flags(), {}, w.s3);
  assert.equal(idle.code, 0, idle.stderr);
  assert.deepEqual(await passManifest(), { written: false, key: KEY, why: 'unchanged' });

  w.drive.updateFile('a', { starred: true, modifiedTime: '2021-03-03T03:03:03.000Z' });
  w.drive.updateFile('b', { name: 'b2.bin' });
  w.drive.removeNode('d');
  const delta = await runCli(flags(), {}, w.s3);
  assert.equal(delta.code, 0, delta.stderr);
  const lines = await manifest();
  assert.deepEqual(lines.map((l) => l.key), ['p/a.bin', 'p/sub/b2.bin'], 'the renamed file under its new key, the deleted one gone');
  assert.equal(lines.find((l) => l.id === 'a')?.starred, true);
  assert.equal((await passManifest())?.written, true);
});
