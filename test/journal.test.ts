import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriveItem, ListedEntry } from '../src/source/drive/drive-item.js';
import { JournalError } from '../src/errors.js';
import { Journal } from '../src/journal/journal.js';
import { JournalReader } from '../src/journal/journal-reader.js';
import { formatStatus, statusReport } from '../src/journal/status.js';
import type { BufferEstimator, JournalIdentity } from '../src/journal/types.js';
import { JournalWorkSource } from '../src/app/journal-work-source.js';
import { JournalWriteGuard } from '../src/app/journal-write-guard.js';

const root = mkdtempSync(join(tmpdir(), 'journal-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function statePath(): string {
  counter += 1;
  return join(root, `case-${counter}`, 'state', 'journal.db');
}

const IDENTITY: JournalIdentity = { source: 'folder:abc', target: 'http://127.0.0.1:4569 bucket/prefix/' };
const estimate: BufferEstimator = (item) => (item.size ?? 0) > 100 ? 2048 : 1024;

function item(n: number, overrides: Partial<DriveItem> = {}): DriveItem {
  return {
    id: `drive-${n}`,
    name: `file-${n}.bin`,
    path: `dir/file-${n}.bin`,
    key: `prefix/dir/file-${n}.bin`,
    mimeType: 'application/octet-stream',
    contentType: 'application/octet-stream',
    size: 10 * n,
    md5: `md5-${n}`,
    sha1: null,
    modifiedTime: '2024-01-01T00:00:00.000Z',
    download: { kind: 'media' },
    ...overrides,
  };
}

const file = (i: DriveItem): ListedEntry => ({ kind: 'file', item: i });

function openNew(path = statePath()): Journal {
  return Journal.open(path, IDENTITY, { fresh: false });
}

/** 'failed', 'skipped' or 'other' for every row of a Drive id (skips and failures are reportable rows). */
function reportedAs(journal: JournalReader, driveId: string): string[] {
  return [
    ...journal.failures(1000).filter((r) => r.driveId === driveId).map(() => 'failed'),
    ...journal.skips(1000).filter((r) => r.driveId === driveId).map((r) => `skipped: ${r.reason}`),
  ];
}

test('journal: a journal of another identity is refused with both identities, the path and the way out', () => {
  const path = statePath();
  openNew(path).close();
  const other = { source: 'drive:xyz', target: 'http://127.0.0.1:4569 other/' };
  assert.throws(
    () => Journal.open(path, other, { fresh: false }),
    (err: unknown) => {
      assert.ok(err instanceof JournalError);
      for (const part of [path, IDENTITY.source, IDENTITY.target, other.source, other.target, '--fresh', '--state']) {
        assert.ok(err.message.includes(part), `message names ${part}: ${err.message}`);
      }
      return true;
    },
  );
  const same = openNew(path);
  assert.deepEqual(same.identity(), IDENTITY);
  same.close();
});

test('journal: --fresh renames the old journal aside and starts empty, for any identity', () => {
  const path = statePath();
  const first = openNew(path);
  first.recordListed([file(item(1)), file(item(2))]);
  first.close();
  const other = { source: 'drive:xyz', target: 't' };
  const fresh = Journal.open(path, other, { fresh: true });
  assert.equal(fresh.counts().total.files, 0);
  assert.deepEqual(fresh.identity(), other);
  fresh.close();
  const dir = join(path, '..');
  const aside = readdirSync(dir).filter((f) => f.startsWith('journal.db.replaced-') && !f.endsWith('-wal') && !f.endsWith('-shm'));
  assert.equal(aside.length, 1);
  const old = JournalReader.openReadOnly(join(dir, aside[0] ?? ''));
  assert.equal(old.counts().total.files, 2);
  old.close();
});

test('journal: a file that is not a journal, and a missing journal, are JournalErrors', () => {
  const path = statePath();
  const garbage = `${path}.txt`;
  openNew(path).close();
  writeFileSync(garbage, 'this is not sqlite, it is long enough to look like a header'.repeat(20));
  assert.throws(() => Journal.open(garbage, IDENTITY, { fresh: false }), JournalError);
  assert.throws(() => JournalReader.openReadOnly(join(root, 'nope', 'journal.db')), /no journal at/);
});

test('journal: listing upsert keeps unchanged results and resets changed files', () => {
  const journal = openNew();
  journal.startNewListing();
  journal.recordListed([
    file(item(1)),
    file(item(2)),
    file(item(3)),
    file(item(4)),
    { kind: 'skip', skip: { id: 'form-1', path: 'dir/form', mimeType: 'application/vnd.google-apps.form', reason: 'forms cannot be exported' } },
  ]);
  const taken = journal.takePending(10, estimate);
  assert.deepEqual(taken.map((w) => w.payload.id), ['drive-1', 'drive-2', 'drive-3', 'drive-4']);
  const [w1, w2, w3, w4] = taken.map((w) => w.id);
  assert.ok(w1 !== undefined && w2 !== undefined && w3 !== undefined && w4 !== undefined);
  assert.equal(journal.markDone(w1, { bytes: 10, md5: 'md5-1' }), true);
  assert.equal(journal.markDone(w2, { bytes: 20, md5: 'md5-2' }), true);
  journal.saveCheckpoint(w3, { uploadId: 'up-3', parts: [1, 2] });
  journal.requeue(w3, { countAttempt: true, reason: 'child died' });
  journal.markFailed(w4, 'download quota exceeded', false);

  // Second listing: 1 unchanged, 2 changed md5, 3 changed size, 4 unchanged (failed stays failed).
  journal.startNewListing();
  journal.recordListed([file(item(1)), file(item(2, { md5: 'new' })), file(item(3, { size: 999 })), file(item(4))]);
  journal.recordListed([
    { kind: 'skip', skip: { id: 'form-1', path: 'dir/form', mimeType: 'application/vnd.google-apps.form', reason: 'forms cannot be exported' } },
  ]);

  const counts = journal.counts();
  assert.equal(counts.byStatus.done.files, 1);
  assert.equal(counts.byStatus.pending.files, 2);
  assert.equal(counts.byStatus.failed.files, 1);
  assert.equal(counts.byStatus.skipped.files, 1);
  assert.deepEqual(journal.skips(10).map((s) => [s.driveId, s.reason]), [['form-1', 'forms cannot be exported']]);
  assert.deepEqual(journal.failures(10).map((f) => [f.driveId, f.reason]), [['drive-4', 'download quota exceeded']]);
  assert.deepEqual([...journal.uploadIdsInUse()], [], 'the changed file dropped its upload id');

  const again = journal.takePending(10, estimate);
  assert.deepEqual(again.map((w) => [w.payload.id, w.attempt, w.checkpoint, w.sizeBytes]), [
    ['drive-2', 1, null, 20],
    ['drive-3', 1, null, 999],
  ]);
  assert.equal(again[0]?.payload.md5, 'new');
  assert.deepEqual([...journal.doneItems()], [{ key: 'prefix/dir/file-1.bin', size: 10, md5: 'md5-1', etag: null }]);
  journal.close();
});

test('journal: a file changed on Drive while a child copies it is not taken as done', () => {
  const journal = openNew();
  journal.recordListed([file(item(1))]);
  const [w] = journal.takePending(1, estimate);
  assert.ok(w !== undefined);
  journal.saveCheckpoint(w.id, { uploadId: 'old-upload' });
  journal.recordListed([file(item(1, { modifiedTime: '2025-01-01T00:00:00.000Z', md5: 'changed' }))]);
  assert.deepEqual(journal.takePending(1, estimate), [], 'still held by its child');
  journal.saveCheckpoint(w.id, { uploadId: 'ignored' });
  assert.equal(journal.markDone(w.id, { bytes: 10, md5: 'md5-1' }), false);
  const [again] = journal.takePending(1, estimate);
  assert.equal(again?.id, w.id);
  assert.equal(again?.checkpoint, null);
  assert.equal(again?.payload.md5, 'changed');
  journal.close();
});

test('journal: a done file copied at a newer version than listed keeps that version; a listing of it changes nothing', () => {
  const journal = openNew();
  journal.startNewListing();
  journal.recordListed([file(item(1)), file(item(2))]);
  const [w1, w2] = journal.takePending(2, estimate);
  assert.ok(w1 !== undefined && w2 !== undefined);
  const fresh = { size: 77, md5: 'md5-new', modifiedTime: '2025-06-01T00:00:00.000Z' };
  assert.equal(journal.markDone(w1.id, { bytes: 77, md5: 'md5-new', source: fresh }), true);
  assert.equal(journal.markDone(w2.id, { bytes: 20, md5: 'md5-2' }), true);
  // The next listing sees Drive's current versions: the new one of file 1, the listed one of file 2.
  journal.startNewListing();
  journal.recordListed([file(item(1, fresh)), file(item(2))]);
  assert.deepEqual(journal.takePending(10, estimate), [], 'nothing to copy again');
  assert.deepEqual([...journal.doneItems()].map((d) => [d.key, d.size, d.md5]), [
    ['prefix/dir/file-1.bin', 77, 'md5-new'],
    ['prefix/dir/file-2.bin', 20, 'md5-2'],
  ]);
  journal.close();
});

test('journal: a listing skip for a file once accepted skips its unfinished rows; a later file replaces the skip row', () => {
  const journal = openNew();
  journal.recordListed([{ kind: 'skip', skip: { id: 'drive-2', path: 'dir/file-2.bin', mimeType: 'x', reason: 'shortcut loop' } }]);
  journal.recordListed([file(item(2))]);
  assert.deepEqual(reportedAs(journal, 'drive-2'), [], 'the skip row is gone once the id is listed as a file');
  assert.equal(journal.counts().byStatus.pending.files, 1);
  journal.takePending(1, estimate);
  journal.recordListed([file(item(1))]);
  journal.recordListed([{ kind: 'skip', skip: { id: 'drive-1', path: 'dir/file-1.bin', mimeType: 'x', reason: 'download restricted' } }]);
  assert.equal(journal.counts().byStatus.pending.files, 0);
  assert.deepEqual(reportedAs(journal, 'drive-1'), ['skipped: download restricted']);
  journal.recordListed([file(item(1))]);
  const c = journal.counts();
  assert.equal(c.byStatus.pending.files, 1);
  assert.equal(c.byStatus.skipped.files, 0);
  journal.close();
});

test('journal: recoverInterrupted puts in-progress rows back to pending with their checkpoints', () => {
  const path = statePath();
  const first = openNew(path);
  first.recordListed([file(item(1)), file(item(2)), file(item(3))]);
  const taken = first.takePending(2, estimate);
  assert.equal(taken.length, 2);
  first.saveCheckpoint(taken[0]?.id ?? '', { uploadId: 'u1', partsDone: 3 });
  first.close(); // the supervisor "dies" holding two items

  const second = openNew(path);
  assert.equal(second.counts().byStatus['in-progress'].files, 2);
  assert.equal(second.recoverInterrupted(), 2);
  const again = second.takePending(10, estimate);
  assert.deepEqual(again.map((w) => w.payload.id), ['drive-1', 'drive-2', 'drive-3']);
  assert.deepEqual(again[0]?.checkpoint, { uploadId: 'u1', partsDone: 3 });
  assert.equal(again[0]?.attempt, 1);
  second.close();
});

test('journal: take, requeue and attempts', () => {
  const journal = openNew();
  journal.recordListed([file(item(1)), file(item(20, { size: null, md5: null })), file(item(3))]);
  const first = journal.takePending(2, estimate);
  assert.deepEqual(first.map((w) => [w.payload.id, w.attempt, w.sizeBytes, w.bufferBytes]), [
    ['drive-1', 1, 10, 1024],
    ['drive-20', 1, 0, 1024],
  ]);
  const second = journal.takePending(5, estimate);
  assert.deepEqual(second.map((w) => w.payload.id), ['drive-3'], 'handed-out items are not taken twice');
  assert.deepEqual(journal.takePending(5, estimate), []);

  const id1 = first[0]?.id ?? '';
  journal.requeue(id1, { countAttempt: true, reason: 'child crashed' });
  assert.equal(journal.takePending(5, estimate)[0]?.attempt, 2);
  journal.requeue(id1, { countAttempt: false, reason: 'shutdown' });
  assert.equal(journal.takePending(5, estimate)[0]?.attempt, 2);
  assert.throws(() => journal.requeue('999', { countAttempt: false, reason: 'x' }), JournalError);
  assert.throws(() => journal.markDone('drive-1', { bytes: 1, md5: null }), JournalError);
  assert.throws(() => journal.saveCheckpoint('12345', { uploadId: 'x' }), JournalError);
  const id3 = second[0]?.id ?? '';
  journal.markDone(id3, { bytes: 30, md5: 'md5-3' });
  journal.requeue(id3, { countAttempt: true, reason: 'late death notice' });
  assert.equal(journal.counts().byStatus.done.files, 1, 'a done item is not requeued');
  journal.close();
});

test('journal: checkpoints survive close and reopen; upload ids in use follow them', () => {
  const path = statePath();
  const first = openNew(path);
  first.recordListed([file(item(1)), file(item(2))]);
  const [a, b] = first.takePending(2, estimate);
  assert.ok(a !== undefined && b !== undefined);
  const checkpoint = { uploadId: 'upload-a', partSize: 8388608, parts: [{ n: 1, etag: '"e1"' }], hash: { state: 'abc' } };
  first.saveCheckpoint(a.id, checkpoint);
  first.saveCheckpoint(b.id, { uploadId: 'upload-b' });
  first.clearCheckpoint(b.id);
  first.close();

  const second = openNew(path);
  assert.deepEqual([...second.uploadIdsInUse()], ['upload-a']);
  second.recoverInterrupted();
  const [again] = second.takePending(1, estimate);
  assert.deepEqual(again?.checkpoint, checkpoint);
  second.markDone(a.id, { bytes: 10, md5: 'm', etag: '"etag-a"' });
  assert.deepEqual([...second.uploadIdsInUse()], []);
  second.saveCheckpoint(a.id, { uploadId: 'late' });
  assert.deepEqual([...second.uploadIdsInUse()], [], 'a late checkpoint does not resurrect a done item');
  second.close();
});

test('journal: retryFailed resets failed items and their attempts', () => {
  const journal = openNew();
  journal.recordListed([file(item(1)), file(item(2))]);
  const [a, b] = journal.takePending(2, estimate);
  assert.ok(a !== undefined && b !== undefined);
  journal.requeue(a.id, { countAttempt: true, reason: 'crash' });
  const [a2] = journal.takePending(1, estimate);
  assert.equal(a2?.attempt, 2);
  journal.markFailed(a.id, 'crashed twice', false);
  journal.markSkipped(b.id, 'already in S3 with the same md5');
  assert.equal(journal.retryFailed(), 1);
  assert.equal(journal.retryFailed(), 0);
  const again = journal.takePending(5, estimate);
  assert.deepEqual(again.map((w) => [w.id, w.attempt]), [[a.id, 1]]);
  assert.deepEqual(journal.skips(5).map((s) => s.reason), ['already in S3 with the same md5']);
  journal.close();
});

test('journal: counts and runs', () => {
  const journal = openNew();
  journal.recordListed([file(item(1)), file(item(2)), file(item(3)), file(item(4, { size: null }))]);
  const runId = journal.startRun();
  const [a, b, c] = journal.takePending(3, estimate);
  assert.ok(a !== undefined && b !== undefined && c !== undefined);
  journal.batch(() => {
    journal.markDone(a.id, { bytes: 10, md5: 'md5-1' });
    journal.markDone(a.id, { bytes: 10, md5: 'md5-1' }); // a duplicate result does not count twice
    journal.markFailed(b.id, 'boom', false);
  });
  const live = journal.lastRun();
  assert.equal(live?.id, runId);
  assert.equal(live?.files, 1);
  assert.equal(live?.bytes, 10);
  assert.equal(live?.finishedAt, null);

  const counts = journal.counts();
  assert.deepEqual(counts.byStatus.done, { files: 1, bytes: 10 });
  assert.deepEqual(counts.byStatus.failed, { files: 1, bytes: 20 });
  assert.deepEqual(counts.byStatus['in-progress'], { files: 1, bytes: 30 });
  assert.deepEqual(counts.byStatus.pending, { files: 1, bytes: 0 });
  assert.deepEqual(counts.total, { files: 4, bytes: 60 });
  assert.equal(counts.bytesCopied, 10);

  journal.finishRun(runId, { bytes: 12, files: 1, exitCode: 3 });
  const done = journal.lastRun();
  assert.equal(done?.exitCode, 3);
  assert.equal(done?.bytes, 12);
  assert.ok(done?.finishedAt instanceof Date);
  journal.close();
});

test('journal: listing state and files missing from the latest listing', () => {
  const path = statePath();
  const first = openNew(path);
  assert.equal(first.listingState(), 'none');
  first.startNewListing();
  first.recordListed([file(item(1)), file(item(2))]);
  first.close(); // interrupted listing

  const second = openNew(path);
  assert.equal(second.listingState(), 'running');
  assert.deepEqual(second.missingFromListing(10), [], 'nothing is missing before the listing completes');
  second.setListingComplete();
  assert.equal(second.isListingComplete(), true);

  second.startNewListing();
  second.recordListed([file(item(2))]);
  second.setListingComplete();
  assert.deepEqual(second.missingFromListing(10).map((m) => [m.driveId, m.status]), [['drive-1', 'pending']]);
  second.close();
});

test('journal: status reads a journal while the writer is open and mid-transaction', () => {
  const path = statePath();
  const writer = openNew(path);
  writer.startNewListing();
  writer.recordListed([file(item(1)), file(item(2)), { kind: 'skip', skip: { id: 's', path: 'p/form', mimeType: 'f', reason: 'form' } }]);
  const runId = writer.startRun();
  const [a, b] = writer.takePending(2, estimate);
  assert.ok(a !== undefined && b !== undefined);
  writer.markDone(a.id, { bytes: 10, md5: 'md5-1' });
  writer.markFailed(b.id, 'HTTP 403 downloadQuotaExceeded', false);

  const reader = JournalReader.openReadOnly(path);
  const text = formatStatus(reader);
  assert.match(text, /done\s+1\s+10 B/);
  assert.match(text, /failed\s+1\s+20 B/);
  assert.match(text, /skipped\s+1\s+0 B/);
  assert.match(text, /HTTP 403 downloadQuotaExceeded/);
  assert.match(text, /p\/form \(s\): form/);
  assert.match(text, new RegExp(`last run #${runId}: .*running \\(host ${hostname()}, pid ${process.pid}, heartbeat `));

  // The writer holds an open write transaction: the reader is not blocked and sees only committed rows.
  writer.batch(() => {
    writer.recordListed([file(item(3))]);
    assert.equal(reader.counts().total.files, 3);
  });
  assert.equal(reader.counts().total.files, 4);
  writer.finishRun(runId, { bytes: 10, files: 1, exitCode: 0 });
  const report = statusReport(reader);
  assert.equal(report.lastRun?.exitCode, 0);
  assert.equal(report.lastRun?.running, false);
  assert.equal(report.counts.byStatus.pending.files, 1);
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report, 'the report is plain JSON');
  assert.equal('recordListed' in reader, false, 'a reader has no write methods');
  // A run whose supervisor stopped without finishing it (killed) is told apart from one still going.
  const killed = writer.startRun();
  writer.close();
  const stopped = JournalReader.openReadOnly(path);
  assert.equal(statusReport(stopped).lastRun?.running, false);
  assert.match(formatStatus(stopped), new RegExp(`last run #${killed}: .*stopped without finishing`));
  stopped.close();
  reader.close();
});

