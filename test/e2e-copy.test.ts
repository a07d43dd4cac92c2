// Drive → S3 end to end: the real CLI in its own process, real children, the real Drive client against the
// fake Drive v3 server, s3rver. Every object's bytes, key and metadata, and every skip and fail reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeNodeSpec } from '../src/fake-drive/index.js';
import { FOLDER_MIME, SHORTCUT_MIME } from '../src/fake-drive/index.js';
import { head, listKeys, objectMd5, readReport, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const MiB = 1024 * 1024;

const file = (id: string, name: string, parent: string, size: number, extra: Partial<FakeNodeSpec> = {}): FakeNodeSpec => ({
  id, name, parents: [parent], mimeType: 'application/octet-stream', size, ...extra,
});

const NODES: FakeNodeSpec[] = [
  { id: 'R', name: 'Migrated folder', parents: ['root'], mimeType: FOLDER_MIME },
  file('f1', 'a.txt', 'R', 1000, { mimeType: 'text/plain' }),
  { id: 'd1', name: 'sub', parents: ['R'], mimeType: FOLDER_MIME },
  file('f2', 'b.bin', 'd1', 3 * MiB),
  file('f3', 'dup.txt', 'd1', 10),
  file('f4', 'dup.txt', 'd1', 20),
  { id: 'd2', name: 'deep', parents: ['d1'], mimeType: FOLDER_MIME },
  file('f5', 'c.bin', 'd2', 12 * MiB + 7),
  file('f6', 'a/b', 'R', 100),
  file('f7', '..', 'R', 100),
  file('f9', 'x\u0001y', 'R', 100),
  file('f10', '📁 résumé, final (v2)!.pdf', 'R', 2048, { mimeType: 'application/pdf' }),
  file('f12', 'empty', 'R', 0),
  file('f13', 'nomd5.bin', 'R', 5000, { md5: 'none' }),
  { id: 'f14', name: 'Report', parents: ['R'], mimeType: 'application/vnd.google-apps.document', exportSize: 70_000 },
  { id: 'f15', name: 'Survey', parents: ['R'], mimeType: 'application/vnd.google-apps.form' },
  { id: 'f16', name: 'link to a', parents: ['R'], mimeType: SHORTCUT_MIME, shortcutTargetId: 'f1' },
  file('f17', 'locked.bin', 'R', 100, { canDownload: false }),
  file('f18', 'trashed.bin', 'R', 100, { trashed: true }),
  file('f19', 'wrong-md5.bin', 'R', 4000, { md5: '00000000000000000000000000000000' }),
  file('f20', 'rate-429.bin', 'R', 200_000),
  file('f21', 'rate-403.bin', 'R', 200_000),
  file('f22', 'server-500.bin', 'R', 200_000),
  file('f23', 'reset.bin', 'R', 1 * MiB),
  file('f24', 'truncated.bin', 'R', 1 * MiB),
  file('f25', 'gone.bin', 'R', 100),
  file('f26', 'quota.bin', 'R', 100),
  file('f27', 'abusive.bin', 'R', 100, { abusive: true }),
  file('f28', 'big-resumed.bin', 'R', 40 * MiB),
  // A true md5 but a wrong sha1Checksum: only the SHA-1 check (preferred when Drive has one) can catch it.
  file('f29', 'wrong-sha1.bin', 'R', 4000, { sha1: '0'.repeat(40) }),
];

let w: World;
let run: Awaited<ReturnType<typeof runCli>>;

before(async () => {
  w = await startWorld({ nodes: NODES });
  w.drive.addFault({ route: 'media', fileId: 'f20', times: 1, fault: { type: 'status', status: 429, retryAfter: '1' } });
  w.drive.addFault({ route: 'media', fileId: 'f21', times: 1, fault: { type: 'status', status: 403, reason: 'userRateLimitExceeded' } });
  w.drive.addFault({ route: 'media', fileId: 'f22', times: 2, fault: { type: 'status', status: 500 } });
  w.drive.addFault({ route: 'media', fileId: 'f23', times: 1, fault: { type: 'reset', afterBytes: 300_000 } });
  w.drive.addFault({ route: 'media', fileId: 'f24', times: 1, fault: { type: 'truncate', afterBytes: 300_000 } });
  w.drive.addFault({ route: 'media', fileId: 'f25', fault: { type: 'status', status: 404, reason: 'notFound' } });
  w.drive.addFault({ route: 'media', fileId: 'f26', fault: { type: 'status', status: 403, reason: 'downloadQuotaExceeded' } });
  // The 40 MiB file breaks after 20 MiB: the retry continues the multipart upload with a Range request.
  w.drive.addFault({ route: 'media', fileId: 'f28', times: 1, fault: { type: 'reset', afterBytes: 20 * MiB + 12345 } });
  run = await runCli(
    worldFlags(w, 'R', ['--s3-prefix', 'mig', '--workers', '2', '--part-size-mb', '5', '--resume-min-mb', '16', '--upload-queue-size', '2']),
    {},
    w.s3,
  );
});

after(async () => {
  await w.close();
});

test('the run ends with exit 1 (some files failed) and names each failure in one line', () => {
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /failed: wrong-md5\.bin \(f19\): md5-mismatch/);
  assert.match(run.stderr, /failed: wrong-sha1\.bin \(f29\): sha1-mismatch/);
});

