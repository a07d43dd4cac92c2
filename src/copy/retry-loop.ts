// Attempts of one item inside a child: retryable Drive and S3 errors back off (exponential, full jitter,
// capped at 32 s, Retry-After honoured) and try again; permanent ones end the item at once. Each retry is
// counted by service and reason for the metrics.
import { setTimeout as sleep } from 'node:timers/promises';
import { ItemError } from '../errors.js';
import { DriveError, backoffMs, classifyDriveError } from '../drive/retry.js';

export type RetryCounts = Record<string, number>;

export interface RetryLoopOptions {
  maxRetries: number;
  baseMs: number;
  signal: AbortSignal;
  /** Retryable codes that this loop leaves to the supervisor's attempts (e.g. an md5 mismatch: a fresh child). */
  notHere?: ReadonlySet<string>;
  onRetry: (info: { attempt: number; delayMs: number; error: ItemError }) => void;
}

function asItemError(err: unknown): ItemError {
  if (err instanceof ItemError) return err;
  return classifyDriveError(err);
}

function serviceOf(err: ItemError): string {
  return err.code.startsWith('s3-') ? 's3' : err instanceof DriveError ? 'drive' : 'copy';
}

export async function retryLoop<T>(fn: (attempt: number) => Promise<T>, options: RetryLoopOptions, counts: RetryCounts): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal.aborted) throw err;
      const error = asItemError(err);
      counts[`${serviceOf(error)}:${error.code}`] = (counts[`${serviceOf(error)}:${error.code}`] ?? 0) + 1;
      if (!error.retryable || attempt > options.maxRetries || options.notHere?.has(error.code)) throw error;
      const asDrive = error instanceof DriveError ? error : new DriveError(error.message, true, 'drive-error', null);
      const delayMs = backoffMs(attempt, asDrive, { baseMs: options.baseMs, capMs: 32_000 });
      options.onRetry({ attempt, delayMs, error });
      await sleep(delayMs, undefined, { signal: options.signal });
    }
  }
}
