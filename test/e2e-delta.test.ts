// Issue 22: incremental sync through the real CLI. A full pass stores Drive's change token; after edits in
// the fake Drive, the next `run` is a delta pass that rewrites exactly what changed, writes renamed and
// moved files under their new keys, keeps (or with --deletes delete, removes) the old objects, re-keys a
// moved folder's subtree, and an idle delta costs a handful of Drive requests and writes no object.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import { join } from 'node:path';
import { countsOf, listKeys, objectMd5, readReport, runCli, startCli, startWorld, waitForDone, worldFlags } from './support/e2e.js';
import { startMediaGate } from './support/media-gate.js';
import { until } from './support/within.js';
import type { World } from './support/e2e.js';

const BIN = 'application/octet-stream';
const FLAGS = ['--workers', '1', '--drive-retries', '0'];

let w: World;

before(async () => {
  w = await startWorld({
    nodes: [
      { id: 'R', name: 'R', parents: ['root'], mimeType: FOLDER_MIME },
      { id: 'sub', name: 'sub', parents: ['R'], mimeType: FOLDER_MIME },
      { id: 'deep', name: 'deep', parents: ['sub'], mimeType: FOLDER_MIME },
      { id: 'other', name: 'other', parents: ['root'], mimeType: FOLDER_MIME },
      { id: 'keep', name: 'keep.bin', parents: ['R'], mimeType: BIN, size: 1000 },
      { id: 'edit', name: 'edit.bin', parents: ['R'], mimeType: BIN, size: 1100 },
      { id: 'ren', name: 'old-name.bin', parents: ['R'], mimeType: BIN, size: 1200 },
      { id: 'mv', name: 'mv.bin', parents: ['R'], mimeType: BIN, size: 1300 },
      { id: 'trash', name: 'trash.bin', parents: ['R'], mimeType: BIN, size: 1400 },
      { id: 'del', name: 'del.bin', parents: ['R'], mimeType: BIN, size: 1500 },
      { id: 'out', name: 'out.bin', parents: ['R'], mimeType: BIN, size: 1600 },
      { id: 'in', name: 'in.bin', parents: ['other'], mimeType: BIN, size: 1700 },
      { id: 's1', name: 's1.bin', parents: ['sub'], mimeType: BIN, size: 1800 },
      { id: 'd1', name: 'd1.bin', parents: ['deep'], mimeType: BIN, size: 1900 },
      { id: 'dup-a', name: 'dup.bin', parents: ['R'], mimeType: BIN, size: 2000 },
    ],
  });
});

after(async () => {
  await w.close();
});

async function run(extra: string[] = []): Promise<{ code: number | null; stderr: string; done: number }> {
  const r = await runCli(worldFlags(w, 'R', [...FLAGS, ...extra]), {}, w.s3);
  const report = await readReport(w);
  assert.equal(report.exitCode, r.code, r.stderr);
  // Log lines (JSON) go to stdout, the summary to stderr: both are searched.
  return { code: r.code, stderr: `${r.stdout}\n${r.stderr}`, done: report.thisRun.done };
}

async function lastModified(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const page = await w.client.send(new ListObjectsV2Command({ Bucket: w.s3.bucket }));
  for (const o of page.Contents ?? []) if (o.Key) out.set(o.Key, o.LastModified?.getTime() ?? 0);
  return out;
}

async function assertObject(key: string, id: string): Promise<void> {
  assert.equal(await objectMd5(w, key), await w.drive.trueMd5(id), `bytes of ${key}`);
}

