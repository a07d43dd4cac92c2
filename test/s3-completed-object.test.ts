// Recognising a completed copy (s3/completed-object.ts): an object is this file only by id, size and Drive
// md5 in its metadata, or by the multipart ETag S3 would give the checkpoint's parts (s3rver gives another).
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { findCompletedObject, isCompleteCopy, multipartEtag } from '../src/target/s3/completed-object.js';
import type { S3rverHandle } from '../src/testing/s3rver.js';
import { MiB, contentMd5, contentSlice, withS3rver } from './s3-fixtures.js';

let s3: S3rverHandle;
let client: S3Client;
withS3rver({}, (world) => ({ s3, client } = world));

const SIZE = 2 * 5 * MiB + 3;
const signal = new AbortController().signal;

async function multipartObject(key: string, metadata: Record<string, string>): Promise<{ etag: string; size: number }[]> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: key, Metadata: metadata }));
  const parts: { etag: string; size: number }[] = [];
  for (const [i, [start, end]] of [[0, 5 * MiB], [5 * MiB, 10 * MiB], [10 * MiB, SIZE]].entries()) {
    const body = contentSlice(start ?? 0, end ?? 0);
    const res = await client.send(new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId, PartNumber: i + 1, Body: body, ContentLength: body.length }));
    parts.push({ etag: (res.ETag ?? '').replace(/"/g, ''), size: body.length });
  }
  await client.send(new CompleteMultipartUploadCommand({ Bucket: s3.bucket, Key: key, UploadId, MultipartUpload: { Parts: parts.map((p, i) => ({ PartNumber: i + 1, ETag: p.etag })) } }));
  return parts;
}

function checkpoint(key: string, parts: { etag: string; size: number }[]) {
  return { uploadId: 'u', key, partSize: 5 * MiB, parts: parts.map((p, i) => ({ partNumber: i + 1, etag: p.etag, size: p.size, crc32: null })) };
}

test('the multipart ETag is md5 of the binary part md5s, "-", the count; s3rver reports a whole-object md5 instead', async () => {
  const bounds: [number, number][] = [[0, 5 * MiB], [5 * MiB, 10 * MiB], [10 * MiB, SIZE]];
  const partMd5s = bounds.map(([start, end]) => createHash('md5').update(contentSlice(start, end)).digest());
  const expected = `${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-3`;
  const parts = await multipartObject('etag/a.bin', { 'drive-file-id': 'a' });
  assert.deepEqual(parts.map((p) => p.etag), partMd5s.map((b) => b.toString('hex')), 'part ETags are the parts\' md5s');
  assert.equal(multipartEtag(parts), expected);
  assert.equal(multipartEtag([{ etag: 'not-an-md5' }]), null, 'ETags that are not md5s (SSE-KMS) imply nothing');
  const item = { id: 'a', key: 'etag/a.bin', size: SIZE, md5: null };
  // s3rver's ETag for a multipart object is not S3's, so without an md5 in the metadata it is not recognised there.
  assert.equal(await findCompletedObject(client, s3.bucket, item, checkpoint(item.key, parts), signal), null);
  const stored = await findCompletedObject(client, s3.bucket, { ...item, md5: contentMd5(SIZE) }, null, signal);
  assert.equal(stored, null, 'no drive-md5 in this object\'s metadata');
  // As S3 reports it, the ETag identifies the object, when the checkpoint covers the whole file.
  const asS3 = { size: SIZE, etag: `"${expected}"`, contentType: null, driveFileId: 'a', md5: null, modifiedTime: null, path: null, pathTruncated: false };
  assert.equal(isCompleteCopy(asS3, item, checkpoint(item.key, parts)), true);
  assert.equal(isCompleteCopy(asS3, item, checkpoint(item.key, parts.slice(0, 2))), false, 'a checkpoint short of the last part');
  assert.equal(isCompleteCopy(asS3, item, null), false, 'no checkpoint, no md5');
});

test('by metadata: the same file id, size and Drive md5; anything else is not this file', async () => {
  const md5 = contentMd5(SIZE);
  const body = contentSlice(0, SIZE);
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'meta/b.bin', Body: body, Metadata: { 'drive-file-id': 'b', 'drive-md5': md5 } }));
  const item = { id: 'b', key: 'meta/b.bin', size: SIZE, md5: md5.toUpperCase() };
  assert.ok(await findCompletedObject(client, s3.bucket, item, null, signal));
  const stored = await findCompletedObject(client, s3.bucket, item, null, signal);
  assert.ok(stored);
  assert.equal(isCompleteCopy(stored, { ...item, id: 'other' }, null), false, 'another file id');
  assert.equal(isCompleteCopy(stored, { ...item, size: SIZE + 1 }, null), false, 'another size');
  assert.equal(isCompleteCopy(stored, { ...item, md5: '0'.repeat(32) }, null), false, 'another md5');
  assert.equal(await findCompletedObject(client, s3.bucket, { ...item, key: 'meta/missing.bin' }, null, signal), null, 'no object');
});
