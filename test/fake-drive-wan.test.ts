import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { createDriveClient } from '../src/source/drive/drive-client.js';
import type { DriveItem } from '../src/source/drive/drive-item.js';
import { openDownload } from '../src/source/drive/download.js';
import { classifyDriveError, withRetry } from '../src/source/drive/retry.js';
import { startFakeDrive } from '../src/fake-drive/index.js';
import { UserQuota } from '../src/fake-drive/quota.js';
import { Wan } from '../src/fake-drive/wan.js';
import { ReadableBytes } from '../src/source/readable-bytes.js';
import { readAll } from './support/media-item.js';

const TOKEN = 'wan-test-token-0123';
const OTHER = 'wan-test-token-4567';
const SIZE = 256 * 1024 + 5;

function mediaItem(id: string, size: number): DriveItem {
  return { id, name: id, path: id, key: id, mimeType: 'application/octet-stream', contentType: 'application/octet-stream', size, md5: null, sha1: null, modifiedTime: '', download: { kind: 'media' } };
}


const nodes = [
  { id: 'f1', name: 'one.bin', parents: ['root'], mimeType: 'application/octet-stream', size: SIZE },
  { id: 'f2', name: 'two.bin', parents: ['root'], mimeType: 'application/octet-stream', size: 1000 },
];

test('wan: every API response waits out the latency; the body rate is held per connection', async (t) => {
  const fake = await startFakeDrive({ token: TOKEN, nodes, wan: { latencyMs: 30, bytesPerSecond: 4 * 1024 * 1024 } });
  t.after(() => fake.close());
  const client = createDriveClient({ auth: createDriveAuth({ accessToken: TOKEN }), rootUrl: fake.rootUrl });
  const list = await client.drive.files.list({ q: "'root' in parents", fields: 'files(id,size)' });
  assert.deepEqual(list.data.files?.map((f) => f.id).sort(), ['f1', 'f2']);
  const bytes = await readAll(await openDownload(client, mediaItem('f1', SIZE), { acknowledgeAbuse: false }));
  assert.ok(bytes.equals(fake.contentOf('f1')), 'the throttled body arrives whole and unchanged');
  // Counted, not timed: one delay per request the server answered.
  assert.equal(fake.wan.stats.delayed, fake.stats.requests);
  assert.equal(fake.stats.requests, 2);
  fake.wan.set({});
  await client.drive.files.get({ fileId: 'f2' });
  assert.equal(fake.wan.stats.delayed, 2, 'latency off once set to nothing');
});

test('wan: a per-connection throttle splits and paces the body, keeping every byte', async () => {
  const wan = new Wan({ bytesPerSecond: 64 * 1024 * 1024 });
  const socket = new (await import('node:net')).Socket();
  const throttle = wan.throttle(socket);
  assert.ok(throttle);
  const input = Buffer.alloc(100_000, 7);
  const out = await readAll(new ReadableBytes(Readable.from([input]).pipe(throttle)));
  assert.ok(out.equals(input));
  assert.equal(new Wan({}).throttle(socket), null, 'no rate: no throttle in the way');
  assert.throws(() => new Wan({ dropFraction: 2 }), /wan\.dropFraction must be between 0 and 1, got 2/);
});