test('a delta pass applies exactly the changes; --deletes keep keeps old keys, delete removes them; idle deltas are cheap', async () => {
  const full = await run();
  assert.equal(full.code, 0, full.stderr);
  assert.equal(full.done, 10);
  assert.match(full.stderr, /full pass: 0 gone from Drive/);
  const initialKeys = await listKeys(w);
  assert.deepEqual(initialKeys, ['del.bin', 'dup.bin', 'edit.bin', 'keep.bin', 'mv.bin', 'old-name.bin', 'out.bin', 'sub/deep/d1.bin', 'sub/s1.bin', 'trash.bin']);

  // An idle delta: a handful of Drive requests, nothing copied, no object written.
  const before = await lastModified();
  const putBytes = w.s3.bytesReceived();
  w.drive.resetStats();
  const changeRequestsBefore = w.drive.changeRequests;
  const idle = await run();
  assert.equal(idle.code, 0, idle.stderr);
  assert.equal(idle.done, 0);
  assert.match(idle.stderr, /delta pass: 0 changes/);
  assert.equal(w.drive.stats.requests, 2, 'an idle delta: the root preflight and one changes.list page');
  assert.equal(w.drive.changeRequests - changeRequestsBefore, 1);
  assert.equal(w.drive.stats.listRequests, 0, 'no folder listed');
  assert.equal(w.drive.stats.mediaRequests, 0);
  assert.deepEqual(await lastModified(), before, 'no object written');
  assert.equal(w.s3.bytesReceived(), putBytes, 'nothing sent to S3, not even the preflight marker');

  // Mutations on Drive.
  w.drive.updateFile('edit', { size: 4321 });
  w.drive.updateFile('ren', { name: 'new-name.bin' });
  w.drive.moveNode('mv', ['sub']);
  w.drive.updateFile('trash', { trashed: true });
  w.drive.removeNode('del');
  w.drive.moveNode('out', ['other']);
  w.drive.moveNode('in', ['R']);
  w.drive.addNodes([
    { id: 'new', name: 'new.bin', parents: ['deep'], mimeType: BIN, size: 2100 },
    { id: 'dup-b', name: 'dup.bin', parents: ['R'], mimeType: BIN, size: 2200 },
  ]);
  w.drive.updateFile('sub', { name: 'sub2' });

  // `plan` shows what the next delta will do, by kind, and copies nothing.
  w.drive.resetStats();
  const planned = await runCli(['plan', ...worldFlags(w, 'R', FLAGS)], {}, w.s3);
  assert.equal(planned.code, 0, planned.stderr);
  assert.match(planned.stdout, /next delta \(journal .*\): 10 changes on Drive; 3 new, 1 changed, 5 renamed\/moved, 8 deleted \(--deletes keep\)/);
  assert.equal(w.drive.stats.mediaRequests, 0);
  assert.deepEqual(await listKeys(w), initialKeys, 'plan wrote nothing');

  w.drive.resetStats();
  const delta = await run();
  assert.equal(delta.code, 0, delta.stderr);
  const copied = [...w.drive.stats.mediaRequestsByFile.keys()].sort();
  // Duplicate names: both dup.bin files get their id suffix, as a full pass would give them.
  // Renamed and moved files (the moved subtree too) are copied inside S3 (delta-moves.ts): no download.
  assert.deepEqual(copied, ['dup-b', 'edit', 'in', 'new'], 'exactly the new and changed files were downloaded');
  assert.match(delta.stderr, /5 renamed\/moved objects copied inside S3/);
  assert.match(delta.stderr, /delta pass: \d+ changes, /);
  assert.match(delta.stderr, /--deletes keep: \d+ objects of files gone from Drive kept/);
  assert.equal(w.drive.stats.listRequests <= 6, true, `delta listed ${w.drive.stats.listRequests} folder pages`);

  const keys = await listKeys(w);
  const expectedNew = ['dup (dup-a).bin', 'dup (dup-b).bin', 'edit.bin', 'in.bin', 'keep.bin', 'new-name.bin', 'sub2/deep/d1.bin', 'sub2/deep/new.bin', 'sub2/mv.bin', 'sub2/s1.bin'];
  const keptOld = ['del.bin', 'dup.bin', 'mv.bin', 'old-name.bin', 'out.bin', 'sub/deep/d1.bin', 'sub/s1.bin', 'trash.bin'];
  assert.deepEqual(keys, [...expectedNew, ...keptOld].sort(), 'new keys written, old keys kept under --deletes keep');
  const pass = ((await readReport(w)) as unknown as { pass: { kind: string; wouldDelete: { key: string }[]; counts: Record<string, number> } }).pass;
  assert.equal(pass.kind, 'delta');
  assert.deepEqual(pass.wouldDelete.map((g) => g.key).sort(), keptOld, 'the report lists what --deletes delete would remove');
  assert.deepEqual({ new: pass.counts.new, moved: pass.counts.moved, changed: pass.counts.changed }, { new: 3, moved: 5, changed: 1 });
  await assertObject('edit.bin', 'edit');
  await assertObject('new-name.bin', 'ren');
  await assertObject('sub2/mv.bin', 'mv');
  await assertObject('sub2/deep/new.bin', 'new');
  await assertObject('dup (dup-b).bin', 'dup-b');
  await assertObject('in.bin', 'in');

  // A second idle delta after the changes: still nothing to do.
  w.drive.resetStats();
  const idle2 = await run();
  assert.equal(idle2.done, 0, idle2.stderr);
  assert.equal(w.drive.stats.mediaRequests, 0);

  // --deletes delete removes what keep kept, through the target.
  const del = await run(['--deletes', 'delete']);
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stderr, /--deletes delete: 8 objects deleted/);
  assert.deepEqual(await listKeys(w), expectedNew);
  const again = await run(['--deletes', 'delete']);
  assert.doesNotMatch(again.stderr, /objects deleted/);
});

