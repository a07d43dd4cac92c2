// Drive's per-user request quota, emulated: one token bucket per user (the identity the request's token
// stands for). A request beyond it is refused the way Drive refuses it — 403 userRateLimitExceeded in the
// usageLimits domain (https://developers.google.com/workspace/drive/api/guides/limits) — or, as an option,
// 429 with a Retry-After.

export interface QuotaOptions {
  /** Requests per second each user may make. */
  requestsPerSecond: number;
  /** Users whose quota differs from requestsPerSecond (an organisation's project may grant some more). */
  usersPerSecond?: Record<string, number>;
  /** Bucket size (a burst a user may make at once); default one second's worth. */
  burst?: number;
  /** '403': userRateLimitExceeded as Drive answers (default); '429': Too Many Requests with Retry-After. */
  refusal?: '403' | '429';
  /** Retry-After of a 429, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** Clock in ms; tests may inject one. */
  now?: () => number;
}

export interface QuotaStats {
  admitted: number;
  refused: number;
  refusedByUser: Map<string, number>;
}

export interface QuotaRefusal {
  status: 403 | 429;
  reason: 'userRateLimitExceeded' | 'rateLimitExceeded';
  message: string;
  retryAfter?: string;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function checkQuotaOptions(o: QuotaOptions): void {
  if (!(o.requestsPerSecond > 0)) throw new RangeError(`quota.requestsPerSecond must be a positive number, got ${o.requestsPerSecond}`);
  for (const [user, rps] of Object.entries(o.usersPerSecond ?? {})) if (!(rps > 0)) throw new RangeError(`quota.usersPerSecond[${user}] must be a positive number, got ${rps}`);
  if (o.burst !== undefined && !(o.burst >= 1)) throw new RangeError(`quota.burst must be at least 1, got ${o.burst}`);
  if (o.retryAfterSeconds !== undefined && !(o.retryAfterSeconds >= 0)) {
    throw new RangeError(`quota.retryAfterSeconds must be a non-negative number, got ${o.retryAfterSeconds}`);
  }
}

export class UserQuota {
  readonly stats: QuotaStats = { admitted: 0, refused: 0, refusedByUser: new Map() };
  readonly #buckets = new Map<string, Bucket>();
  #options: QuotaOptions | null = null;

  /** No quota (null) admits everything. */
  constructor(options: QuotaOptions | null = null) {
    this.set(options);
  }

  get options(): Readonly<QuotaOptions> | null {
    return this.#options;
  }

  /** Change the quota (buckets keep what they hold); null switches it off. */
  set(options: QuotaOptions | null): void {
    if (options !== null) checkQuotaOptions(options);
    this.#options = options === null ? null : { ...options };
  }

  /** Take one request from `user`'s bucket: null when admitted, else how to refuse it. */
  take(user: string): QuotaRefusal | null {
    const o = this.#options;
    if (o === null) return null;
    const now = (o.now ?? (() => performance.now()))();
    const rps = o.usersPerSecond?.[user] ?? o.requestsPerSecond;
    const burst = o.burst ?? Math.max(1, rps);
    const bucket = this.#buckets.get(user) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rps);
    bucket.at = now;
    this.#buckets.set(user, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.stats.admitted++;
      return null;
    }
    this.stats.refused++;
    this.stats.refusedByUser.set(user, (this.stats.refusedByUser.get(user) ?? 0) + 1);
    if (o.refusal === '429') {
      return { status: 429, reason: 'rateLimitExceeded', message: 'Too Many Requests', retryAfter: String(o.retryAfterSeconds ?? 1) };
    }
    // Drive's own wording for this reason.
    return { status: 403, reason: 'userRateLimitExceeded', message: 'User Rate Limit Exceeded' };
  }
}
