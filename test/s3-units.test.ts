import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, ItemError } from '../src/errors.js';
import { ContentDigest } from '../src/copy/content-digest.js';
import { MAX_ENCODED_PATH, driveMetadata, encodePathForMetadata } from '../src/target/s3/object-metadata.js';
import { MAX_PARTS, MIB, choosePartSize, maxObjectBytes, partCount, predictBufferBytes } from '../src/target/s3/part-size.js';
import { classifyS3Error, toItemError } from '../src/target/s3/s3-errors.js';
import { resolveS3Options, s3OptionsFromJson, s3OptionsToJson, signsPayload } from '../src/target/s3/s3-options.js';
import { parseCheckpoint } from '../src/target/s3/resume-plan.js';
import { contentSlice } from './s3-fixtures.js';

const GiB = 1024 * MIB;

test('part size: 5 GiB with 8 MiB parts keeps 8 MiB (640 parts)', () => {
  const size = 5 * GiB;
  const part = choosePartSize(size, 8);
  assert.equal(part, 8 * MIB);
  assert.equal(partCount(size, part), 640);
});

test('part size: 100 GiB grows to a whole MiB that fits in 10,000 parts', () => {
  const size = 100 * GiB;
  const part = choosePartSize(size, 8);
  assert.equal(part, 11 * MIB); // ceil(100 GiB / 10,000) = 10.24 MiB → 11 MiB
  assert.equal(part % MIB, 0);
  assert.ok(partCount(size, part) <= MAX_PARTS);
  assert.equal(partCount(size, part), 9310);
  // The boundary: exactly 10,000 parts of the configured size still fits.
  assert.equal(choosePartSize(10_000 * 8 * MIB, 8), 8 * MIB);
  assert.equal(choosePartSize(10_000 * 8 * MIB + 1, 8), 9 * MIB);
});

test('part size: unknown size keeps the configured size, capping the object at 10,000 parts', () => {
  assert.equal(choosePartSize(null, 8), 8 * MIB);
  assert.equal(maxObjectBytes(8 * MIB), 80_000 * MIB);
  assert.equal(partCount(0, 8 * MIB), 1);
});

test('predictBufferBytes: parts in flight × part size + stream marks; small files count their size', () => {
  const hwm = 64 * 1024;
  assert.equal(predictBufferBytes({ size: null, partSize: 8 * MIB, queueSize: 4, streamHighWaterMark: hwm }), 32 * MIB + 2 * hwm);
  assert.equal(predictBufferBytes({ size: 5 * GiB, partSize: 8 * MIB, queueSize: 4, streamHighWaterMark: hwm }), 32 * MIB + 2 * hwm);
  assert.equal(predictBufferBytes({ size: 1000, partSize: 8 * MIB, queueSize: 4, streamHighWaterMark: hwm }), 1000 + 2 * hwm);
  // Two parts never hold more than two part buffers, whatever the queue size.
  assert.equal(predictBufferBytes({ size: 9 * MIB, partSize: 8 * MIB, queueSize: 4, streamHighWaterMark: hwm }), 16 * MIB + 2 * hwm);
});

