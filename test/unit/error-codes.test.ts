// The one table of error codes (issue 19): who each blames, and whether it is retryable, agrees with what the
// backends' classifiers answer; a child's unknown code is read as 'error', never trusted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, ERROR_CODE_LIST, isErrorCode, serviceOf, unreachableServiceOf } from '../../src/error-codes.js';
import type { ErrorCode } from '../../src/error-codes.js';
import { message, withCheckedCodes } from '../../src/ipc/protocol.js';
import type { ChildMessage, FatalMessage, ItemResultMessage, ServiceUnreachableMessage } from '../../src/ipc/protocol.js';
import { serializeError } from '../../src/ipc/serialized-error.js';
import { NetError } from '../../src/net/net-error.js';
import { classifyDriveError } from '../../src/source/drive/retry.js';
import { classifyS3Error, toItemError } from '../../src/target/s3/s3-errors.js';
import { RetryBudget } from '../../src/retry/retry-budget.js';

function gaxios(status: number, reason?: string): unknown {
  return Object.assign(new Error(`HTTP ${status}`), { status, response: { status, data: reason ? { error: { errors: [{ reason }] } } : {} } });
}

function sdk(name: string, status: number | null): unknown {
  return Object.assign(new Error(name), { name, $metadata: status === null ? {} : { httpStatusCode: status } });
}

/** What a classifier said, against the table's row for its code. */
function agrees(got: { code: ErrorCode; retryable: boolean }, service: string): void {
  assert.equal(serviceOf(got.code), service, `${got.code} blames ${service}`);
  const rule: boolean | null = ERROR_CODES[got.code].retryable;
  if (rule !== null) assert.equal(got.retryable, rule, `${got.code} retryable`);
}

test('every Drive classification is a Drive code, retryable as the table says', () => {
  const inputs = [gaxios(429), gaxios(403, 'userRateLimitExceeded'), gaxios(403, 'downloadQuotaExceeded'), gaxios(403, 'cannotDownloadAbusiveFile'), gaxios(403, 'fileNotDownloadable'), gaxios(408), gaxios(500), gaxios(503), gaxios(404), gaxios(401), gaxios(403), gaxios(400), gaxios(416), gaxios(418), Object.assign(new Error('reset'), { code: 'ECONNRESET' }), new Error('socket hang up'), new Error('weird'), new NetError('stalled', 'timeout'), new NetError('bad head', 'bad-response')];
  const codes = new Set<ErrorCode>();
  for (const input of inputs) {
    const e = classifyDriveError(input);
    agrees(e, 'drive');
    codes.add(e.code);
  }
  assert.equal(codes.size, 12, [...codes].join(' '));
});

test('every S3 classification is an S3 code, retryable as the table says', () => {
  const inputs = [sdk('SlowDown', 503), sdk('InternalError', 500), sdk('ECONNRESET', null), sdk('TimeoutError', null), sdk('AbortError', null), sdk('NoSuchUpload', 404), sdk('AccessDenied', 403), sdk('NoSuchBucket', 404), sdk('ExpiredToken', 400), sdk('InvalidAccessKeyId', 403), sdk('KMS.NotFoundException', 400), sdk('InvalidArgument', 400), sdk('Mystery', null)];
  for (const input of inputs) {
    agrees(classifyS3Error(input), 's3');
    agrees(toItemError(input, 'UploadPart'), 's3');
  }
});

test('outages blame a service; the file\'s own failures and local checks do not', () => {
  assert.equal(unreachableServiceOf('connection-reset'), 'drive');
  assert.equal(unreachableServiceOf('s3-network'), 's3');
  assert.equal(unreachableServiceOf('s3-access-denied'), null);
  assert.equal(unreachableServiceOf('not-found'), null);
  for (const code of ['poison', 'md5-mismatch', 'sha1-mismatch', 'size-mismatch', 'error'] as const) assert.equal(serviceOf(code), 'local', code);
  // Once named for its prefix, now for whose it is: an upload's checkpoint is S3's.
  assert.equal(serviceOf('checkpoint-mismatch'), 's3');
  for (const code of ERROR_CODE_LIST) assert.ok(['drive', 's3', 'local'].includes(serviceOf(code)), code);
});

test('an errno code is not one of ours: it crosses IPC as the generic code, its words in the message', () => {
  const e = serializeError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  assert.deepEqual({ code: e.code, retryable: e.retryable, message: e.message }, { code: 'error', retryable: true, message: 'read ECONNRESET' });
  assert.equal(isErrorCode('ECONNRESET'), false);
  assert.equal(isErrorCode('toString'), false, 'not an inherited property either');
});

test('a child message with an unknown code is read as "error" and told; known codes pass untouched', () => {
  const unknown: unknown[] = [];
  const check = (m: ChildMessage): ChildMessage => withCheckedCodes(m, (code) => unknown.push(code));
  // As the parent receives it: the brand checked, the code a string from another build.
  const foreign = JSON.parse(JSON.stringify({ kind: 'item-result', batchId: 'b', itemId: 'i', outcome: { status: 'failed', error: { name: 'ItemError', message: 'm', code: 'from-a-newer-child', retryable: true }, detail: {} } })) as Omit<ItemResultMessage, 'brand' | 'v'>;
  const result = check(message<ItemResultMessage>(foreign));
  assert.ok(result.kind === 'item-result' && result.outcome.status === 'failed');
  assert.deepEqual(result.outcome.error, { name: 'ItemError', message: 'm', code: 'error', retryable: true });
  const fatal = check(message<FatalMessage>({ kind: 'fatal', error: { name: 'Error', message: 'x', code: 's3-kms', retryable: false } }));
  assert.ok(fatal.kind === 'fatal' && fatal.error.code === 's3-kms');
  const down = JSON.parse(JSON.stringify({ kind: 'service-unreachable', itemId: 'i', service: 's3', code: 42 })) as Omit<ServiceUnreachableMessage, 'brand' | 'v'>;
  const checked = check(message<ServiceUnreachableMessage>(down));
  assert.ok(checked.kind === 'service-unreachable' && checked.code === 'error');
  assert.deepEqual(unknown, ['from-a-newer-child', 42]);
});

test('a retry budget gives exactly its retries, to whichever level asks', () => {
  const budget = new RetryBudget(2);
  assert.deepEqual([budget.take(), budget.take(), budget.take()], [true, true, false]);
  assert.equal(budget.spent, 2);
});
