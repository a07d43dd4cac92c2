// Attempts of one item inside a child: retryable Drive and S3 errors back off (exponential, full jitter,
// capped at 32 s, Retry-After honoured) and try again; permanent ones end the item at once. Each retry is
// counted by service and reason for the metrics. A failure that blames its service as unreachable is told to
// the supervisor at once, which probes; once it holds the service down, the loop hands the file back instead
// of spending its retries on a service that is not there (issue 20 point 5, docs/operations.md).
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceHealth } from '../child/processor.js';
import { ItemError, ServiceDownError } from '../errors.js';
import { DRIVE_UNREACHABLE, DriveError, backoffMs, classifyDriveError } from '../source/drive/retry.js';
import { S3_UNREACHABLE } from '../target/s3/s3-errors.js';

export type RetryCounts = Record<string, number>;

export interface RetryLoopOptions {
  maxRetries: number;
  baseMs: number;
  signal: AbortSignal;
  /** Retryable codes that this loop leaves to the supervisor's attempts (e.g. an md5 mismatch: a fresh child). */
  notHere?: ReadonlySet<string>;
  onRetry: (info: { attempt: number; delayMs: number; error: ItemError }) => void;
  services?: ServiceHealth;
}

function asItemError(err: unknown): ItemError {
  if (err instanceof ItemError) return err;
  return classifyDriveError(err);
}

function serviceOf(err: ItemError): string {
  return err.code.startsWith('s3-') ? 's3' : err instanceof DriveError ? 'drive' : 'copy';
}

/** The service a failure says did not answer, or null when it may be the file's own. */
function unreachableService(err: ItemError): string | null {
  if (S3_UNREACHABLE.has(err.code)) return 's3';
  return err instanceof DriveError && DRIVE_UNREACHABLE.has(err.code) ? 'drive' : null;
}

export async function retryLoop<T>(fn: (attempt: number) => Promise<T>, options: RetryLoopOptions, counts: RetryCounts): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal.aborted) throw err;
      const error = asItemError(err);
      counts[`${serviceOf(error)}:${error.code}`] = (counts[`${serviceOf(error)}:${error.code}`] ?? 0) + 1;
      if (!error.retryable || options.notHere?.has(error.code)) throw error;
      const service = unreachableService(error);
      const down = service === null ? undefined : options.services?.downSignal(service);
      if (service !== null) options.services?.unreachable(service, error.code);
      if (service !== null && down?.aborted === true) throw new ServiceDownError(service, error);
      if (attempt > options.maxRetries) throw error;
      const asDrive = error instanceof DriveError ? error : new DriveError(error.message, true, 'drive-error', null);
      const delayMs = backoffMs(attempt, asDrive, { baseMs: options.baseMs, capMs: 32_000 });
      options.onRetry({ attempt, delayMs, error });
      try {
        await sleep(delayMs, undefined, { signal: down ? AbortSignal.any([options.signal, down]) : options.signal });
      } catch (waitError) {
        if (service !== null && down?.aborted === true && !options.signal.aborted) throw new ServiceDownError(service, error);
        throw waitError;
      }
    }
  }
}
