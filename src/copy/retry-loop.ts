// Attempts of one item inside a child, the one per-request retry level (the S3 SDK's own is off, maxAttempts 1;
// the supervisor's file-level attempts are the only level above: docs/design.md, Retries): retryable Drive and
// S3 errors back off (the shared rule, retry/backoff.ts) and try again, resuming; permanent ones end the item at once. Each retry is
// counted by service and reason for the metrics. A failure that blames its service as unreachable is told to
// the supervisor at once, which probes; once it holds the service down, the loop hands the file back instead
// of spending its retries on a service that is not there (issue 20 point 5, docs/operations.md).
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceHealth } from '../child/processor.js';
import { serviceOf } from '../error-codes.js';
import { ItemError, ServiceDownError } from '../errors.js';
import { backoffMs } from '../retry/backoff.js';
import type { RetryBudget } from '../retry/retry-budget.js';
import type { Source } from '../source/source.js';
import type { Target } from '../target/target.js';

export type RetryCounts = Record<string, number>;

export interface RetryLoopOptions {
  /** The file's retries in this child, shared with its range re-opens (retry/retry-budget.ts). */
  budget: RetryBudget;
  baseMs: number;
  signal: AbortSignal;
  /** Retryable codes that this loop leaves to the supervisor's attempts (e.g. an md5 mismatch: a fresh child). */
  notHere?: ReadonlySet<string>;
  onRetry: (info: { attempt: number; delayMs: number; error: ItemError }) => void;
  services?: ServiceHealth;
  /** The two ends, which classify their own errors (anything else thrown is read as the source's). */
  source: Pick<Source, 'service' | 'classify' | 'owns' | 'unreachable' | 'retryAfterMs'>;
  target: Pick<Target, 'service' | 'unreachable'>;
}

/** Anything thrown as an ItemError: the source's own (and anything unknown) in its classification. */
function asItemError(err: unknown, options: RetryLoopOptions): ItemError {
  if (err instanceof ItemError && !options.source.owns(err)) return err;
  return options.source.classify(err);
}

/** The service a failure says did not answer, or null when it may be the file's own. */
function unreachableService(err: ItemError, { source, target }: RetryLoopOptions): string | null {
  if (target.unreachable(err)) return target.service;
  return source.unreachable(err) ? source.service : null;
}

export async function retryLoop<T>(fn: (attempt: number) => Promise<T>, options: RetryLoopOptions, counts: RetryCounts): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal.aborted) throw err;
      const error = asItemError(err, options);
      const counted = `${serviceOf(error.code)}:${error.code}`;
      counts[counted] = (counts[counted] ?? 0) + 1;
      if (!error.retryable || options.notHere?.has(error.code)) throw error;
      const service = unreachableService(error, options);
      const down = service === null ? undefined : options.services?.downSignal(service);
      if (service !== null) options.services?.unreachable(service, error.code);
      if (service !== null && down?.aborted === true) throw new ServiceDownError(service, error);
      if (!options.budget.take()) throw error;
      // Only the source sends a Retry-After we keep (S3 says SlowDown with a status, no delay).
      const delayMs = backoffMs(options.budget.spent, { retryAfterMs: options.source.retryAfterMs(error) }, { baseMs: options.baseMs, capMs: 32_000 });
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
