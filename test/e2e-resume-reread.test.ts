// Issue 20, points 1-2: a resume on the fallback path — a checkpoint without a saved hash state, as an older
// journal holds it — reads the uploaded prefix of a 200 MiB file from Drive again, in a real child under the
// default caps. That child once passed its hard cap doing so (fresh 64 KiB chunks no GC was asked for) and
// was SIGKILLed. Now the prefix is read into one pooled part buffer: the child's peak, as the supervisor
// sampled it, stays below its hard cap, no child is recycled or killed, and the report counts the re-read.
// Past --resume-reread-max-mb the same resume starts the file afresh instead, and says so. A file that fails
// after the re-read is counted too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import { objectMd5, readReport, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { Report, World } from './support/e2e.js';

const MiB = 1024 * 1024;
const SIZE = 200 * MiB + 3;
const KEY = 'big.bin';
const FLAGS = ['--workers', '1', '--shutdown-grace-s', '5'];

type ResumeReport = Report & {
  thisRun: { resumeRereadBytes: { rehash: number; restart: number } };
  memory: { peakChildUssBytes: number; plan: { childHardMb: number; childSoftMb: number } };
  childrenSpawned: number;
};

/**
 * A first run whose download breaks at 150 MiB with no retry (neither in the child nor by the supervisor): the file fails (transient) with its checkpoint
 * kept. Then the checkpoint loses its saved digest, as a journal written before digests were saved holds it.
 * Returns the bytes its parts cover, and the child's peak while it copied them (no re-read).
 */
async function oldCheckpoint(w: World): Promise<{ prefix: number; copyPeak: number }> {
  w.drive.addFault({ route: 'media', fileId: 'big', times: 1, fault: { type: 'reset', afterBytes: 150 * MiB } });
  const first = await runCli(worldFlags(w, 'resume', [...FLAGS, '--drive-retries', '0', '--max-attempts', '1']), {}, w.s3);
  assert.notEqual(first.code, 0, 'the broken download fails the file');
  const copyPeak = ((await readReport(w)) as ResumeReport).memory.peakChildUssBytes;
  const db = new Database(join(w.dir, 'journal.db'));
  try {
    const row = db.prepare('SELECT checkpoint FROM items WHERE drive_id = ?').get('big') as { checkpoint: string | null } | undefined;
    assert.ok(row?.checkpoint, 'the failed file keeps its checkpoint');
    const { digest, ...old } = JSON.parse(row.checkpoint) as { digest?: unknown; parts: { size: number }[] };
    assert.ok(digest, 'the checkpoint carried a saved digest');
    db.prepare('UPDATE items SET checkpoint = ? WHERE drive_id = ?').run(JSON.stringify(old), 'big');
    const bytes = old.parts.reduce((sum, p) => sum + p.size, 0);
    assert.ok(bytes >= 100 * MiB, `only ${bytes} bytes uploaded before the break`);
    return { prefix: bytes, copyPeak };
  } finally {
    db.close();
  }
}

async function world(multipartExtensions: boolean): Promise<World> {
  return startWorld(
    {
      nodes: [
        { id: 'resume', name: 'resume', parents: ['root'], mimeType: FOLDER_MIME },
        { id: 'big', name: KEY, parents: ['resume'], mimeType: 'application/octet-stream', size: SIZE },
      ],
    },
    { multipartExtensions },
  );
}

