import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { createDriveClient } from '../src/source/drive/drive-client.js';
import type { DriveClient } from '../src/source/drive/drive-client.js';
import type { DriveItem } from '../src/source/drive/drive-item.js';
import { openDownload } from '../src/source/drive/download.js';
import { directMediaAllowed } from '../src/source/drive/media-request.js';
import { DriveError, withRetry } from '../src/source/drive/retry.js';
import type { DriveErrorCode } from '../src/source/drive/retry.js';
import { ItemError } from '../src/errors.js';
import { startFakeDrive } from '../src/fake-drive/index.js';
import type { FakeDrive, Fault } from '../src/fake-drive/index.js';
import { readAll } from './support/media-item.js';

const TOKEN = 'download-test-token-0123';
const SIZE = 3 * 1024 * 1024 + 17;

async function setup(t: { after(fn: () => Promise<void>): void }): Promise<{ fake: FakeDrive; client: DriveClient }> {
  const fake = await startFakeDrive({
    token: TOKEN,
    oauth: { clientId: 'client-id-1', clientSecret: 'client-secret-1', refreshToken: 'refresh-token-1' },
    nodes: [
      { id: 'big', name: 'big.bin', parents: ['root'], mimeType: 'application/octet-stream', size: SIZE },
      { id: 'abuse', name: 'malware.exe', parents: ['root'], mimeType: 'application/octet-stream', size: 1000, abusive: true },
      { id: 'empty', name: 'empty', parents: ['root'], mimeType: 'application/octet-stream', content: '' },
      { id: 'doc', name: 'Doc', parents: ['root'], mimeType: 'application/vnd.google-apps.document', exportSize: 200_000 },
    ],
  });
  t.after(() => fake.close());
  const client = createDriveClient({ auth: createDriveAuth({ accessToken: TOKEN }), rootUrl: fake.rootUrl });
  return { fake, client };
}

function mediaItem(id: string, size: number | null): DriveItem {
  return { id, name: id, path: id, key: id, mimeType: 'application/octet-stream', contentType: 'application/octet-stream', size, md5: null, sha1: null, modifiedTime: '', download: { kind: 'media' } };
}


async function download(client: DriveClient, item: DriveItem, offset = 0, acknowledgeAbuse = false): Promise<Buffer> {
  return readAll(await openDownload(client, item, { offset, acknowledgeAbuse }));
}

async function codeOf(p: Promise<unknown>): Promise<{ code: string; retryable: boolean }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ItemError, `expected an ItemError, got ${String(err)}`);
    return { code: err.code, retryable: err.retryable };
  }
  throw new Error('expected a failure');
}

test('download: whole file, and from an offset with Range returns exactly the right bytes', async (t) => {
  const { fake, client } = await setup(t);
  const whole = await download(client, mediaItem('big', SIZE));
  assert.equal(whole.length, SIZE);
  assert.deepEqual(whole, fake.contentOf('big'));
  const offset = 1_234_567;
  const tail = await download(client, mediaItem('big', SIZE), offset);
  assert.deepEqual(tail, fake.contentOf('big', offset));
  assert.deepEqual(fake.stats.ranges, [null, `bytes=${offset}-`]);
  assert.equal(fake.stats.bytesByFile.get('big'), SIZE + SIZE - offset);
  // Resuming exactly at the end reads nothing and sends nothing.
  assert.equal((await download(client, mediaItem('big', SIZE), SIZE)).length, 0);
  assert.equal(fake.stats.mediaRequests, 2);
  assert.equal((await download(client, mediaItem('empty', 0))).length, 0);
  // The token went as a Bearer header (the fake answers 401 otherwise), never as an API key.
  assert.equal(fake.stats.unauthorized, 0);
  assert.equal(fake.stats.apiKeyRequests, 0);
});

test('download: exports stream without Content-Length and cannot resume', async (t) => {
  const { fake, client } = await setup(t);
  const mime = 'application/pdf';
  const item: DriveItem = {
    ...mediaItem('doc', null),
    download: { kind: 'export', url: `${fake.url}/export/doc?mimeType=${encodeURIComponent(mime)}`, mimeType: mime, extension: 'pdf' },
  };
  assert.deepEqual(await download(client, item), fake.exportContentOf('doc', mime));
  assert.equal((await codeOf(download(client, item, 10))).code, 'bad-request');
  // An export cut off mid-body (chunked, so no length to compare) still fails, retryably.
  fake.addFault({ route: 'export', fileId: 'doc', times: 1, fault: { type: 'truncate', afterBytes: 50_000 } });
  assert.deepEqual(await codeOf(download(client, item)), { code: 'connection-reset', retryable: true });
});

test('download: abuse-flagged files need acknowledgeAbuse', async (t) => {
  const { fake, client } = await setup(t);
  assert.deepEqual(await codeOf(download(client, mediaItem('abuse', 1000))), { code: 'abusive-file', retryable: false });
  assert.deepEqual(await download(client, mediaItem('abuse', 1000), 0, true), fake.contentOf('abuse'));
});

