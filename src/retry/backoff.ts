// The one backoff rule every retry uses (Drive's withRetry, the copy's attempts): exponential with full jitter
// (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), capped at 32 s as Drive's guide
// suggests (https://developers.google.com/workspace/drive/api/guides/limits); a Retry-After, when given, wins.

const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface BackoffOptions {
  /** First backoff ceiling in ms; doubles per retry. */
  baseMs: number;
  /** Backoff ceiling in ms; default 32000. */
  capMs?: number;
  /** Source of randomness in [0, 1); tests may pin it. */
  random?: () => number;
}

/** The wait before retry number `attempt` (1-based): the service's Retry-After if given, else full jitter. */
export function backoffMs(attempt: number, error: { readonly retryAfterMs: number | null }, options: BackoffOptions): number {
  const cap = options.capMs ?? 32_000;
  // Retry-After is honoured, but bounded so that a bogus header cannot park a worker for hours.
  if (error.retryAfterMs !== null) return Math.min(error.retryAfterMs, MAX_RETRY_AFTER_MS);
  const ceiling = Math.min(cap, options.baseMs * 2 ** (attempt - 1));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}
