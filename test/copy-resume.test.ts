// The copy of one big file across attempts, through the real copy processor against the fake Drive API and
// s3rver: a resume in a fresh processor continues the digest saved in the checkpoint and asks Drive only for
// the rest; a checkpoint without one (an old journal) or with one that does not load reads the uploaded
// prefix again to rebuild it — and still uploads no part twice — while a retry inside the same processor
// continues from a fork kept at the checkpointed part boundary. A file that fails after its resume read the
// prefix again still reports those bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ItemContext, Processor } from '../src/child/processor.js';
import copyProcessorFactory from '../src/copy/copy-processor.js';
import { copyOptionsToJson } from '../src/copy/copy-options.js';
import type { DriveItem } from '../src/source/drive/drive-item.js';
import { FOLDER_MIME, startFakeDrive } from '../src/fake-drive/index.js';
import type { FakeDrive } from '../src/fake-drive/index.js';
import type { JsonObject } from '../src/ipc/json.js';
import type { ItemOutcome, WorkItem } from '../src/ipc/protocol.js';
import { silentLogger } from '../src/observability/logger.js';
import { resumeRereadOf } from '../src/observability/report.js';
import type { S3rverHandle } from '../src/testing/s3rver.js';
import { MiB, objectMd5, testOptions, withS3rver } from './s3-fixtures.js';

const TOKEN = 'copy-resume-token';
const SIZE = 26 * MiB + 5; // 6 parts of 5 MiB
const PART = 5 * MiB;

let drive: FakeDrive;
let s3: S3rverHandle;
let client: S3Client;
withS3rver({}, (world) => ({ s3, client } = world));

before(async () => {
  drive = await startFakeDrive({
    token: TOKEN,
    nodes: [
      { id: 'R', name: 'R', parents: ['root'], mimeType: FOLDER_MIME },
      { id: 'big', name: 'big.bin', parents: ['R'], mimeType: 'application/octet-stream', size: SIZE },
      { id: 'lying', name: 'lying.bin', parents: ['R'], mimeType: 'application/octet-stream', size: SIZE, sha1: 'f'.repeat(40) },
      { id: 'lying-old', name: 'lying-old.bin', parents: ['R'], mimeType: 'application/octet-stream', size: SIZE, sha1: 'f'.repeat(40) },
      { id: 'saved', name: 'saved.bin', parents: ['R'], mimeType: 'application/octet-stream', size: SIZE },
      { id: 'broken', name: 'broken.bin', parents: ['R'], mimeType: 'application/octet-stream', size: SIZE },
      { id: 'long', name: 'long.bin', parents: ['R'], mimeType: 'application/octet-stream', size: SIZE },
      { id: 'flaky', name: 'flaky.bin', parents: ['R'], mimeType: 'application/octet-stream', size: SIZE },
    ],
  });
});

after(async () => {
  await drive.close();
});

/** A processor as a child builds it: a fresh one stands for a fresh process (no digest forks). */
async function processor(resumeRereadMaxBytes = 1024 * MiB): Promise<Processor> {
  const options = copyOptionsToJson({
    driveAuth: { accessToken: TOKEN },
    driveRootUrl: drive.rootUrl,
    driveTps: 10_000,
    driveRetries: 3,
    acknowledgeAbuse: false,
    s3: testOptions(s3, { partSizeMb: 5, uploadQueueSize: 2 }),
    s3Credentials: s3.credentials,
    resumeMinBytes: 1 * MiB,
    resumeRereadMaxBytes,
    skipExisting: false,
    concurrency: 1,
    partBuffers: 2,
  });
  return copyProcessorFactory({ childId: 1, options, log: silentLogger() });
}

async function workItem(id: string, checkpoint: JsonObject | null): Promise<WorkItem> {
  const { md5, sha1 } = await drive.trueHashes(id);
  const sha1Checksum = id.startsWith('lying') ? 'f'.repeat(40) : sha1;
  const item: DriveItem = {
    id, name: `${id}.bin`, path: `${id}.bin`, key: `resume/${id}.bin`, mimeType: 'application/octet-stream',
    contentType: 'application/octet-stream', size: SIZE, md5, sha1: sha1Checksum, modifiedTime: '2024-01-01T00:00:00.000Z',
    download: { kind: 'media' },
  };
  return { id, attempt: 1, sizeBytes: SIZE, bufferBytes: 0, payload: item, checkpoint };
}

/** The context a child gives an item; checkpoints are recorded as the supervisor would journal them (JSON). */
function context(onCheckpoint: (cp: JsonObject) => void = () => undefined): { ctx: ItemContext; abort: () => void } {
  const controller = new AbortController();
  const ctx: ItemContext = {
    signal: controller.signal,
    progress: () => undefined,
    checkpoint: (cp) => onCheckpoint(JSON.parse(JSON.stringify(cp)) as JsonObject),
    log: silentLogger(),
  };
  return { ctx, abort: () => controller.abort() };
}

