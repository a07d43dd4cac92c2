// Waits with a bound: for an event (within) or a condition another process changes (until). Either fails the
// test when it does not happen in time instead of hanging it; neither is a sleep standing in for a wait.

/** `promise`, or a rejection naming `what` when it has not settled after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once `cond` holds, checked every `everyMs`; throws naming `what` (a function: evaluated then, so it
 * can carry the output so far) after `timeoutMs`. For state with no event to wait on: a journal another
 * process writes, a scrape, a process tree.
 */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string), everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