test('journal: another process reads the status while the writer holds a write transaction', () => {
  const path = statePath();
  const writer = openNew(path);
  writer.recordListed([file(item(1)), file(item(2))]);
  const readerUrl = new URL('../src/journal/journal-reader.js', import.meta.url).href;
  const statusUrl = new URL('../src/journal/status.js', import.meta.url).href;
  const script = `
    const { JournalReader } = await import(${JSON.stringify(readerUrl)});
    const { statusReport } = await import(${JSON.stringify(statusUrl)});
    const reader = JournalReader.openReadOnly(process.argv[1]);
    process.stdout.write(JSON.stringify(statusReport(reader)));
    reader.close();`;
  const seen = writer.batch(() => {
    writer.recordListed([file(item(3))]); // uncommitted while the other process reads
    // spawnSync keeps this transaction open for the child's whole life: WAL must not block the reader.
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, path], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(child.status, 0, child.stderr);
    return JSON.parse(child.stdout) as ReturnType<typeof statusReport>;
  });
  assert.equal(seen.counts.byStatus.pending.files, 2, 'the reader sees the committed rows only');
  assert.deepEqual(seen.identity, IDENTITY);
  assert.equal(writer.counts().byStatus.pending.files, 3);
  writer.close();
});

test('journal: checkpoints and results survive the supervisor being SIGKILLed', () => {
  const path = statePath();
  const journalUrl = new URL('../src/journal/journal.js', import.meta.url).href;
  const script = `
    const { Journal } = await import(${JSON.stringify(journalUrl)});
    const [path, identity, entries] = [process.argv[1], JSON.parse(process.argv[2]), JSON.parse(process.argv[3])];
    const journal = Journal.open(path, identity, { fresh: false });
    journal.recordListed(entries);
    const [a, b] = journal.takePending(2, () => 0);
    journal.markDone(a.id, { bytes: 10, md5: 'md5-1' });
    journal.saveCheckpoint(b.id, { uploadId: 'upload-b', parts: 7 });
    process.kill(process.pid, 'SIGKILL');`;
  const entries = [file(item(1)), file(item(2))];
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, path, JSON.stringify(IDENTITY), JSON.stringify(entries)], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(child.signal, 'SIGKILL', child.stderr);
  const journal = openNew(path);
  assert.equal(journal.recoverInterrupted(), 1);
  assert.deepEqual([...journal.doneItems()].map((d) => d.key), ['prefix/dir/file-1.bin']);
  const [resumed] = journal.takePending(5, estimate);
  assert.equal(resumed?.payload.id, 'drive-2');
  assert.deepEqual(resumed?.checkpoint, { uploadId: 'upload-b', parts: 7 });
  journal.close();
});