test('quota: a token bucket per user; beyond it 403 userRateLimitExceeded with Drive\'s body, classified rate-limited', async (t) => {
  let clock = 0;
  const fake = await startFakeDrive({ token: TOKEN, nodes, quota: { requestsPerSecond: 2, burst: 2, now: () => clock } });
  fake.acceptToken(OTHER);
  t.after(() => fake.close());
  const client = createDriveClient({ auth: createDriveAuth({ accessToken: TOKEN }), rootUrl: fake.rootUrl });
  await client.drive.files.get({ fileId: 'f2' });
  await readAll(await openDownload(client, mediaItem('f2', 1000), { acknowledgeAbuse: false }));
  // Metadata through the generated client: the raw body is Drive's.
  const refused = await client.drive.files.get({ fileId: 'f2' }).then(
    () => assert.fail('the third request within the second must be refused'),
    (err: unknown) => err,
  );
  const body = (refused as { response?: { data?: unknown } }).response?.data;
  assert.deepEqual(body, {
    error: { code: 403, message: 'User Rate Limit Exceeded', errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded', message: 'User Rate Limit Exceeded' }] },
  });
  const classified = classifyDriveError(refused);
  assert.deepEqual([classified.code, classified.retryable, classified.status], ['rate-limited', true, 403]);
  // Media through our own client: the same refusal, the same classification.
  const mediaRefusal = await openDownload(client, mediaItem('f2', 1000), { acknowledgeAbuse: false }).then(
    () => assert.fail('media is under the same quota'),
    (err: unknown) => classifyDriveError(err),
  );
  assert.equal(mediaRefusal.code, 'rate-limited');
  // Another user has a bucket of its own.
  const other = createDriveClient({ auth: createDriveAuth({ accessToken: OTHER }), rootUrl: fake.rootUrl });
  await other.drive.files.get({ fileId: 'f2' });
  assert.equal(fake.quota.stats.refused, 2);
  assert.equal(fake.quota.stats.refusedByUser.get(TOKEN), 2);
  assert.equal(fake.quota.stats.refusedByUser.get(OTHER), undefined);
  // The bucket refills with the clock.
  clock += 1000;
  await client.drive.files.get({ fileId: 'f2' });
  assert.equal(fake.quota.stats.admitted, 4);
});

test('quota: the 429 option carries Retry-After, which the classification keeps', async (t) => {
  const quota = new UserQuota({ requestsPerSecond: 1, burst: 1, refusal: '429', retryAfterSeconds: 3, now: () => 0 });
  assert.equal(quota.take('u'), null);
  assert.deepEqual(quota.take('u'), { status: 429, reason: 'rateLimitExceeded', message: 'Too Many Requests', retryAfter: '3' });
  assert.throws(() => new UserQuota({ requestsPerSecond: 0 }), /quota\.requestsPerSecond must be a positive number, got 0/);
  const fake = await startFakeDrive({ token: TOKEN, nodes, quota: { requestsPerSecond: 1, burst: 1, refusal: '429', retryAfterSeconds: 2, now: () => 0 } });
  t.after(() => fake.close());
  const client = createDriveClient({ auth: createDriveAuth({ accessToken: TOKEN }), rootUrl: fake.rootUrl });
  await client.drive.files.get({ fileId: 'f2' });
  const err = await client.drive.files.get({ fileId: 'f2' }).then(() => assert.fail('refused'), (e: unknown) => classifyDriveError(e));
  assert.deepEqual([err.code, err.status, err.retryAfterMs], ['rate-limited', 429, 2000]);
});

test('wan: dropped bodies are cut mid-way and the retry loop gets the file whole', async (t) => {
  // Drop the first two bodies (random() < 0.5 for the drop decision), deliver the third.
  const draws = [0.1, 0.5, 0.2, 0.3, 0.9];
  const fake = await startFakeDrive({ token: TOKEN, nodes, wan: { dropFraction: 0.5, random: () => draws.shift() ?? 0.9 } });
  t.after(() => fake.close());
  const client = createDriveClient({ auth: createDriveAuth({ accessToken: TOKEN }), rootUrl: fake.rootUrl });
  const codes: string[] = [];
  const bytes = await withRetry(async () => readAll(await openDownload(client, mediaItem('f1', SIZE), { acknowledgeAbuse: false })), {
    maxRetries: 5,
    baseMs: 1,
    random: () => 0,
    onRetry: ({ error }) => codes.push(error.code),
  });
  assert.ok(bytes.equals(fake.contentOf('f1')));
  assert.equal(fake.wan.stats.dropped, 2);
  assert.equal(codes.length, 2);
  for (const c of codes) assert.ok(c === 'connection-reset' || c === 'truncated', `a drop is a retryable break, got ${c}`);
  assert.equal(fake.stats.mediaRequests, 3);
  assert.ok((fake.stats.bytesByFile.get('f1') ?? 0) > SIZE, 'the dropped attempts sent part of the body');
});
