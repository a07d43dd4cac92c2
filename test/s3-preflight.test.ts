import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PreflightError } from '../src/errors.js';
import { createS3Client } from '../src/target/s3/s3-client.js';
import { preflightS3 } from '../src/target/s3/preflight.js';
import { startS3rver } from '../src/testing/s3rver.js';
import type { S3rverHandle } from '../src/testing/s3rver.js';
import { testClient, testOptions } from './s3-fixtures.js';

let s3: S3rverHandle;
before(async () => {
  s3 = await startS3rver();
});
after(async () => {
  await s3.close();
});

/** A loopback port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  return address.port;
}

function assertOneSafeLine(err: unknown, pattern: RegExp): boolean {
  assert.ok(err instanceof PreflightError, `expected a PreflightError, got ${String(err)}`);
  assert.match(err.message, pattern);
  assert.equal(err.message.includes('\n'), false, 'one line');
  assert.doesNotMatch(err.message, /S3RVER|X-Amz-|Signature=|Credential=/, 'no secrets or signed URLs');
  return true;
}

test('preflight: a reachable bucket passes, and the marker object is gone afterwards', async () => {
  const opts = testOptions(s3, { prefix: 'team/drive' });
  const client = testClient(s3, opts);
  try {
    const { markerKey } = await preflightS3(client, opts);
    assert.match(markerKey, /^team\/drive\/\.drive-s3-supervisor-preflight-[0-9a-f]{16}$/);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'team/' }));
    assert.equal(listed.KeyCount ?? 0, 0);
  } finally {
    client.destroy();
  }
});

test('preflight: a missing bucket names --s3-bucket', async () => {
  const opts = testOptions(s3, { bucket: 'no-such-bucket' });
  const client = testClient(s3, opts);
  try {
    await assert.rejects(preflightS3(client, opts), (err) => assertOneSafeLine(err, /"no-such-bucket" does not exist.*--s3-bucket/));
  } finally {
    client.destroy();
  }
});

test('preflight: an unreachable endpoint names --s3-endpoint', async () => {
  const opts = testOptions(s3, { endpoint: `http://127.0.0.1:${await closedPort()}` });
  const client = testClient(s3, opts);
  try {
    await assert.rejects(preflightS3(client, opts), (err) => assertOneSafeLine(err, /cannot reach S3 at endpoint http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*--s3-endpoint/));
  } finally {
    client.destroy();
  }
});

test('preflight: an unknown access key is reported as a credentials problem, without the key', async () => {
  const opts = testOptions(s3);
  const client = createS3Client(opts, { maxSockets: 2, maxAttempts: 1, credentials: { accessKeyId: 'AKIAWRONGWRONGWRONG1', secretAccessKey: 'not-the-secret-value' } });
  try {
    await assert.rejects(preflightS3(client, opts), (err) => {
      assertOneSafeLine(err, /rejected the credentials \(InvalidAccessKeyId, HTTP 403\)/);
      assert.doesNotMatch((err as Error).message, /AKIAWRONG|not-the-secret/);
      return true;
    });
  } finally {
    client.destroy();
  }
});
