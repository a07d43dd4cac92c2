// CompleteMultipartUpload of a trusted checkpoint fails (plain s3rver: no ListParts, so the checkpoint of an
// upload that no longer exists is trusted) and no object of this file is at the key: the copy aborts what it
// can, starts the upload afresh once, and ends done with the right bytes — it does not retry a Complete that
// cannot succeed until the file fails (issue 20, point 3).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CompleteMultipartUploadCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ItemContext } from '../src/child/processor.js';
import copyProcessorFactory from '../src/copy/copy-processor.js';
import { copyOptionsToJson } from '../src/copy/copy-options.js';
import type { DriveItem } from '../src/source/drive/drive-item.js';
import { FOLDER_MIME, startFakeDrive } from '../src/fake-drive/index.js';
import type { FakeDrive } from '../src/fake-drive/index.js';
import type { JsonObject } from '../src/ipc/json.js';
import type { WorkItem } from '../src/ipc/protocol.js';
import { silentLogger } from '../src/observability/logger.js';
import { parseCheckpoint } from '../src/target/s3/resume-plan.js';
import type { S3rverHandle } from '../src/testing/s3rver.js';
import { MiB, objectMd5, testOptions, withS3rver } from './s3-fixtures.js';

const TOKEN = 'complete-fails-token';
const SIZE = 16 * MiB + 9; // 4 parts of 5 MiB

let drive: FakeDrive;
let s3: S3rverHandle;
let client: S3Client;
withS3rver({ multipartExtensions: false }, (world) => ({ s3, client } = world));

before(async () => {
  drive = await startFakeDrive({
    token: TOKEN,
    nodes: [
      { id: 'R', name: 'R', parents: ['root'], mimeType: FOLDER_MIME },
      { id: 'gone', name: 'gone.bin', parents: ['R'], mimeType: 'application/octet-stream', size: SIZE },
    ],
  });
});

after(async () => {
  await drive.close();
});

function processor() {
  const options = copyOptionsToJson({
    driveAuth: { accessToken: TOKEN }, driveRootUrl: drive.rootUrl, driveTps: 10_000, driveRetries: 2, acknowledgeAbuse: false,
    s3: testOptions(s3, { partSizeMb: 5, uploadQueueSize: 2 }), s3Credentials: s3.credentials,
    resumeMinBytes: 1 * MiB, resumeRereadMaxBytes: 1024 * MiB, skipExisting: false, concurrency: 1, partBuffers: 2,
  });
  return copyProcessorFactory({ childId: 1, options, log: silentLogger() });
}

async function workItem(checkpoint: JsonObject | null): Promise<WorkItem> {
  const { md5, sha1 } = await drive.trueHashes('gone');
  const item: DriveItem = {
    id: 'gone', name: 'gone.bin', path: 'gone.bin', key: 'cf/gone.bin', mimeType: 'application/octet-stream', contentType: 'application/octet-stream',
    size: SIZE, md5, sha1, modifiedTime: '2024-01-01T00:00:00.000Z', download: { kind: 'media' },
  };
  return { id: '1', attempt: 2, sizeBytes: SIZE, bufferBytes: 0, payload: item, checkpoint };
}

function context(onCheckpoint: (cp: JsonObject) => void, controller = new AbortController()): ItemContext {
  return { signal: controller.signal, progress: () => undefined, checkpoint: (cp) => onCheckpoint(JSON.parse(JSON.stringify(cp)) as JsonObject), log: silentLogger() };
}

test('a failed Complete of a trusted checkpoint, no object there: uploaded afresh once, done, right bytes', async () => {
  // A checkpoint of 2 parts, then its upload is completed by someone else (2 parts: not this file's object):
  // the upload id no longer exists, and plain s3rver cannot say so (no ListParts).
  const first = await processor();
  const controller = new AbortController();
  let checkpoint: JsonObject | null = null;
  await assert.rejects(
    first.process(await workItem(null), context((cp) => {
      checkpoint = cp;
      if (Array.isArray(cp.parts) && cp.parts.length >= 2) controller.abort();
    }, controller)),
    (err: unknown) => err instanceof Error && err.name === 'AbortError',
  );
  await first.close?.();
  const cp = parseCheckpoint(checkpoint);
  assert.ok(cp && cp.parts.length >= 2, 'a checkpoint of at least 2 parts');
  await client.send(new CompleteMultipartUploadCommand({ Bucket: s3.bucket, Key: cp.key, UploadId: cp.uploadId, MultipartUpload: { Parts: cp.parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) } }));

  const cleared: JsonObject[] = [];
  const second = await processor();
  const outcome = await second.process(await workItem(checkpoint), context((c) => c.cleared === true && cleared.push(c)));
  await second.close?.();
  assert.equal(outcome.status, 'done', JSON.stringify(outcome));
  const detail = outcome.status === 'done' ? outcome.detail : {};
  assert.equal(detail.resumedParts, 0, 'the upload was started afresh');
  assert.equal(detail.foundComplete, false);
  assert.equal(cleared.length, 1, 'the stale checkpoint was cleared, once');
  assert.deepEqual(await objectMd5(client, s3.bucket, 'cf/gone.bin'), { md5: (await drive.trueHashes('gone')).md5, size: SIZE });
});