test('download: every fault class is classified', async (t) => {
  const { fake, client } = await setup(t);
  const cases: [Fault, DriveErrorCode, boolean][] = [
    [{ type: 'status', status: 429, retryAfter: '1' }, 'rate-limited', true],
    [{ type: 'status', status: 403, reason: 'rateLimitExceeded' }, 'rate-limited', true],
    [{ type: 'status', status: 403, reason: 'userRateLimitExceeded' }, 'rate-limited', true],
    [{ type: 'status', status: 500 }, 'server-error', true],
    [{ type: 'status', status: 503 }, 'server-error', true],
    [{ type: 'status', status: 403, reason: 'downloadQuotaExceeded' }, 'download-quota-exceeded', false],
    [{ type: 'status', status: 404 }, 'not-found', false],
    [{ type: 'status', status: 403, reason: 'insufficientPermissions' }, 'forbidden', false],
    [{ type: 'reset', afterBytes: 100_000 }, 'connection-reset', true],
    [{ type: 'truncate', afterBytes: 100_000 }, 'connection-reset', true],
  ];
  for (const [fault, code, retryable] of cases) {
    fake.clearFaults();
    fake.addFault({ route: 'media', fileId: 'big', times: 1, fault });
    const got = await codeOf(download(client, mediaItem('big', SIZE)));
    assert.deepEqual(got, { code, retryable }, JSON.stringify(fault));
  }
  fake.clearFaults();
  fake.addFault({ route: 'media', fileId: 'big', times: 1, fault: { type: 'status', status: 429, retryAfter: '7' } });
  await assert.rejects(download(client, mediaItem('big', SIZE)), (err: unknown) => err instanceof DriveError && err.retryAfterMs === 7000);
  // A file whose size differs from the listing's changed since: not retried with the stale item.
  fake.clearFaults();
  assert.deepEqual(await codeOf(download(client, mediaItem('empty', 10))), { code: 'source-changed', retryable: false });
});

test('download: withRetry recovers from 429, 500 and resets; permanent errors are not retried', async (t) => {
  const { fake, client } = await setup(t);
  fake.addFault({ route: 'media', fileId: 'big', times: 1, fault: { type: 'status', status: 429, retryAfter: '0' } });
  fake.addFault({ route: 'media', fileId: 'big', skip: 1, times: 1, fault: { type: 'status', status: 500 } });
  fake.addFault({ route: 'media', fileId: 'big', skip: 2, times: 1, fault: { type: 'reset', afterBytes: 65_536 } });
  const attempts: string[] = [];
  const body = await withRetry(() => download(client, mediaItem('big', SIZE)), {
    maxRetries: 5,
    baseMs: 1,
    onRetry: (info) => attempts.push(info.error.code),
  });
  assert.deepEqual(body, fake.contentOf('big'));
  assert.deepEqual(attempts, ['rate-limited', 'server-error', 'connection-reset']);
  assert.equal(fake.stats.mediaRequestsByFile.get('big'), 4);

  fake.clearFaults();
  fake.resetStats();
  fake.addFault({ route: 'media', fileId: 'big', fault: { type: 'status', status: 403, reason: 'downloadQuotaExceeded' } });
  let calls = 0;
  await assert.rejects(
    withRetry(() => (calls++, download(client, mediaItem('big', SIZE))), { maxRetries: 5, baseMs: 1 }),
    (err: unknown) => err instanceof DriveError && err.code === 'download-quota-exceeded',
  );
  assert.equal(calls, 1);
  assert.equal(fake.stats.mediaRequests, 1);

  // Retries stop after maxRetries.
  fake.clearFaults();
  fake.resetStats();
  fake.addFault({ route: 'media', fileId: 'big', fault: { type: 'status', status: 503 } });
  await assert.rejects(withRetry(() => download(client, mediaItem('big', SIZE)), { maxRetries: 2, baseMs: 1 }), /HTTP 503/);
  assert.equal(fake.stats.mediaRequests, 3);
});

test('auth: a refresh-token client gets its token from the token endpoint and sends it as Bearer', async (t) => {
  const { fake } = await setup(t);
  const auth = createDriveAuth({
    oauthClientId: 'client-id-1',
    oauthClientSecret: 'client-secret-1',
    oauthRefreshToken: 'refresh-token-1',
    tokenUrl: fake.tokenUrl,
  });
  const client = createDriveClient({ auth, rootUrl: fake.rootUrl });
  assert.deepEqual(await download(client, mediaItem('abuse', 1000), 0, true), fake.contentOf('abuse'));
  assert.equal(fake.stats.tokenRequests, 1);
  assert.equal(fake.stats.unauthorized, 0);

  const bad = createDriveAuth({ oauthClientId: 'client-id-1', oauthClientSecret: 'wrong-secret-1', oauthRefreshToken: 'refresh-token-1', tokenUrl: fake.tokenUrl });
  const badClient = createDriveClient({ auth: bad, rootUrl: fake.rootUrl });
  await assert.rejects(download(badClient, mediaItem('abuse', 1000), 0, true));
  assert.equal(fake.stats.tokenRequests, 2);
});

test('download: media goes direct; a 401 is retried once through the auth client (gaxios), a proxy setting always uses it', async (t) => {
  const { fake, client } = await setup(t);
  fake.addFault({ route: 'media', fileId: 'big', times: 1, fault: { type: 'status', status: 401 } });
  const before = fake.stats.mediaRequests;
  assert.deepEqual(await download(client, mediaItem('big', SIZE)), fake.contentOf('big'));
  // The direct GET met the 401; the auth client's request (gaxios, as the generated client would) got the bytes.
  assert.equal(fake.stats.mediaRequests - before, 2);
  assert.equal(directMediaAllowed({}), true);
  assert.equal(directMediaAllowed({ HTTPS_PROXY: 'http://proxy.invalid:3128' }), false);
  assert.equal(directMediaAllowed({ http_proxy: 'http://proxy.invalid:3128' }), false);
});
