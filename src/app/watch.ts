// `run --watch` (issue 22): delta passes one after another until SIGTERM/SIGINT. Between passes the process
// waits --watch-interval-s, keeps the journal's lease renewed and stays ready (/readyz).
import { LEASE_HEARTBEAT_MS } from '../journal/lease.js';

/** Wait `seconds`, or until SIGTERM/SIGINT (returned); `renew` keeps the lease meanwhile. */
export function waitBetweenPasses(seconds: number, renew: () => void): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    const heartbeat = setInterval(renew, LEASE_HEARTBEAT_MS);
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