/** Copy `id` until its 3rd part is checkpointed, then abort: what a killed child leaves in the journal. */
async function interruptedAfterThreeParts(id: string): Promise<JsonObject> {
  const p = await processor();
  let last: JsonObject | null = null;
  const { ctx, abort } = context((cp) => {
    last = cp;
    if (Array.isArray(cp.parts) && cp.parts.length >= 3) abort();
  });
  await assert.rejects(p.process(await workItem(id, null), ctx), (err: unknown) => err instanceof Error && err.name === 'AbortError');
  await p.close?.();
  assert.ok(last !== null, 'no checkpoint before the abort');
  return last;
}

/** The failure's code and detail: a failed file is an outcome, not a rejection. */
function failure(outcome: ItemOutcome): { code: string; detail: JsonObject } {
  assert.equal(outcome.status, 'failed', JSON.stringify(outcome));
  return outcome.status === 'failed' ? { code: outcome.error.code, detail: outcome.detail } : { code: '', detail: {} };
}

function detail(outcome: ItemOutcome): JsonObject {
  assert.equal(outcome.status, 'done', JSON.stringify(outcome));
  return outcome.status === 'done' ? (outcome.detail ?? {}) : {};
}

/** A checkpoint as a journal written before digests were saved holds it. */
function withoutDigest(checkpoint: JsonObject): JsonObject {
  const { digest, ...old } = checkpoint;
  assert.ok(digest, 'the checkpoint carries a saved digest');
  return old;
}

test('a resume in a fresh process continues the saved digest: Drive serves only the bytes not yet uploaded', async () => {
  const checkpoint = await interruptedAfterThreeParts('saved');
  const uploaded = (checkpoint.parts as JsonObject[]).length;
  const from = uploaded * PART;
  assert.equal((checkpoint.digest as JsonObject).bytes, from, 'the saved digest is at the resume offset');
  drive.resetStats();
  const p = await processor();
  const d = detail(await p.process(await workItem('saved', checkpoint), context().ctx));
  await p.close?.();
  assert.equal(d.resumedFromByte, from);
  assert.equal(d.rehashedBytes, 0, 'the prefix was not read again');
  assert.deepEqual(drive.stats.ranges, [`bytes=${from}-`]);
  assert.equal(drive.stats.bytesServed, SIZE - from, `served ${drive.stats.bytesServed} of ${SIZE} bytes`);
  assert.equal(d.sha1, (await drive.trueHashes('saved')).sha1);
  assert.deepEqual(await objectMd5(client, s3.bucket, 'resume/saved.bin'), { md5: (await drive.trueHashes('saved')).md5, size: SIZE });
});

test('a saved digest that does not load is not trusted: the prefix is read again and the object verified', async () => {
  const checkpoint = await interruptedAfterThreeParts('broken');
  const from = (checkpoint.parts as JsonObject[]).length * PART;
  const damaged = { ...checkpoint, digest: { ...(checkpoint.digest as JsonObject), state: Buffer.from('not a hash state').toString('base64') } };
  drive.resetStats();
  const p = await processor();
  const d = detail(await p.process(await workItem('broken', damaged), context().ctx));
  await p.close?.();
  assert.equal(d.rehashedBytes, from);
  assert.deepEqual(drive.stats.ranges, [null]);
  assert.equal(d.sha1, (await drive.trueHashes('broken')).sha1);
  assert.deepEqual(await objectMd5(client, s3.bucket, 'resume/broken.bin'), { md5: (await drive.trueHashes('broken')).md5, size: SIZE });
});

test('a resume from a checkpoint without a saved digest reads the prefix again for the checksum, once, uploads only the rest, and verifies', async () => {
  const checkpoint = withoutDigest(await interruptedAfterThreeParts('big'));
  const uploaded = (checkpoint.parts as JsonObject[]).length;
  drive.resetStats();
  // The download from byte 0 breaks inside the first part after the prefix (a clean close: a reset could
  // also discard what the prefix still had in flight): the retry in this process
  // continues from the rebuilt prefix's fork, with a Range request, without hashing the prefix again.
  drive.addFault({ route: 'media', fileId: 'big', times: 1, fault: { type: 'truncate', afterBytes: uploaded * PART + PART / 2 } });

  const p = await processor();
  const checkpoints: JsonObject[] = [];
  const d = detail(await p.process(await workItem('big', checkpoint), context((cp) => checkpoints.push(cp)).ctx));
  await p.close?.();
  // Once rebuilt, the prefix's digest is checkpointed before any new part: a kill now would not read it again.
  const first = checkpoints[0];
  assert.ok(first, 'a checkpoint after the prefix was hashed again');
  assert.equal((first.parts as JsonObject[]).length, uploaded);
  assert.equal((first.digest as JsonObject).bytes, uploaded * PART);
  assert.equal(d.resumedParts, uploaded, 'the parts already in S3 are kept');
  assert.equal(d.resumedFromByte, uploaded * PART);
  assert.equal(d.rehashedBytes, uploaded * PART, 'the prefix was hashed again, once');
  assert.equal(d.sha1, (await drive.trueHashes('big')).sha1);
  // First a download from byte 0 (no Range): the prefix for the digest, then the upload; after the reset, a Range.
  assert.equal(drive.stats.ranges.length, 2, drive.stats.ranges.join(','));
  assert.equal(drive.stats.ranges[0], null);
  assert.equal(drive.stats.ranges[1], `bytes=${uploaded * PART}-`);
  assert.deepEqual(await objectMd5(client, s3.bucket, 'resume/big.bin'), { md5: (await drive.trueHashes('big')).md5, size: SIZE });
});

