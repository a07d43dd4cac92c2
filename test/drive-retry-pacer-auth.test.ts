import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriveAuth, DRIVE_READONLY_SCOPE } from '../src/source/drive/auth.js';
import { createPacer } from '../src/source/drive/pacer.js';
import { backoffMs, classifyDriveError, DriveError, parseRetryAfter, withRetry } from '../src/source/drive/retry.js';
import { ConfigError } from '../src/errors.js';
import { registeredSecrets } from '../src/observability/redact.js';

test('retry: Retry-After in seconds or as an HTTP date', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter('0.5', now), 500);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now), 10_000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter(null, now), null);
});

test('retry: full jitter under an exponential ceiling capped at 32 s; Retry-After wins', () => {
  const err = new DriveError('x', true, 'server-error', 500);
  const top = (): number => 0.999_999;
  assert.equal(backoffMs(1, err, { baseMs: 1000, random: () => 0 }), 0);
  assert.equal(backoffMs(1, err, { baseMs: 1000, random: top }), 999);
  assert.equal(backoffMs(3, err, { baseMs: 1000, random: top }), 3999);
  assert.equal(backoffMs(20, err, { baseMs: 1000, random: top }), 31_999);
  const limited = new DriveError('x', true, 'rate-limited', 429, 4000);
  assert.equal(backoffMs(1, limited, { baseMs: 1000, random: () => 0 }), 4000);
});

test('retry: network errors are retryable, unknown ones are not; aborts stop retries', async () => {
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  assert.deepEqual([classifyDriveError(reset).code, classifyDriveError(reset).retryable], ['connection-reset', true]);
  assert.equal(classifyDriveError(new Error('socket hang up')).retryable, true);
  assert.equal(classifyDriveError(new Error('something odd')).retryable, false);
  const controller = new AbortController();
  let calls = 0;
  const run = withRetry(
    () => {
      calls++;
      return Promise.reject(reset);
    },
    { maxRetries: 10, baseMs: 60_000, random: () => 0.5, signal: controller.signal, onRetry: () => controller.abort(new Error('stop')) },
  );
  await assert.rejects(run, /stop/);
  assert.equal(calls, 1);
});

test('pacer: burst passes at once, then tokens refill with the clock; aborted waiters leave the queue', async () => {
  let clock = 0;
  const pacer = createPacer({ tps: 10, burst: 2, now: () => clock });
  await pacer.take();
  await pacer.take();
  let third = false;
  const pending = pacer.take().then(() => (third = true));
  const controller = new AbortController();
  const aborted = pacer.take(controller.signal);
  controller.abort(new Error('cancelled'));
  await assert.rejects(aborted, /cancelled/);
  assert.equal(third, false);
  clock += 100; // one token at 10 tps
  await pending;
  assert.equal(third, true);
  assert.throws(() => createPacer({ tps: 0 }), ConfigError);
  await createPacer({ tps: Number.POSITIVE_INFINITY }).take();
});

test('auth: settings are validated with one line naming the setting, secrets registered', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'drive-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = {};
  assert.throws(() => createDriveAuth({ env }), /^ConfigError: no Drive credentials/);
  assert.throws(() => createDriveAuth({ env, oauthClientId: 'id' }), /--oauth-refresh-token is required/);
  assert.throws(() => createDriveAuth({ env, accessToken: 'token-abcdefgh', impersonate: 'a@b.c' }), /--impersonate/);

  const missing = join(dir, 'missing.json');
  assert.throws(() => createDriveAuth({ env, credentialsFile: missing }), new RegExp(`credentials file ${missing} cannot be read \\(ENOENT\\)`));
  const garbage = join(dir, 'garbage.json');
  writeFileSync(garbage, '{"private_key": "-----BEGIN PRIVATE KEY-----SECRETSTUFF');
  assert.throws(
    () => createDriveAuth({ env: { GOOGLE_APPLICATION_CREDENTIALS: garbage } }),
    (err: unknown) => err instanceof ConfigError && err.message === `credentials file ${garbage} is not valid JSON` && !err.message.includes('SECRET'),
  );
  const wrongType = join(dir, 'wrong.json');
  writeFileSync(wrongType, JSON.stringify({ type: 'api_key' }));
  assert.throws(() => createDriveAuth({ env, credentialsFile: wrongType }), /unsupported type "api_key"/);

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const sa = join(dir, 'sa.json');
  writeFileSync(sa, JSON.stringify({ type: 'service_account', client_email: 'sa@project.iam.gserviceaccount.com', private_key: pem }));
  const jwt = createDriveAuth({ env, credentialsFile: sa, impersonate: 'user@example.com' });
  assert.ok('subject' in jwt);
  assert.equal(jwt.subject, 'user@example.com');
  assert.deepEqual(jwt.scopes, [DRIVE_READONLY_SCOPE]);
  assert.ok(registeredSecrets().includes(pem));

  const token = createDriveAuth({ env, accessToken: 'plain-access-token-1' });
  assert.ok('credentials' in token);
  assert.equal(token.credentials.access_token, 'plain-access-token-1');
  assert.ok(registeredSecrets().includes('plain-access-token-1'));
});
