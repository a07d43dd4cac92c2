// A Drive request made in the supervisor's process (the listing, the changes listing) that waits out an
// outage the supervisor's watch holds (issue 20 point 5) instead of failing the pass: retries are spent or
// cut short while Drive is held down, then the request waits for it to answer and starts over.
import type { OutageView } from '../../ipc/service-signals.js';
import type { Logger } from '../../observability/logger.js';
import { DRIVE_UNREACHABLE, classifyDriveError, withRetry } from './retry.js';
import type { RetryOptions } from './retry.js';

export interface OutageWait {
  outage: OutageView;
  log: Logger;
  /** What waits, for the log line ('the listing', 'the changes listing'). */
  what: string;
}

export async function withOutageWait<T>(fn: () => Promise<T>, retry: RetryOptions, w: OutageWait | undefined): Promise<T> {
  if (w === undefined) return withRetry(fn, retry);
  const { signal } = retry;
  const onRetry: RetryOptions['onRetry'] = (info) => {
    if (DRIVE_UNREACHABLE.has(info.error.code)) void w.outage.unreachable('drive');
    retry.onRetry?.(info);
  };
  for (;;) {
    const down = w.outage.downSignal('drive');
    try {
      // A wait between retries ends when the watch holds Drive down: the request then waits for it instead.
      return await withRetry(fn, { ...retry, onRetry, signal: signal === undefined ? down : AbortSignal.any([signal, down]) });
    } catch (err) {
      if (signal?.aborted === true) throw err;
      const held = down.aborted || (DRIVE_UNREACHABLE.has(classifyDriveError(err).code) && (await w.outage.unreachable('drive')));
      if (!held) throw err;
      w.log.warn(`${w.what} waits for Google Drive to answer again`);
      await w.outage.whenUp('drive', signal ?? new AbortController().signal);
      w.log.info(`Google Drive answers again: ${w.what} continues where it was`);
    }
  }
}
