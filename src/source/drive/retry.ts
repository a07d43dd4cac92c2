// Classify Drive API failures and retry the transient ones. The client's own retries are switched off (see
// drive-client.ts) so that every retry goes through here: one backoff policy, counted and logged in one place.
// Backoff: the shared rule (retry/backoff.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { unreachableCodes } from '../../error-codes.js';
import type { ErrorCode, ErrorCodeOf } from '../../error-codes.js';
import { ItemError } from '../../errors.js';
import { NetError } from '../../net/net-error.js';
import { backoffMs } from '../../retry/backoff.js';
import type { BackoffOptions } from '../../retry/backoff.js';

export { backoffMs } from '../../retry/backoff.js';

/** Reason codes of classified Drive errors, as recorded in the journal and the report (the table: error-codes.ts). */
export type DriveErrorCode = ErrorCodeOf<'drive'>;

/** An ItemError from the Drive side, with the HTTP status and the Retry-After delay when there was one. */
export class DriveError extends ItemError {
  override readonly name = 'DriveError';
  constructor(
    message: string,
    retryable: boolean,
    code: DriveErrorCode,
    readonly status: number | null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message, retryable, code);
  }
}

/** Codes that say nothing about the file, only that Drive did not answer (outages, issue 20 point 5). */
export const DRIVE_UNREACHABLE: ReadonlySet<ErrorCode> = unreachableCodes('drive');

const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'sharingRateLimitExceeded']);
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

interface Inspected {
  status: number | null;
  reason: string | null;
  message: string;
  code: string | null;
  retryAfter: string | null;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function parseBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    // Not JSON (an HTML error page, or a stream body gaxios joined oddly): no reason to extract.
    return undefined;
  }
}

function headerValue(headers: unknown, name: string): string | null {
  if (headers === null || typeof headers !== 'object') return null;
  if (headers instanceof Headers || typeof (headers as { get?: unknown }).get === 'function') {
    const v = (headers as { get(n: string): string | null }).get(name);
    return typeof v === 'string' ? v : null;
  }
  const v = (headers as Record<string, unknown>)[name] ?? (headers as Record<string, unknown>)[name.toLowerCase()];
  return typeof v === 'string' ? v : null;
}

/** Pull status, Drive reason, system code and Retry-After out of a GaxiosError or a stream error. */
function inspect(err: unknown): Inspected {
  const response = field(err, 'response');
  const statusRaw = field(err, 'status') ?? field(response, 'status');
  const status = typeof statusRaw === 'number' ? statusRaw : null;
  // For responseType 'stream', gaxios drops the error body from `response.data` and leaves the raw JSON text
  // as the error message; parse whichever is there.
  const message = err instanceof Error ? err.message : String(err);
  const body = parseBody(field(response, 'data')) ?? (message.startsWith('{') ? parseBody(message) : undefined);
  const errors = field(field(body, 'error'), 'errors');
  const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
  const reasonRaw = field(first, 'reason');
  const codeRaw = field(err, 'code') ?? field(field(err, 'cause'), 'code');
  const apiMessage = field(field(body, 'error'), 'message');
  return {
    status,
    reason: typeof reasonRaw === 'string' ? reasonRaw : null,
    message: typeof apiMessage === 'string' ? apiMessage : message,
    code: typeof codeRaw === 'string' ? codeRaw : null,
    retryAfter: headerValue(field(response, 'headers'), 'retry-after'),
  };
}

/** Retry-After in ms: delta-seconds or an HTTP date; null when absent or unparseable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Turn anything thrown while talking to Drive into a DriveError (an ItemError) with a reason code. */
export function classifyDriveError(err: unknown): DriveError {
  if (err instanceof DriveError) return err;
  // The media client's failures (net/): a head the parser refused reads as a server fault, as before.
  if (err instanceof NetError) return new DriveError(err.message, true, err.code === 'bad-response' ? 'server-error' : err.code, null);
  const { status, reason, message, code, retryAfter } = inspect(err);
  const retryAfterMs = parseRetryAfter(retryAfter);
  const detail = `${status === null ? '' : `HTTP ${status}${reason === null ? '' : ` ${reason}`}: `}${message}`;
  if (status !== null) {
    if (status === 429 || (status === 403 && reason !== null && RATE_REASONS.has(reason))) {
      return new DriveError(detail, true, 'rate-limited', status, retryAfterMs);
    }
    if (status === 403 && reason === 'downloadQuotaExceeded') return new DriveError(detail, false, 'download-quota-exceeded', status);
    if (status === 403 && reason === 'cannotDownloadAbusiveFile') return new DriveError(detail, false, 'abusive-file', status);
    if (status === 403 && (reason === 'cannotDownloadFile' || reason === 'fileNotDownloadable')) {
      return new DriveError(detail, false, 'cannot-download', status);
    }
    if (status === 408) return new DriveError(detail, true, 'timeout', status, retryAfterMs);
    if (status >= 500) return new DriveError(detail, true, 'server-error', status, retryAfterMs);
    if (status === 404) return new DriveError(detail, false, 'not-found', status);
    if (status === 401) return new DriveError(detail, false, 'unauthorized', status);
    if (status === 403) return new DriveError(detail, false, 'forbidden', status);
    if (status === 400 || status === 416) return new DriveError(detail, false, 'bad-request', status);
    return new DriveError(detail, false, 'drive-error', status);
  }
  if (code !== null && NETWORK_CODES.has(code)) return new DriveError(`${code}: ${message}`, true, 'connection-reset', null);
  if (/socket hang up|aborted|premature close|terminated|other side closed|ECONNRESET/i.test(message)) {
    return new DriveError(message, true, 'connection-reset', null);
  }
  if (err instanceof ItemError) return new DriveError(err.message, err.retryable, err.retryable ? 'truncated' : 'drive-error', null);
  return new DriveError(message, false, 'drive-error', null);
}

export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt (so maxRetries + 1 attempts in all). */
  maxRetries: number;
  signal?: AbortSignal;
  /** Called before each wait: for logs and metrics. */
  onRetry?: (info: { attempt: number; delayMs: number; error: DriveError }) => void;
}

/**
 * Run `fn`, retrying retryable Drive errors up to maxRetries times. Throws the classified DriveError
 * (permanent at once; retryable once retries are exhausted) or the abort reason when `signal` aborts.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      const error = classifyDriveError(err);
      if (!error.retryable || attempt >= options.maxRetries) throw error;
      const delayMs = backoffMs(attempt + 1, error, options);
      options.onRetry?.({ attempt: attempt + 1, delayMs, error });
      try {
        await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : undefined);
      } catch (sleepError) {
        // timers/promises rejects with a generic AbortError; callers expect the reason they aborted with.
        throw options.signal?.aborted ? options.signal.reason : sleepError;
      }
    }
  }
}
