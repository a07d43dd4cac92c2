// `run --watch` (issue 22): delta passes one after another until SIGTERM/SIGINT. Between passes the process
// waits --watch-interval-s, keeps the journal's lease renewed and stays ready (/readyz).
import { leaseHeartbeatMs } from '../journal/lease.js';

/** Wait `seconds`, or until SIGTERM/SIGINT (returned); `renew` keeps the lease meanwhile. */
export function waitBetweenPasses(seconds: number, renew: () => void): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    const heartbeat = setInterval(renew, leaseHeartbeatMs());
    const done = (signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      clearInterval(heartbeat);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    const onSignal = (signal: NodeJS.Signals): void => done(signal);
    const timer = setTimeout(() => done(null), seconds * 1000);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * Under --watch, SIGTERM/SIGINT are caught for the whole loop: a signal that lands between a pass's own
 * handlers and the wait (while the pass writes its report) must end the loop with 143/130, not kill the process.
 */
export function catchWatchSignals(): { readonly signal: NodeJS.Signals | null; dispose(): void } {
  let signal: NodeJS.Signals | null = null;
  const note = (sig: NodeJS.Signals): void => void (signal ??= sig);
  process.on('SIGTERM', note);
  process.on('SIGINT', note);
  return {
    get signal() {
      return signal;
    },
    dispose: () => {
      process.off('SIGTERM', note);
      process.off('SIGINT', note);
    },
  };
}