for (const multipartExtensions of [false, true]) {
  const store = multipartExtensions ? 's3rver with ListParts/Abort' : 'plain s3rver';
  test(`a resume that reads a 200 MiB file's prefix again stays below the child's hard cap, nothing killed (${store})`, async (t) => {
    const w = await world(multipartExtensions);
    t.after(() => w.close());
    const { prefix, copyPeak } = await oldCheckpoint(w);

    w.drive.resetStats();
    const rerun = await runCli(worldFlags(w, 'resume', FLAGS), {}, w.s3);
    assert.equal(rerun.code, 0, rerun.stderr);
    const report = (await readReport(w)) as ResumeReport;
    assert.deepEqual(report.failed, []);
    assert.equal(report.thisRun.done, 1);
    assert.deepEqual(report.thisRun.resumeRereadBytes, { rehash: prefix, restart: 0 }, 'the prefix was read again, once');
    // One download from byte 0: the prefix for the checksum, then the rest uploaded.
    assert.deepEqual(w.drive.stats.ranges, [null]);
    assert.equal(w.drive.stats.bytesByFile.get('big'), SIZE);
    const { peakChildUssBytes, plan } = report.memory;
    t.diagnostic(`peak child ${(peakChildUssBytes / MiB).toFixed(1)} MB (${(copyPeak / MiB).toFixed(1)} MB copying the prefix the first time), soft cap ${plan.childSoftMb} MB, hard cap ${plan.childHardMb} MB; prefix ${prefix} bytes`);
    assert.ok(peakChildUssBytes > 0, 'the supervisor sampled the child');
    assert.ok(peakChildUssBytes < plan.childHardMb * MiB, `peak child ${peakChildUssBytes} bytes against a hard cap of ${plan.childHardMb} MB`);
    // The structural bound: reading the prefix again costs no more memory than copying it did, give or take one
    // part buffer (5 MiB) and the sampling's noise (through uncollected 64 KiB chunks it was twice the copy's).
    assert.ok(peakChildUssBytes <= copyPeak + 5 * MiB + 8 * MiB, `peak child ${peakChildUssBytes} bytes re-reading, ${copyPeak} copying`);
    assert.deepEqual(Object.entries(report.recycles).filter(([, n]) => n > 0), [], 'no child recycled or killed');
    assert.equal(report.childrenSpawned, 1);
    assert.equal(await objectMd5(w, KEY), await w.drive.trueMd5('big'));
  });
}

test('past --resume-reread-max-mb the resume starts the file afresh, once, in one log line', async (t) => {
  const w = await world(true);
  t.after(() => w.close());
  const { prefix } = await oldCheckpoint(w);

  w.drive.resetStats();
  const rerun = await runCli(worldFlags(w, 'resume', [...FLAGS, '--resume-reread-max-mb', '64']), {}, w.s3);
  assert.equal(rerun.code, 0, rerun.stderr);
  const report = (await readReport(w)) as ResumeReport;
  assert.equal(report.thisRun.done, 1);
  assert.deepEqual(report.thisRun.resumeRereadBytes, { rehash: 0, restart: prefix });
  const lines = rerun.stdout.split('\n').filter((l) => l.includes('--resume-reread-max-mb (64)'));
  assert.equal(lines.length, 1, rerun.stdout.slice(-4000));
  assert.deepEqual(w.drive.stats.ranges, [null]);
  assert.equal(w.drive.stats.bytesByFile.get('big'), SIZE);
  assert.deepEqual(await w.s3.incompleteUploadIds(), [], 'the given-up upload is aborted');
  assert.equal(await objectMd5(w, KEY), await w.drive.trueMd5('big'));
  assert.match(rerun.stderr, /resumes read again from Drive: 0 B to rebuild checksums, \d+\.\d MiB of uploads started afresh/);
});

test('a file that fails after its resume read the prefix again still counts that re-read (report and metric)', async (t) => {
  const w = await world(false);
  t.after(() => w.close());
  const { prefix } = await oldCheckpoint(w);

  // The one download from byte 0 breaks past the prefix, with no retry: the file fails after the re-read.
  w.drive.addFault({ route: 'media', fileId: 'big', times: 1, fault: { type: 'reset', afterBytes: prefix + 10 * MiB } });
  const rerun = await runCli(worldFlags(w, 'resume', [...FLAGS, '--drive-retries', '0', '--max-attempts', '1']), {}, w.s3);
  assert.notEqual(rerun.code, 0, 'the broken download fails the file');
  const report = (await readReport(w)) as ResumeReport;
  assert.equal(report.failed.length, 1, JSON.stringify(report.failed));
  assert.equal(report.thisRun.done, 0);
  assert.deepEqual(report.thisRun.resumeRereadBytes, { rehash: prefix, restart: 0 }, 'the failed file\'s re-read');
});