test('journal: 200k rows recorded and taken in pages with a small heap', (t) => {
  const journal = openNew();
  const total = 200_000;
  const page = 1000;
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  journal.startNewListing();
  for (let start = 0; start < total; start += page) {
    const entries: ListedEntry[] = [];
    for (let n = start; n < start + page; n += 1) entries.push(file(item(n)));
    journal.recordListed(entries);
    sample();
  }
  journal.setListingComplete();
  assert.equal(journal.counts().byStatus.pending.files, total);

  let taken = 0;
  let lastSeq = 0;
  for (;;) {
    const batch = journal.takePending(page, estimate);
    if (batch.length === 0) break;
    journal.batch(() => {
      for (const w of batch) {
        assert.ok(Number(w.id) > lastSeq, 'dispatch order is stable');
        lastSeq = Number(w.id);
        journal.markDone(w.id, { bytes: w.sizeBytes, md5: null });
      }
    });
    taken += batch.length;
    sample();
  }
  assert.equal(taken, total);
  let verified = 0;
  for (const done of journal.doneItems()) {
    verified += done.md5 === null ? 0 : 1;
    if (verified % 10_000 === 0) sample();
  }
  assert.equal(verified, total);
  const counts = journal.counts();
  assert.equal(counts.byStatus.done.files, total);
  const growthMb = (peak - baseline) / 1024 / 1024;
  t.diagnostic(`peak heap growth ${growthMb.toFixed(1)} MB`);
  assert.ok(growthMb < 100, `heap grew by ${growthMb.toFixed(1)} MB`);
  journal.close();
});

