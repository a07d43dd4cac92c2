// A value that is expensive to compute (journal counts scan every row: ~0.4 s at a million files) is
// recomputed at most every `minMs`, and never more often than 20× the time it took last, so a live display
// cannot keep the supervisor's event loop — which also serves IPC and health checks — busy.
export function throttled<T>(compute: () => T, minMs: number): () => T {
  let value: T | undefined;
  let nextAt = 0;
  return () => {
    const now = Date.now();
    if (value === undefined || now >= nextAt) {
      value = compute();
      const took = Date.now() - now;
      nextAt = Date.now() + Math.max(minMs, took * 20);
    }
    return value;
  };
}
