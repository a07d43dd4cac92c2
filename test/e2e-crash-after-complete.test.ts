// Issue 20, point 3: a crash between CompleteMultipartUpload and the journal's "done". The test hook
// DRIVE_S3_TEST_CRASH_AFTER_COMPLETE SIGKILLs the supervisor and the child right after the big file's upload
// completed, so the journal still holds the checkpoint of an upload that no longer exists. The rerun must
// find the object complete and mark the file done without reading it from Drive — on plain s3rver (no
// ListParts: the checkpoint would be trusted and Complete called again, InternalError) and with the
// multipart extensions (ListParts: NoSuchUpload, the file would be uploaded again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import { head, objectMd5, readReport, runCli, startWorld, worldFlags } from './support/e2e.js';

const MiB = 1024 * 1024;
const SIZE = 21 * MiB + 7; // 5 parts of 5 MiB
const FLAGS = ['--workers', '1', '--part-size-mb', '5', '--resume-min-mb', '1', '--max-attempts', '3', '--shutdown-grace-s', '5'];
const KEY = 'big.bin';

for (const multipartExtensions of [false, true]) {
  const store = multipartExtensions ? 's3rver with ListParts/Abort' : 'plain s3rver';
  test(`a crash after CompleteMultipartUpload: the rerun finds the object and reads nothing (${store})`, async (t) => {
    const w = await startWorld(
      {
        nodes: [
          { id: 'crash', name: 'crash', parents: ['root'], mimeType: FOLDER_MIME },
          { id: 'big', name: 'big.bin', parents: ['crash'], mimeType: 'application/octet-stream', size: SIZE },
        ],
      },
      { multipartExtensions },
    );
    t.after(() => w.close());

    const crashed = await runCli(worldFlags(w, 'crash', FLAGS), { DRIVE_S3_TEST_CRASH_AFTER_COMPLETE: 'big' }, w.s3);
    assert.equal(crashed.signal, 'SIGKILL', `the hook kills the supervisor: code ${crashed.code}\n${crashed.stderr}`);
    // The object is there and right, though the journal never heard of it.
    assert.equal((await head(w, KEY)).size, SIZE);
    assert.equal(await objectMd5(w, KEY), await w.drive.trueMd5('big'));

    w.drive.resetStats();
    const rerun = await runCli(worldFlags(w, 'crash', FLAGS), {}, w.s3);
    assert.equal(rerun.code, 0, rerun.stderr);
    const report = await readReport(w);
    assert.deepEqual(report.failed, []);
    assert.equal(report.thisRun.done, 1);
    assert.equal(w.drive.stats.bytesByFile.get('big') ?? 0, 0, 'no media byte of the file read again');
    assert.equal(w.drive.stats.mediaRequests, 0);
    assert.equal(await objectMd5(w, KEY), await w.drive.trueMd5('big'));
    assert.deepEqual(await w.s3.incompleteUploadIds(), []);
  });
}