test('an organisation run takes each drive\'s pending rows in turn: a drive listed after 1000 files of another is in the first take', () => {
  const journal = openNew();
  const ann = Array.from({ length: 1000 }, (_, n) => file(item(n, { key: `org/users/ann@example.com/f${String(n).padStart(4, '0')}`, subject: 'ann@example.com' })));
  const bob = Array.from({ length: 10 }, (_, n) => file(item(2000 + n, { key: `org/users/bob@example.com/f${n}`, subject: 'bob@example.com' })));
  journal.recordListed([...ann, ...bob]);
  const source = new JournalWorkSource(journal, estimate, new JournalWriteGuard(join(root, 'guard')), ['org/users/ann@example.com/', 'org/users/bob@example.com/']);
  const first = source.take(100);
  const subjects = (items: readonly { payload: { subject?: unknown } }[], s: string): number => items.filter((i) => i.payload.subject === s).length;
  assert.equal(first.length, 100);
  assert.equal(subjects(first, 'bob@example.com'), 10, 'every one of Bob\'s files in the first take');
  assert.equal(subjects(first, 'ann@example.com'), 90, 'the room Bob leaves goes to Ann');
  // The sweep goes on after the cursor: no row is taken twice, and every pending row comes out.
  const rest = source.take(2000);
  assert.equal(rest.length, 910);
  assert.equal(new Set([...first, ...rest].map((i) => i.id)).size, 1010);
  assert.deepEqual(source.take(10), []);
  // A row put back behind Ann's cursor is taken again.
  const back = first.find((i) => i.payload.subject === 'ann@example.com');
  assert.ok(back);
  source.requeue(back, { countAttempt: false, reason: 'test' });
  assert.deepEqual(source.take(10).map((i) => i.id), [back.id]);
  journal.close();
});
