// The payload a copy child receives is checked by the same option rows as the supervisor's settings: what
// the supervisor sends comes back equal; a wrong type, a value out of its row's bounds or a broken rule
// between settings is refused in one line naming the flag; absent fields take the rows' defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { copyOptionsFromJson, copyOptionsToJson } from '../../src/copy/copy-options.js';
import type { CopyOptions } from '../../src/copy/copy-options.js';
import { resolveSettings } from '../../src/config/settings.js';
import { resolveS3Options, s3OptionsOf } from '../../src/target/s3/s3-options.js';
import type { JsonObject } from '../../src/ipc/json.js';

const MiB = 1024 * 1024;
const s3 = resolveS3Options({ bucket: 'b', endpoint: 'http://127.0.0.1:9000', sse: 'aws:kms', kmsKeyId: 'k' }, {});
const options: CopyOptions = {
  driveAuth: { accessToken: 't' },
  driveRootUrl: 'http://127.0.0.1:8080/',
  driveTps: 0.05,
  driveRetries: 3,
  acknowledgeAbuse: true,
  s3,
  s3Credentials: { accessKeyId: 'a', secretAccessKey: 's' },
  resumeMinBytes: 64 * MiB,
  resumeRereadMaxBytes: 1024 * MiB,
  skipExisting: false,
  concurrency: 2,
  partBuffers: 3,
  rangeStreams: 2,
  rangeCutoffBytes: 256 * MiB,
};

function refused(json: JsonObject, message: RegExp): void {
  assert.throws(() => copyOptionsFromJson(json), (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'));
}

test('copy options: what the supervisor sends, the child rebuilds equal', () => {
  assert.deepEqual(copyOptionsFromJson(copyOptionsToJson(options)), options);
});

test('copy options: absent fields take the rows\' defaults', () => {
  const o = copyOptionsFromJson({ s3: { bucket: 'b', region: 'r' } });
  assert.deepEqual(
    [o.driveRetries, o.acknowledgeAbuse, o.concurrency, o.rangeStreams, o.resumeMinBytes, o.s3.partSizeMb, o.s3.signPayload, o.rangeCutoffBytes, o.driveRootUrl],
    [8, false, 4, 4, 64 * MiB, 5, 'auto', Number.POSITIVE_INFINITY, null],
  );
});

test('copy options: a malformed payload is refused by the rows, not guessed around', () => {
  const good = copyOptionsToJson(options);
  refused({ ...good, driveRetries: '3' }, /^invalid --drive-retries \(SUPERVISOR_DRIVE_RETRIES\): "3" is not a number$/);
  refused({ ...good, acknowledgeAbuse: 1 }, /^invalid --acknowledge-abuse .*is not a boolean/);
  refused({ ...good, concurrency: 0 }, /^invalid --child-concurrency \(SUPERVISOR_CHILD_CONCURRENCY\): 0 is below the minimum 1$/);
  refused({ ...good, s3: { ...s3, partSizeMb: 4 } }, /^invalid --part-size-mb \(SUPERVISOR_PART_SIZE_MB\): 4 is below the minimum 5$/);
  refused({ ...good, s3: { ...s3, sse: null } }, /^--s3-kms-key-id \(SUPERVISOR_S3_KMS_KEY_ID\) needs --s3-sse aws:kms$/);
  refused({ ...good, s3: { ...s3, endpoint: 'ftp://x' } }, /^invalid --s3-endpoint .*is not an http\(s\) URL$/);
  refused({ ...good, driveRootUrl: 'file:///etc' }, /^invalid --drive-root-url/);
  refused({ ...good, driveTps: 0 }, /^invalid copy options: driveTps 0 is not a positive number$/);
  refused({ ...good, driveAuth: { accessToken: 5 } }, /^invalid copy options: driveAuth.accessToken is not a string$/);
});

test('S3 options from settings: each read from the setting it is, with the derived checksum default', () => {
  const settings = resolveSettings({ s3Bucket: 'b', s3Prefix: '/a/b/', partSizeMb: '16' }, { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' });
  const o = s3OptionsOf(settings, {});
  assert.deepEqual(
    [o.bucket, o.prefix, o.endpoint, o.region, o.checksum, o.partSizeMb, o.uploadQueueSize, o.sse, o.storageClass],
    ['b', 'a/b', 'http://127.0.0.1:9000', 'us-east-1', 'when-required', 16, 2, null, null],
  );
});
