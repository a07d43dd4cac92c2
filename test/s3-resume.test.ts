import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { JsonObject } from '../src/ipc/json.js';
import { ContentDigest } from '../src/copy/content-digest.js';
import { abortIncompleteUploads, abortUpload, listIncompleteUploads } from '../src/target/s3/multipart-cleanup.js';
import { driveMetadata } from '../src/target/s3/object-metadata.js';
import type { ObjectWriteOptions } from '../src/target/s3/object-metadata.js';
import { prepareResume, resumeOffset } from '../src/target/s3/resume-plan.js';
import type { MultipartCheckpoint } from '../src/target/s3/resume-plan.js';
import { upload } from '../src/target/s3/upload-engine.js';
import type { S3rverHandle } from '../src/testing/s3rver.js';
import { MiB, contentMd5, contentSlice, contentStream, objectMd5, streamed, withS3rver } from './s3-fixtures.js';

const PART = 5 * MiB;
const SIZE = 23 * MiB + 5; // 5 parts: 4 × 5 MiB + 3 MiB + 5 bytes

const write: ObjectWriteOptions = {
  contentType: 'application/octet-stream',
  metadata: driveMetadata({ id: 'id-r', md5: null, modifiedTime: '2024-01-01T00:00:00.000Z', path: 'r.bin' }),
  storageClass: null,
  sse: null,
  kmsKeyId: null,
};

/** The fields every upload in this file shares: one object of SIZE bytes in 5 MiB parts, 3 in flight, kept on failure. */
function target(client: S3Client, bucket: string, key: string, source: Readable) {
  return { client, bucket, key, bytes: streamed(source), size: SIZE, partSize: PART, queueSize: 3, write, checksum: 'when-required' as const, keepUploadOnFailure: true };
}


/** Checkpoints as the supervisor would store them: JSON, round-tripped. */
function recorder(): { states: MultipartCheckpoint[]; last: () => JsonObject | null; onCheckpoint: (s: MultipartCheckpoint) => void } {
  const states: MultipartCheckpoint[] = [];
  return {
    states,
    last: () => (states.length ? (JSON.parse(JSON.stringify(states[states.length - 1])) as JsonObject) : null),
    onCheckpoint: (s) => states.push(s),
  };
}

async function resumeAndFinish(client: S3Client, bucket: string, key: string, checkpoint: JsonObject | null) {
  const plan = await prepareResume(client, bucket, key, PART, checkpoint);
  const from = resumeOffset(plan.resume);
  // What a fresh process does: the digest of the bytes already uploaded, rebuilt from the source.
  const digest = ContentDigest.create('md5');
  digest.update(contentSlice(0, from));
  const result = await upload({
    keepUploadOnFailure: true,
    client,
    bucket,
    key,
    bytes: streamed(contentStream(SIZE, { from })),
    size: SIZE,
    partSize: PART,
    queueSize: 3,
    write,
    checksum: 'when-required',
    resume: plan.resume,
    digest,
    beforeComplete: () => assert.equal(digest.hex(), contentMd5(SIZE), 'whole-object md5 across the resume'),
  });
  return { plan, from, result };
}