test('every copied object is byte-identical to its Drive file, under its mapped key', async () => {
  const expect: [string, string][] = [
    ['f1', 'mig/a.txt'],
    ['f2', 'mig/sub/b.bin'],
    ['f3', 'mig/sub/dup (f3).txt'],
    ['f4', 'mig/sub/dup (f4).txt'],
    ['f5', 'mig/sub/deep/c.bin'],
    ['f6', 'mig/a∕b'],
    ['f7', 'mig/．．'],
    ['f9', 'mig/x␁y'],
    ['f10', 'mig/📁 résumé, final (v2)!.pdf'],
    ['f12', 'mig/empty'],
    ['f13', 'mig/nomd5.bin'],
    ['f20', 'mig/rate-429.bin'],
    ['f21', 'mig/rate-403.bin'],
    ['f22', 'mig/server-500.bin'],
    ['f23', 'mig/reset.bin'],
    ['f24', 'mig/truncated.bin'],
    ['f28', 'mig/big-resumed.bin'],
  ];
  const keys = await listKeys(w);
  for (const [id, key] of expect) {
    assert.ok(keys.includes(key), `missing ${key}; have ${keys.join(' | ')}`);
    assert.equal(await objectMd5(w, key), await w.drive.trueMd5(id), `bytes of ${key}`);
  }
  // The Google Doc is exported in the first supported format, with its extension.
  assert.ok(keys.includes('mig/Report.docx'));
  const doc = await objectMd5(w, 'mig/Report.docx');
  const { createHash } = await import('node:crypto');
  const wanted = createHash('md5').update(w.drive.exportContentOf('f14', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document')).digest('hex');
  assert.equal(doc, wanted);
  // (Keys over 1,024 bytes are covered by the key-mapper tests: s3rver stores a key as one file name and
  // cannot hold a component over 255 bytes, which real S3 can.)
  // Nothing else (the Doc aside): skipped, failed and trashed files have no object, nor does the preflight marker.
  assert.equal(keys.length, expect.length + 1, keys.join(' | '));
});

test('objects carry Content-Type and the Drive metadata', async () => {
  const h = await head(w, 'mig/sub/b.bin');
  assert.equal(h.metadata['drive-file-id'], 'f2');
  assert.equal(h.metadata['drive-md5'], await w.drive.trueMd5('f2'));
  assert.match(h.metadata['drive-modified-time'] ?? '', /^\d{4}-\d\d-\d\dT/);
  assert.equal(decodeURIComponent(h.metadata['drive-path'] ?? ''), 'sub/b.bin');
  assert.equal((await head(w, 'mig/a.txt')).contentType, 'text/plain');
  assert.equal((await head(w, 'mig/📁 résumé, final (v2)!.pdf')).contentType, 'application/pdf');
});

test('skips and failures are recorded with their reasons', async () => {
  const report = await readReport(w);
  const skip = new Map(report.skipped.map((s) => [s.id, s.reason]));
  assert.match(skip.get('f15') ?? '', /export/);
  assert.match(skip.get('f16') ?? '', /shortcut/);
  assert.match(skip.get('f17') ?? '', /cannot-download/);
  assert.match(skip.get('f27') ?? '', /abusive-file/);
  assert.equal(skip.has('f18'), false, 'trashed files are not listed at all');
  const fail = new Map(report.failed.map((f) => [f.id, f.reason]));
  assert.match(fail.get('f19') ?? '', /md5-mismatch/);
  assert.match(fail.get('f29') ?? '', /sha1-mismatch/);
  assert.match(fail.get('f25') ?? '', /not-found/);
  assert.match(fail.get('f26') ?? '', /download-quota-exceeded/);
  assert.equal(fail.size, 4);
  assert.equal(report.exitCode, 1);
});

test('transient faults are retried; permanent ones are not retried endlessly', () => {
  const media = w.drive.stats.mediaRequestsByFile;
  assert.equal(media.get('f20'), 2);
  assert.equal(media.get('f21'), 2);
  assert.equal(media.get('f22'), 3);
  // 404 and download quota: one request per supervisor attempt at most, never a retry storm.
  assert.ok((media.get('f25') ?? 0) <= 3);
  assert.ok((media.get('f26') ?? 0) <= 3);
});

test('a broken download of a resumable file continues from its last part with a Range request', () => {
  const served = w.drive.stats.bytesByFile.get('f28') ?? 0;
  assert.ok(served < 1.3 * 40 * MiB, `served ${served} bytes for a 40 MiB file`);
  assert.ok(w.drive.stats.ranges.some((r) => r !== null && /^bytes=[1-9]\d*-$/.test(r)), `ranges: ${w.drive.stats.ranges.filter((r) => r !== null).join(',')}`);
});

test('retry-failed puts failed files back and runs: those whose cause is gone are copied', async () => {
  w.drive.clearFaults();
  const r = await runCli(['retry-failed', ...worldFlags(w, 'R', ['--s3-prefix', 'mig', '--workers', '2', '--part-size-mb', '5', '--resume-min-mb', '16'])], {}, w.s3);
  // The wrong-checksum files still fail (Drive's checksum is wrong); the 404 and quota files now copy.
  assert.equal(r.code, 1, r.stderr);
  const keys = await listKeys(w);
  assert.ok(keys.includes('mig/gone.bin') && keys.includes('mig/quota.bin'));
  assert.equal(await objectMd5(w, 'mig/quota.bin'), await w.drive.trueMd5('f26'));
  const report = await readReport(w);
  assert.deepEqual(report.failed.map((f) => f.id).sort(), ['f19', 'f29']);
  assert.equal(report.thisRun.done, 2);
});
