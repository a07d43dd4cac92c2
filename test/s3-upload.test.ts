import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-s3';
// Type only (erased at build): the SDK's own middleware type, from the package that defines it.
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { ItemError } from '../src/errors.js';
import { ContentDigest } from '../src/copy/content-digest.js';
import { driveMetadata, matchesDriveItem, readObjectMetadata } from '../src/target/s3/object-metadata.js';
import type { ObjectWriteOptions } from '../src/target/s3/object-metadata.js';
import { upload } from '../src/target/s3/upload-engine.js';
import type { S3rverHandle } from '../src/testing/s3rver.js';
import { MiB, contentMd5, contentStream, objectMd5, streamed, testClient, testOptions, withS3rver } from './s3-fixtures.js';

let s3: S3rverHandle;
let client: S3Client;

withS3rver({}, (world) => ({ s3, client } = world));

function write(path = 'folder/file.bin', md5: string | null = null): ObjectWriteOptions {
  return {
    contentType: 'application/octet-stream',
    metadata: driveMetadata({ id: 'drive-id-1', md5, modifiedTime: '2024-05-01T10:00:00.000Z', path }),
    storageClass: null,
    sse: null,
    kmsKeyId: null,
  };
}

const common = { partSize: 5 * MiB, queueSize: 3, checksum: 'when-required' as const };

test('streaming: a small file of known size is one PutObject, byte-identical', async () => {
  const size = 300 * 1024 + 17;
  const res = await upload({ client, bucket: s3.bucket, key: 'small/a.bin', bytes: streamed(contentStream(size)), size, write: write(), ...common });
  assert.equal(res.method, 'put');
  assert.equal(res.bytes, size);
  assert.deepEqual(await objectMd5(client, s3.bucket, 'small/a.bin'), { md5: contentMd5(size), size });
});

test('streaming: an empty stream makes an empty object', async () => {
  const res = await upload({ client, bucket: s3.bucket, key: 'small/empty', bytes: streamed(contentStream(0)), size: null, write: write(), ...common });
  assert.equal(res.method, 'put');
  assert.deepEqual(await objectMd5(client, s3.bucket, 'small/empty'), { md5: contentMd5(0), size: 0 });
});

test('streaming: 20 MiB of unknown size goes multipart in 5 MiB parts, byte-identical, no upload left', async () => {
  const size = 20 * MiB + 123;
  const digest = ContentDigest.create('md5');
  let checkedBytes = -1;
  const res = await upload({
    client,
    bucket: s3.bucket,
    key: 'big/unknown.bin',
    bytes: streamed(contentStream(size)),
    size: null,
    write: write(),
    digest,
    beforeComplete: ({ bytes }) => {
      checkedBytes = bytes;
      assert.equal(digest.hex(), contentMd5(size));
    },
    ...common,
  });
  assert.equal(res.method, 'multipart');
  assert.equal(res.parts, 5);
  assert.equal(res.bytes, size);
  assert.equal(checkedBytes, size);
  assert.deepEqual(await objectMd5(client, s3.bucket, 'big/unknown.bin'), { md5: contentMd5(size), size });
  assert.deepEqual(await s3.incompleteUploadIds(), []);
});

test('streaming: a multi-part file of known size with the when-supported checksum mode still round-trips', async () => {
  // Part bodies are buffers, so the SDK sends CRC32 as a header (not an aws-chunked trailer) that s3rver ignores.
  const size = 11 * MiB;
  const crcClient = testClient(s3, { ...testOptions(s3), checksum: 'when-supported' });
  try {
    const res = await upload({ client: crcClient, bucket: s3.bucket, key: 'big/crc.bin', bytes: streamed(contentStream(size)), size, write: write(), ...common, checksum: 'when-supported' });
    assert.equal(res.parts, 3);
    assert.deepEqual(await objectMd5(client, s3.bucket, 'big/crc.bin'), { md5: contentMd5(size), size });
  } finally {
    crcClient.destroy();
  }
});

test('streaming: an md5 mismatch refused in beforeComplete leaves no object and no upload', async () => {
  for (const size of [100 * 1024, 12 * MiB]) {
    const key = `refused/${size}.bin`;
    await assert.rejects(
      upload({
        client,
        bucket: s3.bucket,
        key,
        bytes: streamed(contentStream(size)),
        size,
        write: write(),
        beforeComplete: () => {
          throw new ItemError('md5 mismatch', false, 'md5-mismatch');
        },
        ...common,
      }),
      (err: unknown) => err instanceof ItemError && err.code === 'md5-mismatch',
    );
    assert.equal(await readObjectMetadata(client, s3.bucket, key), null);
  }
  assert.deepEqual(await s3.incompleteUploadIds(), []);
});

