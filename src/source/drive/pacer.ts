// A token bucket that paces Drive API requests in one process. Its rate is this process's share of the one
// shared pace (shared-pace.ts), which the supervisor re-sends whenever it changes; a short burst of up to
// `burst` requests is allowed, then requests are spaced 1/tps apart. Waiters are served in arrival order,
// and an aborted waiter leaves the queue without consuming a token. Each request's answer goes back through
// `onResult`, so refusals for the rate can bring the shared pace down.
import { ConfigError } from '../../errors.js';
import { classifyDriveError } from './retry.js';

/** How one paced request went, as far as the quota is concerned. */
export interface PaceResult {
  refused: boolean;
  /** Retry-After of a refusal, when Drive gave one. */
  retryAfterMs: number | null;
}

export interface PacerOptions {
  /** Requests per second; Infinity disables pacing. */
  tps: number;
  /** Bucket size; default max(1, tps) capped at 100. */
  burst?: number;
  /** Clock in ms; tests may inject one. */
  now?: () => number;
  /** Told how every paced request went (see paced()). */
  onResult?: (result: PaceResult) => void;
}

export interface Pacer {
  /** Resolve when the caller may send one request; reject with the abort reason when `signal` aborts. */
  take(signal?: AbortSignal): Promise<void>;
  /** Change the rate (a new share of the shared pace); hold every request until `resumeAt` (epoch ms) when given. */
  setRate(tps: number, resumeAt?: number): void;
  /** How a paced request went. */
  record(result: PaceResult): void;
  readonly tps: number;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

const defaultBurst = (tps: number): number => Math.min(100, Math.max(1, tps));

function checkTps(tps: number): void {
  if (!(tps > 0)) throw new ConfigError(`drive tps must be a positive number, got ${tps}`);
}

export function createPacer(options: PacerOptions): Pacer {
  checkTps(options.tps);
  const record = options.onResult ?? ((): void => undefined);
  let tps = options.tps;
  const fixedBurst = options.burst;
  let burst = fixedBurst ?? defaultBurst(tps);
  if (!(burst >= 1)) throw new ConfigError(`drive pacer burst must be at least 1, got ${burst}`);
  const now = options.now ?? (() => performance.now());
  let tokens = burst;
  let last = now();
  let resumeAt = 0;
  const queue: Waiter[] = [];
  let timer: NodeJS.Timeout | null = null;

  const refill = (): void => {
    const t = now();
    tokens = tps === Number.POSITIVE_INFINITY ? burst : Math.min(burst, tokens + ((t - last) / 1000) * tps);
    last = t;
  };

  const pump = (): void => {
    timer = null;
    const hold = resumeAt - Date.now();
    if (hold > 0 && queue.length > 0) {
      timer = setTimeout(pump, hold);
      return;
    }
    refill();
    while (queue.length > 0 && (tokens >= 1 || tps === Number.POSITIVE_INFINITY)) {
      const waiter = queue.shift();
      if (!waiter) break;
      tokens -= 1;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    if (queue.length > 0) {
      const waitMs = Math.max(1, Math.ceil(((1 - tokens) / tps) * 1000));
      timer = setTimeout(pump, waitMs);
    }
  };

  return {
    get tps() {
      return tps;
    },
    setRate(next, until = 0) {
      checkTps(next);
      refill();
      tps = next;
      burst = fixedBurst ?? defaultBurst(next);
      tokens = Math.min(tokens, burst);
      resumeAt = until;
      // The wait already scheduled was computed at the old rate.
      if (timer !== null) clearTimeout(timer);
      if (queue.length > 0) pump();
      else timer = null;
    },
    record,
    take(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      if (tps === Number.POSITIVE_INFINITY && resumeAt <= Date.now()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          signal,
          onAbort: () => {
            const i = queue.indexOf(waiter);
            if (i >= 0) queue.splice(i, 1);
            reject(signal?.reason as Error);
          },
        };
        signal?.addEventListener('abort', waiter.onAbort, { once: true });
        queue.push(waiter);
        if (timer === null) pump();
      });
    },
  };
}

/**
 * Take a token, send the request, and tell the pacer how it went: answered, or refused for the rate (403
 * rate-limit reasons, 429). Other failures say nothing about the quota. The error is rethrown as it came.
 */
export async function paced<T>(pacer: Pacer | undefined, signal: AbortSignal | undefined, send: () => Promise<T>): Promise<T> {
  if (!pacer) return send();
  await pacer.take(signal);
  let result: T;
  try {
    result = await send();
  } catch (err) {
    const error = classifyDriveError(err);
    if (error.code === 'rate-limited') pacer.record({ refused: true, retryAfterMs: error.retryAfterMs });
    else if (error.status !== null) pacer.record({ refused: false, retryAfterMs: null });
    throw err;
  }
  pacer.record({ refused: false, retryAfterMs: null });
  return result;
}