test('a continued checksum is still checked: a wrong sha1Checksum refuses the resumed object', async () => {
  const checkpoint = await interruptedAfterThreeParts('lying');
  const p = await processor();
  const f = failure(await p.process(await workItem('lying', checkpoint), context().ctx));
  await p.close?.();
  assert.equal(f.code, 'sha1-mismatch');
  assert.equal(f.detail.rehashedBytes, 0, 'the saved digest was continued');
  assert.deepEqual(await s3.incompleteUploadIds(), [], 'the refused upload is aborted');
});

test('a failed file still reports the bytes its resume read again (supervisor_resume_reread_bytes_total counts them)', async () => {
  const checkpoint = withoutDigest(await interruptedAfterThreeParts('lying-old'));
  const from = (checkpoint.parts as JsonObject[]).length * PART;
  drive.resetStats();
  const p = await processor();
  const outcome = await p.process(await workItem('lying-old', checkpoint), context().ctx);
  await p.close?.();
  const f = failure(outcome);
  assert.equal(f.code, 'sha1-mismatch');
  assert.equal(f.detail.rehashedBytes, from, 'the prefix read again to rebuild the digest');
  assert.ok(drive.stats.bytesServed >= SIZE, `Drive served ${drive.stats.bytesServed} bytes: the prefix again and the rest`);
  assert.deepEqual(resumeRereadOf(outcome), { rehash: from, restart: 0 });
});

test('a retry in the same process continues the digest from its fork: a Range request, nothing read twice', async () => {
  drive.resetStats();
  // The download breaks inside the 4th part; parts 1-2 or 1-3 are checkpointed by then.
  drive.addFault({ route: 'media', fileId: 'flaky', times: 1, fault: { type: 'reset', afterBytes: 3 * PART + 12345 } });
  const p = await processor();
  const d = detail(await p.process(await workItem('flaky', null), context().ctx));
  await p.close?.();
  assert.equal(d.rehashedBytes, 0);
  const from = d.resumedFromByte as number;
  assert.ok(from > 0 && from % PART === 0, `resumed from ${from}`);
  assert.deepEqual(drive.stats.ranges, [null, `bytes=${from}-`]);
  assert.equal(d.sha1, (await drive.trueHashes('flaky')).sha1);
  assert.deepEqual(await objectMd5(client, s3.bucket, 'resume/flaky.bin'), { md5: (await drive.trueHashes('flaky')).md5, size: SIZE });
});

test('a prefix longer than --resume-reread-max-mb is not read again: the upload starts afresh, once, and is verified', async () => {
  const checkpoint = withoutDigest(await interruptedAfterThreeParts('long'));
  const uploaded = (checkpoint.parts as JsonObject[]).length;
  const oldUpload = checkpoint.uploadId as string;
  assert.ok(uploaded * PART > 2 * PART);
  drive.resetStats();
  const checkpoints: JsonObject[] = [];
  const p = await processor(2 * PART);
  const d = detail(await p.process(await workItem('long', checkpoint), context((cp) => checkpoints.push(cp)).ctx));
  await p.close?.();
  assert.equal(d.rehashedBytes, 0, 'nothing read only to rebuild the digest');
  assert.equal(d.restartedBytes, uploaded * PART, 'the uploaded prefix was given up');
  assert.equal(d.resumedParts, 0);
  assert.equal(d.resumedFromByte, 0);
  assert.deepEqual(checkpoints[0], { cleared: true }, 'the old checkpoint is dropped first');
  assert.deepEqual(drive.stats.ranges, [null]);
  assert.equal(drive.stats.bytesServed, SIZE);
  assert.ok(!(await s3.incompleteUploadIds()).includes(oldUpload), 'the old upload is aborted');
  assert.equal(d.sha1, (await drive.trueHashes('long')).sha1);
  assert.deepEqual(await objectMd5(client, s3.bucket, 'resume/long.bin'), { md5: (await drive.trueHashes('long')).md5, size: SIZE });
});
