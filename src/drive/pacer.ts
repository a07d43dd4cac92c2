// A token bucket that paces Drive API requests. Each process gets an equal share of --drive-tps; a short
// burst of up to `burst` requests is allowed, then requests are spaced 1/tps apart. Waiters are served in
// arrival order, and an aborted waiter leaves the queue without consuming a token.
import { ConfigError } from '../errors.js';

export interface PacerOptions {
  /** Requests per second; Infinity disables pacing. */
  tps: number;
  /** Bucket size; default max(1, tps) capped at 100. */
  burst?: number;
  /** Clock in ms; tests may inject one. */
  now?: () => number;
}

export interface Pacer {
  /** Resolve when the caller may send one request; reject with the abort reason when `signal` aborts. */
  take(signal?: AbortSignal): Promise<void>;
  readonly tps: number;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export function createPacer(options: PacerOptions): Pacer {
  const { tps } = options;
  if (!(tps > 0)) throw new ConfigError(`drive tps must be a positive number, got ${tps}`);
  if (tps === Number.POSITIVE_INFINITY) return { tps, take: (signal) => (signal?.throwIfAborted(), Promise.resolve()) };
  const burst = options.burst ?? Math.min(100, Math.max(1, tps));
  if (!(burst >= 1)) throw new ConfigError(`drive pacer burst must be at least 1, got ${burst}`);
  const now = options.now ?? (() => performance.now());
  let tokens = burst;
  let last = now();
  const queue: Waiter[] = [];
  let timer: NodeJS.Timeout | null = null;

  const refill = (): void => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * tps);
    last = t;
  };

  const pump = (): void => {
    timer = null;
    refill();
    while (queue.length > 0 && tokens >= 1) {
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
    tps,
    take(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
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
