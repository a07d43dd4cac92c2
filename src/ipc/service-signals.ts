// Which services the supervisor holds down (issue 20 point 5), as both sides of the protocol keep it: one
// AbortSignal per service, aborted when it goes down and replaced once it answers, so a retry's wait ends
// the moment the supervisor says so.

/** What code in the supervisor's process (the listing) asks of its outage watch; a child's loop has ServiceHealth. */
export interface OutageView {
  /** A request to `service` failed as unreachable: resolves true when the probe holds it down, false when it answered. */
  unreachable(service: string): Promise<boolean>;
  downSignal(service: string): AbortSignal;
  whenUp(service: string, signal: AbortSignal): Promise<void>;
}

export class ServiceSignals {
  private readonly controllers = new Map<string, AbortController>();
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Aborted while `service` is down; a signal taken while it is up aborts when it goes down. */
  downSignal(service: string): AbortSignal {
    let c = this.controllers.get(service);
    if (!c) {
      c = new AbortController();
      this.controllers.set(service, c);
    }
    return c.signal;
  }

  isDown(service: string): boolean {
    return this.controllers.get(service)?.signal.aborted === true;
  }

  /** True when this changed the state. */
  set(service: string, down: boolean): boolean {
    if (this.isDown(service) === down) return false;
    if (down) {
      this.downSignal(service);
      this.controllers.get(service)?.abort(new Error(`${service} is down`));
      return true;
    }
    this.controllers.delete(service);
    const waiting = this.waiters.get(service);
    this.waiters.delete(service);
    for (const wake of waiting ?? []) wake();
    return true;
  }

  /** Services down now. */
  down(): string[] {
    return [...this.controllers].filter(([, c]) => c.signal.aborted).map(([s]) => s);
  }

  /** Resolves once `service` is up (at once when it is); rejects with the reason when `signal` aborts first. */
  whenUp(service: string, signal: AbortSignal): Promise<void> {
    if (!this.isDown(service)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiting = this.waiters.get(service) ?? new Set<() => void>();
      this.waiters.set(service, waiting);
      const onAbort = (): void => {
        waiting.delete(wake);
        reject(signal.reason as Error);
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal.aborted) return onAbort();
      waiting.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