test('a change token Drive refuses falls back to a full pass, said in one line; --full forces one', async () => {
  assert.equal((await run()).code, 0, 'a pass that stores a token');
  w.drive.expireChangeTokens();
  w.drive.resetStats();
  const r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.split('\n').filter((l) => /no longer accepts the stored change token/.test(l)).length, 1);
  assert.match(r.stderr, /full pass \(the stored change token was refused\)/);
  assert.equal(w.drive.stats.listRequests, 3, 'the whole tree (3 folders) was listed');
  assert.equal(r.done, 0, 'nothing changed: a full pass copies nothing again');

  const next = await run();
  assert.match(next.stderr, /delta pass: 0 changes/, 'the full pass stored a fresh token');
  const forced = await run(['--full']);
  assert.match(forced.stderr, /full pass: 0 gone/);
});

test('a delta whose supervisor is SIGKILLed mid-copy is repeated from the same token: every change applied once, objects right', async () => {
  assert.equal((await run()).code, 0, 'a pass that stores a token');
  const state = join(w.dir, 'journal.db');
  const doneBefore = countsOf(state)?.byStatus.done.files ?? 0;
  w.drive.updateFile('keep', { size: 5000 });
  w.drive.updateFile('in', { name: 'in-renamed.bin' });
  w.drive.addNodes([{ id: 'late', name: 'late.bin', parents: ['R'], mimeType: BIN, size: 3000 }]);
  const gate = await startMediaGate(w.drive.rootUrl, 'keep');
  try {
    w.drive.resetStats();
    const killed = startCli(worldFlags(w, 'R', [...FLAGS, '--drive-root-url', gate.rootUrl]), {}, w.s3);
    await gate.held;
    // keep's row went back to pending; in-renamed and late are new rows: both copied while keep is held.
    await waitForDone(state, doneBefore + 1);
    killed.proc.kill('SIGKILL');
    assert.equal((await killed.done).signal, 'SIGKILL');
  } finally {
    gate.release();
    await gate.close();
  }
  const rerun = await run();
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, /delta pass: 3 changes/, 'the same delta again, from the stored token');
  assert.equal(w.drive.stats.mediaRequestsByFile.get('late'), 1, 'late.bin copied once over both runs');
  assert.equal(w.drive.stats.mediaRequestsByFile.get('in'), undefined, 'in-renamed.bin copied inside S3, never downloaded');
  assert.equal(w.drive.stats.mediaRequestsByFile.get('keep'), 1, 'keep.bin copied by the rerun');
  await assertObject('keep.bin', 'keep');
  await assertObject('in-renamed.bin', 'in');
  await assertObject('late.bin', 'late');
  assert.ok((await listKeys(w)).includes('in.bin'), 'the old key is kept (--deletes keep)');
  w.drive.resetStats();
  const idle = await run();
  assert.match(idle.stderr, /delta pass: 0 changes/, 'the repeated delta stored its token');
  assert.equal(w.drive.stats.mediaRequests, 0);
});

test('run --watch makes a pass every --watch-interval-s until SIGTERM (exit 143)', async () => {
  const watching = startCli(worldFlags(w, 'R', [...FLAGS, '--watch', '--watch-interval-s', '1']), {}, w.s3);
  let output = '';
  watching.proc.stderr?.on('data', (d: Buffer | string) => (output += String(d)));
  const passes = (): number => output.split('\n').filter((l) => /^supervisor: delta pass: /.test(l)).length;
  const waitFor = (what: () => boolean, why: string): Promise<void> => until(what, 60_000, () => `${why}:\n${output}`);
  await waitFor(() => passes() >= 1, 'a first delta pass');
  w.drive.updateFile('late', { size: 3333 });
  await waitFor(() => /delta pass: 1 changes, 0 new, 1 changed/.test(output), 'a later pass sees the change');
  await waitFor(() => passes() >= 3, 'passes go on');
  watching.proc.kill('SIGTERM');
  const end = await watching.done;
  assert.equal(end.code, 143, end.stderr);
  await assertObject('late.bin', 'late');
});