for (const extensions of [true, false]) {
  describe(`resumable upload on s3rver (${extensions ? 'with ListParts/Abort extensions' : 'plain: no ListParts, no Abort'})`, () => {
    let s3: S3rverHandle;
    let client: S3Client;
    withS3rver({ multipartExtensions: extensions }, (world) => ({ s3, client } = world));

    test('a source failing after 2 parts checkpoints parts 1..2 in order; the resume completes byte-identical', async () => {
      const key = 'resume/source-fails.bin';
      const rec = recorder();
      const digest = ContentDigest.create('md5');
      await assert.rejects(
        upload({
          ...target(client, s3.bucket, key, contentStream(SIZE, { failAt: 13 * MiB })),
          resume: null,
          digest,
          onCheckpoint: rec.onCheckpoint,
        }),
        /ECONNRESET|connection reset/,
      );
      assert.deepEqual(
        rec.states.map((s) => s.parts.map((p) => p.partNumber)),
        [[], [1], [1, 2]],
      );
      assert.equal((await s3.incompleteUploadIds()).length, 1, 'a failed attempt keeps its upload for the resume');

      const { plan, from, result } = await resumeAndFinish(client, s3.bucket, key, rec.last());
      assert.ok(plan.resume);
      assert.equal(plan.verified, extensions, 'verified with ListParts, trusted without');
      assert.equal(from, 2 * PART);
      assert.equal(result.resumedParts, 2);
      assert.equal(result.parts, 5);
      assert.equal(result.bytes, SIZE);
      assert.deepEqual(await objectMd5(client, s3.bucket, key), { md5: contentMd5(SIZE), size: SIZE });
      assert.deepEqual(await s3.incompleteUploadIds(), []);
    });

    test('aborting the signal after the 3rd checkpoint, then resuming, gives the same bytes', async () => {
      const key = 'resume/aborted.bin';
      const rec = recorder();
      const controller = new AbortController();
      await assert.rejects(
        upload({
          keepUploadOnFailure: true,
          client,
          bucket: s3.bucket,
          key,
          bytes: streamed(contentStream(SIZE)),
          size: SIZE,
          partSize: PART,
          queueSize: 2,
          write,
          checksum: 'when-required',
          resume: null,
          digest: ContentDigest.create('md5'),
          onCheckpoint: (s) => {
            rec.onCheckpoint(s);
            if (s.parts.length === 3) controller.abort();
          },
          signal: controller.signal,
        }),
        (err: unknown) => err instanceof Error && err.name === 'AbortError',
      );
      const cp = rec.last();
      assert.ok(cp);
      // Part 4 may have landed just before the abort took effect: a checkpoint never claims less than is done.
      const checkpointed = (cp.parts as JsonObject[]).length;
      assert.ok(checkpointed >= 3 && checkpointed < 5, `checkpointed ${checkpointed} parts`);
      const { result } = await resumeAndFinish(client, s3.bucket, key, cp);
      assert.equal(result.resumedParts, checkpointed);
      assert.deepEqual(await objectMd5(client, s3.bucket, key), { md5: contentMd5(SIZE), size: SIZE });
      assert.deepEqual(await s3.incompleteUploadIds(), []);
    });

    test('a checkpoint with every part uploaded resumes straight to CompleteMultipartUpload', async () => {
      const key = 'resume/all-parts.bin';
      const rec = recorder();
      await assert.rejects(
        upload({
          ...target(client, s3.bucket, key, contentStream(SIZE)),
          resume: null,
          digest: ContentDigest.create('md5'),
          onCheckpoint: rec.onCheckpoint,
          beforeComplete: () => {
            throw Object.assign(new Error('child killed before completing (test)'), { name: 'AbortError' });
          },
        }),
      );
      // A refusal aborts the upload where the store allows it; plain s3rver keeps it, so resume it there.
      if (!extensions) {
        const { result } = await resumeAndFinish(client, s3.bucket, key, rec.last());
        assert.equal(result.resumedParts, 5);
        assert.deepEqual(await objectMd5(client, s3.bucket, key), { md5: contentMd5(SIZE), size: SIZE });
      } else {
        assert.deepEqual(await s3.incompleteUploadIds(), []);
        const plan = await prepareResume(client, s3.bucket, key, PART, rec.last());
        assert.deepEqual(plan, { resume: null, reason: 'upload-gone' });
      }
    });

    test('clean-up: abortUpload / listIncompleteUploads / abortIncompleteUploads', async () => {
      const rec1 = recorder();
      const rec2 = recorder();
      for (const [key, rec] of [
        ['cleanup/one.bin', rec1],
        ['cleanup/two.bin', rec2],
      ] as const) {
        await assert.rejects(
          upload({
            ...target(client, s3.bucket, key, contentStream(SIZE, { failAt: 6 * MiB })),
            resume: null,
            onCheckpoint: rec.onCheckpoint,
          }),
        );
      }
      const id1 = rec1.states[0]?.uploadId ?? '';
      const id2 = rec2.states[0]?.uploadId ?? '';
      assert.deepEqual(await s3.incompleteUploadIds(), [id1, id2].sort());
      const listed = await listIncompleteUploads(client, s3.bucket, 'cleanup/');
      const report = await abortIncompleteUploads(client, s3.bucket, 'cleanup/', new Set([id2]));
      if (extensions) {
        assert.deepEqual(listed?.map((u) => u.uploadId).sort(), [id1, id2].sort());
        assert.deepEqual(report, { supported: true, aborted: 1, failed: 0, kept: 1 });
        assert.deepEqual(await s3.incompleteUploadIds(), [id2]);
        assert.equal(await abortUpload(client, s3.bucket, 'cleanup/two.bin', id2), 'aborted');
        assert.equal(await abortUpload(client, s3.bucket, 'cleanup/two.bin', id2), 'gone');
        assert.deepEqual(await s3.incompleteUploadIds(), []);
      } else {
        assert.equal(listed, null);
        assert.deepEqual(report, { supported: false, aborted: 0, failed: 0, kept: 0 });
        assert.equal(await abortUpload(client, s3.bucket, 'cleanup/two.bin', id2), 'unsupported');
      }
    });

    test('a checkpoint for another part size is dropped (and its upload aborted)', async () => {
      const rec = recorder();
      await assert.rejects(
        upload({
          ...target(client, s3.bucket, 'resume/resized.bin', contentStream(SIZE, { failAt: 7 * MiB })),
          resume: null,
          onCheckpoint: rec.onCheckpoint,
        }),
      );
      const plan = await prepareResume(client, s3.bucket, 'resume/resized.bin', 2 * PART, rec.last());
      assert.deepEqual(plan, { resume: null, reason: 'settings-changed' });
      if (extensions) assert.equal((await s3.incompleteUploadIds()).includes(rec.states[0]?.uploadId ?? ''), false);
    });
  });
}

describe('resume verification with ListParts', () => {
  let s3: S3rverHandle;
  let client: S3Client;
  withS3rver({}, (world) => ({ s3, client } = world));

  test('parts S3 does not list as checkpointed are dropped: the prefix before them is kept', async () => {
    const key = 'verify/tampered.bin';
    const rec = recorder();
    await assert.rejects(
      upload({
        ...target(client, s3.bucket, key, contentStream(SIZE, { failAt: 16 * MiB })),
        resume: null,
        onCheckpoint: rec.onCheckpoint,
      }),
    );
    const cp = rec.last();
    assert.ok(cp);
    const parts = cp.parts as JsonObject[];
    assert.equal(parts.length, 3);
    (parts[1] as JsonObject).etag = '0'.repeat(32); // S3 lists another ETag for part 2
    const plan = await prepareResume(client, s3.bucket, key, PART, cp);
    assert.ok(plan.resume);
    assert.equal(plan.verified, true);
    assert.equal(plan.droppedParts, 2);
    assert.equal(resumeOffset(plan.resume), PART);

    const result = await upload({
      ...target(client, s3.bucket, key, contentStream(SIZE, { from: PART })),
      resume: plan.resume,
    });
    assert.equal(result.resumedParts, 1);
    assert.deepEqual(await objectMd5(client, s3.bucket, key), { md5: contentMd5(SIZE), size: SIZE });
  });
});