test('streaming: a source that fails mid-way fails the upload and aborts it', async () => {
  const key = 'failed/source.bin';
  await assert.rejects(
    upload({ client, bucket: s3.bucket, key, bytes: streamed(contentStream(16 * MiB, { failAt: 11 * MiB })), size: 16 * MiB, write: write(), ...common }),
    (err: unknown) => err instanceof ItemError && err.retryable,
  );
  assert.equal(await readObjectMetadata(client, s3.bucket, key), null);
  assert.deepEqual(await s3.incompleteUploadIds(), []);
});

test('streaming: a source shorter than its declared size is rejected', async () => {
  await assert.rejects(
    upload({ client, bucket: s3.bucket, key: 'failed/short.bin', bytes: streamed(contentStream(6 * MiB)), size: 7 * MiB, write: write(), ...common }),
    (err: unknown) => err instanceof ItemError && err.code === 'source-size-mismatch',
  );
  assert.deepEqual(await s3.incompleteUploadIds(), []);
});

test('streaming: aborting the signal stops the upload with an AbortError and leaves nothing', async () => {
  const controller = new AbortController();
  const source = contentStream(30 * MiB);
  let seen = 0;
  source.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen >= 8 * MiB) controller.abort();
  });
  source.pause();
  await assert.rejects(
    upload({ client, bucket: s3.bucket, key: 'failed/aborted.bin', bytes: streamed(source), size: 30 * MiB, write: write(), signal: controller.signal, ...common }),
    (err: unknown) => err instanceof Error && err.name === 'AbortError',
  );
  assert.equal(await readObjectMetadata(client, s3.bucket, 'failed/aborted.bin'), null);
  assert.deepEqual(await s3.incompleteUploadIds(), []);
});

test('metadata: Drive id, md5, modifiedTime and a Unicode path round-trip through HeadObject', async () => {
  const path = 'Équipe/日本語 フォルダ/naïve ☃ résumé 😀.txt';
  const md5 = contentMd5(1000);
  await upload({ client, bucket: s3.bucket, key: 'meta/file.txt', bytes: streamed(contentStream(1000)), size: 1000, ...common, write: { ...write(path, md5.toUpperCase()), contentType: 'text/plain' } });
  const info = await readObjectMetadata(client, s3.bucket, 'meta/file.txt');
  assert.ok(info);
  assert.equal(info.driveFileId, 'drive-id-1');
  assert.equal(info.md5, md5);
  assert.equal(info.modifiedTime, '2024-05-01T10:00:00.000Z');
  assert.equal(info.path, path);
  assert.equal(info.pathTruncated, false);
  assert.equal(info.contentType, 'text/plain');
  assert.equal(info.size, 1000);
  // The raw header is ASCII (percent-encoded).
  const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'meta/file.txt' }));
  assert.match(head.Metadata?.['drive-path'] ?? '', /^[\x20-\x7e]+$/);
  assert.equal(matchesDriveItem(info, { id: 'drive-id-1', md5, modifiedTime: 'x', size: 1000 }), true);
  assert.equal(matchesDriveItem(info, { id: 'drive-id-1', md5: contentMd5(999), modifiedTime: 'x', size: 1000 }), false);
  assert.equal(await readObjectMetadata(client, s3.bucket, 'meta/absent.txt'), null);
});

/** The payload hash each byte-carrying request was signed with, captured after SigV4 signing. */
function signedPayloadHashes(c: S3Client): string[] {
  const seen: string[] = [];
  const capture: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
    const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
    if (context.commandName === 'PutObjectCommand' || context.commandName === 'UploadPartCommand') seen.push(headers['x-amz-content-sha256'] ?? '(none)');
    return next(args);
  };
  c.middlewareStack.addRelativeTo(capture, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'captureSignedPayloadHash' });
  return seen;
}

for (const [mode, signed] of [['never', false], ['always', true], ['auto', true]] as const) {
  test(`payload signing: --s3-sign-payload ${mode} ${signed ? 'signs every part with its SHA-256' : 'sends UNSIGNED-PAYLOAD'} (s3rver on http accepts it, bytes identical)`, async () => {
    const c = testClient(s3, testOptions(s3, { signPayload: mode }));
    const hashes = signedPayloadHashes(c);
    const size = 11 * MiB + 3; // 3 parts of 5 MiB
    const key = `signing/${mode}.bin`;
    const res = await upload({ client: c, bucket: s3.bucket, key, bytes: streamed(contentStream(size)), size, write: write(), ...common });
    assert.equal(res.parts, 3);
    assert.equal(hashes.length, 3);
    for (const h of hashes) assert.ok(signed ? /^[0-9a-f]{64}$/.test(h) : h === 'UNSIGNED-PAYLOAD', `${mode}: x-amz-content-sha256 ${h}`);
    assert.deepEqual(await objectMd5(client, s3.bucket, key), { md5: contentMd5(size), size });
    c.destroy();
  });
}
