// Sorting S3 failures into "another attempt may work" (throttling, 5xx, resets, timeouts) and "it will not"
// (access, missing bucket, bad request). Codes are short, stable strings for the report and metrics.
import { unreachableCodes } from '../../error-codes.js';
import type { ErrorCode, ErrorCodeOf } from '../../error-codes.js';
import { ItemError } from '../../errors.js';
import { redactText } from '../../observability/redact.js';

/** The table: error-codes.ts. */
export type S3ErrorCode = ErrorCodeOf<'s3'>;

/** Codes that say nothing about the object, only that S3 did not answer (outages, issue 20 point 5). */
export const S3_UNREACHABLE: ReadonlySet<ErrorCode> = unreachableCodes('s3');

export interface S3ErrorClass {
  retryable: boolean;
  code: S3ErrorCode;
  /** The service's error code or Node's errno code, when there is one (for the message). */
  detail: string;
}

const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled']);
const SERVER = new Set(['InternalError', 'ServiceUnavailable', 'RequestTimeout', 'OperationAborted']);
const NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
const TIMEOUT = new Set(['ETIMEDOUT', 'TimeoutError', 'RequestTimeoutException', 'ESOCKETTIMEDOUT']);
const CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'CredentialsProviderError', 'InvalidToken', 'TokenRefreshRequired']);
// Session credentials (IRSA, SSO) expire mid-run; the SDK's providers refresh them, so retry.
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
  cause?: unknown;
}

function shape(err: unknown): ErrorShape {
  return typeof err === 'object' && err !== null ? err : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The most specific code on the error or its cause chain: service error code, then errno code, then name. */
export function s3ErrorDetail(err: unknown): { name: string; status: number | null } {
  let e = shape(err);
  for (let depth = 0; depth < 4; depth += 1) {
    const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : null;
    const name = str(e.Code) ?? str(e.code) ?? str(e.name);
    if (name && name !== 'Error') return { name, status };
    if (e.cause === undefined) return { name: name ?? 'Error', status };
    e = shape(e.cause);
  }
  return { name: 'Error', status: null };
}

export function classifyS3Error(err: unknown): S3ErrorClass {
  if (err instanceof ItemError) return { retryable: err.retryable, code: 's3-error', detail: err.code };
  const { name, status } = s3ErrorDetail(err);
  const lower = name.toLowerCase();
  if (name === 'AbortError') return { retryable: true, code: 's3-aborted', detail: name };
  if (THROTTLING.has(name) || status === 429 || status === 503) return { retryable: true, code: 's3-throttled', detail: name };
  if (TIMEOUT.has(name)) return { retryable: true, code: 's3-timeout', detail: name };
  if (NETWORK.has(name) || lower.includes('socket hang up')) return { retryable: true, code: 's3-network', detail: name };
  if (SERVER.has(name) || (status !== null && status >= 500)) return { retryable: true, code: 's3-server-error', detail: name };
  // The multipart upload is gone (aborted by a lifecycle rule or another run): retry from scratch.
  if (name === 'NoSuchUpload') return { retryable: true, code: 's3-no-such-upload', detail: name };
  if (EXPIRED.has(name)) return { retryable: true, code: 's3-credentials', detail: name };
  if (CREDENTIALS.has(name)) return { retryable: false, code: 's3-credentials', detail: name };
  if (name === 'NoSuchBucket') return { retryable: false, code: 's3-no-such-bucket', detail: name };
  if (name.startsWith('KMS')) return { retryable: false, code: 's3-kms', detail: name };
  if (name === 'AccessDenied' || status === 403) return { retryable: false, code: 's3-access-denied', detail: name };
  if (status !== null && status >= 400) return { retryable: false, code: 's3-client-error', detail: name };
  // No status and no known code: a local failure (the source stream, a bug). Retrying once more is cheap.
  return { retryable: true, code: 's3-error', detail: name };
}

/**
 * An ItemError for the report: "<action> failed: <code detail>" plus the SDK's message, redacted (messages
 * never carry credentials, but a URL with a signature might). ItemErrors pass through untouched.
 */
export function toItemError(err: unknown, action: string): ItemError {
  if (err instanceof ItemError) return err;
  const c = classifyS3Error(err);
  const message = err instanceof Error ? redactText(err.message).split('\n')[0] : '';
  const suffix = message && message !== c.detail ? `: ${message}` : '';
  return new ItemError(`${action} failed (${c.detail})${suffix}`, c.retryable, c.code);
}

export function isAbortError(err: unknown): boolean {
  return shape(err).name === 'AbortError';
}
