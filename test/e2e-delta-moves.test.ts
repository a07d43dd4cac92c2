// Issue 22: a renamed or moved file, or a renamed folder's whole subtree, is written under its new keys by
// S3 CopyObject from the old objects — no byte downloaded from Drive again; old keys stay (--deletes keep)
// or go (--deletes delete). A store that refuses CopyObject gets the copy from Drive, said once. An idle
// delta writes nothing to S3 (not even the preflight marker); `plan` refuses another source's journal.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import { head, listKeys, objectMd5, readReport, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const BIN = 'application/octet-stream';
const FLAGS = ['--workers', '1', '--drive-retries', '0'];
const N = 12;

const worlds: World[] = [];
after(async () => {
  for (const w of worlds) await w.close();
});

async function world(copyObject: boolean): Promise<World> {
  const w = await startWorld(
    {
      nodes: [
        { id: 'R', name: 'R', parents: ['root'], mimeType: FOLDER_MIME },
        { id: 'docs', name: 'docs', parents: ['R'], mimeType: FOLDER_MIME },
        { id: 'inner', name: 'inner', parents: ['docs'], mimeType: FOLDER_MIME },
        ...Array.from({ length: N }, (_, i) => ({ id: `f${i}`, name: `file-${i}.bin`, parents: [i % 3 === 0 ? 'inner' : 'docs'], mimeType: BIN, size: 700 + i })),
        { id: 'solo', name: 'solo.bin', parents: ['R'], mimeType: BIN, size: 900 },
      ],
    },
    { copyObject },
  );
  worlds.push(w);
  return w;
}

async function run(w: World, extra: string[] = []): Promise<{ code: number | null; out: string; done: number }> {
  const r = await runCli(worldFlags(w, 'R', [...FLAGS, ...extra]), {}, w.s3);
  const report = await readReport(w);
  assert.equal(report.exitCode, r.code, r.stderr);
  return { code: r.code, out: `${r.stdout}\n${r.stderr}`, done: report.thisRun.done };
}

const fileKey = (dir: string, i: number): string => `${dir}/${i % 3 === 0 ? 'inner/' : ''}file-${i}.bin`;
const subtree = (dir: string): string[] => Array.from({ length: N }, (_, i) => fileKey(dir, i));

async function assertSubtree(w: World, dir: string): Promise<void> {
  for (let i = 0; i < N; i++) assert.equal(await objectMd5(w, fileKey(dir, i)), await w.drive.trueMd5(`f${i}`), `bytes of ${fileKey(dir, i)}`);
}

test('a renamed folder and a renamed file are copied inside S3: zero Drive downloads, new keys right, old keys kept then deleted', async () => {
  const w = await world(true);
  const full = await run(w);
  assert.equal(full.code, 0, full.out);
  assert.equal(full.done, N + 1);

  // An idle delta writes nothing to S3: no object, no preflight marker (bytes received by the store unchanged).
  const keysBefore = await listKeys(w);
  const putBytes = w.s3.bytesReceived();
  const idle = await run(w);
  assert.equal(idle.code, 0, idle.out);
  assert.match(idle.out, /delta pass: 0 changes/);
  assert.equal(w.s3.bytesReceived(), putBytes, 'an idle delta sent no PUT body (no preflight marker)');
  assert.deepEqual(await listKeys(w), keysBefore, 'the bucket is unchanged');

  w.drive.updateFile('docs', { name: 'docs-renamed' });
  w.drive.updateFile('solo', { name: 'solo-renamed.bin' });
  w.drive.resetStats();
  const delta = await run(w);
  assert.equal(delta.code, 0, delta.out);
  assert.equal(w.drive.stats.mediaRequests, 0, 'no byte of a renamed file was downloaded again');
  assert.match(delta.out, new RegExp(`${N + 1} renamed/moved objects copied inside S3`));
  await assertSubtree(w, 'docs-renamed');
  assert.equal(await objectMd5(w, 'solo-renamed.bin'), await w.drive.trueMd5('solo'));
  const meta = (await head(w, 'docs-renamed/inner/file-0.bin')).metadata;
  assert.equal(decodeURIComponent(meta['drive-path'] ?? ''), 'docs-renamed/inner/file-0.bin', 'the copy carries the new Drive path');
  assert.equal(meta['drive-file-id'], 'f0');
  const keys = await listKeys(w);
  for (const k of [...subtree('docs'), 'solo.bin']) assert.ok(keys.includes(k), `old key ${k} kept under --deletes keep`);
  const pass = ((await readReport(w)) as unknown as { pass: { wouldDeleteTotal: number; serverCopied: number } }).pass;
  assert.equal(pass.wouldDeleteTotal, N + 1, 'the report lists the kept old keys');
  assert.equal(pass.serverCopied, N + 1);

  // Renamed again, with --deletes delete: the new keys are copied, every old key (kept earlier and now) goes.
  w.drive.updateFile('docs', { name: 'docs-final' });
  w.drive.resetStats();
  const del = await run(w, ['--deletes', 'delete']);
  assert.equal(del.code, 0, del.out);
  assert.equal(w.drive.stats.mediaRequests, 0);
  assert.deepEqual(await listKeys(w), [...subtree('docs-final'), 'solo-renamed.bin'].sort());
  await assertSubtree(w, 'docs-final');

  // The journal belongs to folder R: `plan` for another folder refuses it in one line, exit 2.
  const other = await runCli(['plan', ...worldFlags(w, 'docs', FLAGS)], {}, w.s3);
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /journal .* belongs to another source: it records "folder:R", this plan is "folder:docs"/);
});

test('a store that refuses CopyObject: the renamed subtree is copied from Drive, said once', async () => {
  const w = await world(false);
  assert.equal((await run(w)).code, 0);
  w.drive.updateFile('docs', { name: 'docs-renamed' });
  w.drive.resetStats();
  const delta = await run(w);
  assert.equal(delta.code, 0, delta.out);
  assert.equal(delta.out.split('\n').filter((l) => /refuses CopyObject/.test(l)).length, 1, 'said once');
  assert.equal(w.drive.stats.mediaRequests, N, 'each file of the subtree downloaded once');
  await assertSubtree(w, 'docs-renamed');
  assert.doesNotMatch(delta.out, /renamed\/moved objects copied inside S3/);
});