test('options: defaults, env fallbacks and messages that name the flag', () => {
  const o = resolveS3Options({ bucket: 'b', prefix: '/a/b/' }, { AWS_REGION: 'eu-west-1' });
  assert.equal(o.prefix, 'a/b');
  assert.equal(o.region, 'eu-west-1');
  assert.equal(o.endpoint, null);
  assert.equal(o.checksum, 'when-supported');
  assert.equal(o.partSizeMb, 5);
  const e = resolveS3Options({ bucket: 'b' }, { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' });
  assert.equal(e.endpoint, 'http://127.0.0.1:9000');
  assert.equal(e.region, 'us-east-1');
  assert.deepEqual(s3OptionsFromJson(s3OptionsToJson(o)), o);
  const bad: [object, RegExp][] = [
    [{}, /^--s3-bucket \(SUPERVISOR_S3_BUCKET\) is required$/],
    [{ bucket: 'b', region: 'x', partSizeMb: 4 }, /^invalid --part-size-mb \(SUPERVISOR_PART_SIZE_MB\): 4 is below the minimum 5$/],
    [{ bucket: 'b', region: 'x', uploadQueueSize: 0 }, /--upload-queue-size/],
    [{ bucket: 'b', region: 'x', sse: 'rot13' }, /^invalid --s3-sse \(SUPERVISOR_S3_SSE\): "rot13" is not one of AES256, aws:kms$/],
    [{ bucket: 'b', region: 'x', kmsKeyId: 'k' }, /--s3-kms-key-id \(SUPERVISOR_S3_KMS_KEY_ID\) needs --s3-sse aws:kms/],
    [{ bucket: 'b', region: 'x', checksum: 'always' }, /--s3-checksum/],
    [{ bucket: 'b', region: 'x', storageClass: 'COLD' }, /--s3-storage-class/],
    [{ bucket: 'b', endpoint: 'ftp://x' }, /--s3-endpoint/],
    [{ bucket: 'b', endpoint: 'https://user:pw@x' }, /must not contain credentials/],
    [{ bucket: 'b' }, /--s3-region \(SUPERVISOR_S3_REGION, or AWS_REGION\)/],
  ];
  for (const [input, message] of bad) assert.throws(() => resolveS3Options(input, {}), (err) => err instanceof ConfigError && message.test(err.message));
});

test('metadata: paths are ASCII percent-encoded and cut at a character boundary when too long', () => {
  const meta = driveMetadata({ id: 'x', md5: 'ABC', modifiedTime: 't', path: 'a/é 😀' });
  assert.equal(meta['drive-path'], 'a%2F%C3%A9%20%F0%9F%98%80');
  assert.equal(meta['drive-md5'], 'abc');
  const long = '😀'.repeat(500);
  const cut = encodePathForMetadata(long);
  assert.equal(cut.truncated, true);
  assert.ok(cut.value.length <= MAX_ENCODED_PATH);
  assert.equal(decodeURIComponent(cut.value), '😀'.repeat(cut.value.length / 12));
  assert.equal(driveMetadata({ id: 'x', md5: null, modifiedTime: 't', path: long })['drive-path-truncated'], 'true');
});

test('errors: throttling, 5xx and resets are retryable; access and missing bucket are not', () => {
  const s3err = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  assert.deepEqual(classifyS3Error(s3err('SlowDown', 503)), { retryable: true, code: 's3-throttled', detail: 'SlowDown' });
  assert.equal(classifyS3Error(s3err('InternalError', 500)).retryable, true);
  assert.equal(classifyS3Error(s3err('Whatever', 502)).code, 's3-server-error');
  assert.equal(classifyS3Error(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).code, 's3-network');
  assert.equal(classifyS3Error(s3err('NoSuchUpload', 404)).retryable, true);
  assert.deepEqual(classifyS3Error(s3err('AccessDenied', 403)), { retryable: false, code: 's3-access-denied', detail: 'AccessDenied' });
  assert.equal(classifyS3Error(s3err('NoSuchBucket', 404)).retryable, false);
  assert.equal(classifyS3Error(s3err('InvalidAccessKeyId', 403)).code, 's3-credentials');
  assert.equal(classifyS3Error(s3err('ExpiredToken', 400)).retryable, true);
  const item = toItemError(s3err('SlowDown', 503), 'upload of k');
  assert.ok(item instanceof ItemError);
  assert.equal(item.retryable, true);
  assert.match(item.message, /^upload of k failed \(SlowDown\)/);
  const same = new ItemError('md5', false, 'md5-mismatch');
  assert.equal(toItemError(same, 'x'), same);
});

for (const algorithm of ['sha1', 'md5'] as const) {
  const whole = (n: number): string => createHash(algorithm).update(contentSlice(0, n)).digest('hex');

  test(`${algorithm} digest: matches node's hash, asked twice; a fork continues independently`, () => {
    const data = contentSlice(0, 3_000_000);
    const d = ContentDigest.create(algorithm);
    d.update(data.subarray(0, 1_234_567));
    assert.equal(d.hex(), whole(1_234_567));
    const fork = d.fork();
    assert.equal(fork.bytes, 1_234_567);
    d.update(data.subarray(1_234_567));
    assert.equal(d.hex(), whole(3_000_000));
    assert.equal(d.hex(), whole(3_000_000));
    assert.equal(fork.hex(), whole(1_234_567), 'the fork did not see the later bytes');
    fork.update(data.subarray(1_234_567, 2_000_000));
    assert.equal(fork.hex(), whole(2_000_000));
  });
}

test('checkpoints: parseCheckpoint accepts ours and rejects non-contiguous parts', () => {
  const cp = { uploadId: 'u', key: 'k', partSize: 5, parts: [{ partNumber: 1, etag: 'e', size: 5, crc32: null }] };
  assert.deepEqual(parseCheckpoint(cp), cp);
  // An earlier version's checkpoint carries a digest state: still resumable, the state is ignored.
  assert.deepEqual(parseCheckpoint({ ...cp, digestState: 'c3RhdGU=' }), cp);
  assert.equal(parseCheckpoint({ ...cp, parts: [{ partNumber: 2, etag: 'e', size: 5, crc32: null }] }), null);
  assert.equal(parseCheckpoint({ foo: 1 }), null);
});

test('payload signing: auto signs over plain http only (AWS itself and https endpoints go unsigned)', () => {
  assert.equal(signsPayload({ signPayload: 'auto', endpoint: null }), false);
  assert.equal(signsPayload({ signPayload: 'auto', endpoint: 'https://minio.example:9000' }), false);
  assert.equal(signsPayload({ signPayload: 'auto', endpoint: 'http://127.0.0.1:4569' }), true);
  assert.equal(signsPayload({ signPayload: 'always', endpoint: null }), true);
  assert.equal(signsPayload({ signPayload: 'never', endpoint: 'http://127.0.0.1:4569' }), false);
  assert.throws(() => resolveS3Options({ bucket: 'b', region: 'x', signPayload: 'sometimes' }), /--s3-sign-payload \(SUPERVISOR_S3_SIGN_PAYLOAD\): "sometimes" is not one of auto, always, never/);
});
