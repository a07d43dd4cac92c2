import type { ItemOutcome, WorkItem } from '../ipc/protocol.js';
import type { SerializedError } from '../ipc/serialized-error.js';
import { ServiceSignals } from '../ipc/service-signals.js';
import type { Logger } from '../observability/logger.js';

export interface OutageOptions {
  /** The service a failure says is unreachable (refused, reset, timeout, 5xx), or null for any other failure. */
  serviceOf: (error: SerializedError) => string | null;
  /** A cheap request to `service`: resolves true when it answers. */
  probe: (service: string) => Promise<boolean>;
  probeIntervalMs: number;
  /** Unreachable this long: the run stops (outage-stopped), every unfinished file pending. */
  timeoutMs: number;
}

/** A service that stayed unreachable past the outage timeout. */
export interface OutageStop {
  service: string;
  sinceMs: number;
}

export type FailedOutcome = ItemOutcome & { status: 'failed' };

/** What the watch asks of the supervisor; it never touches children or the queue itself. */
export interface OutageHooks {
  requeueUncounted: (item: WorkItem, reason: string) => void;
  /** The service answered: the failure was the file's own and takes the usual path. */
  failedOnItsOwn: (item: WorkItem, outcome: FailedOutcome) => void;
  /** `since`: when the first failure blaming it was seen (epoch ms). */
  changed: (service: string, down: boolean, since: number) => void;
  /** A probe was answered and its held files dealt with: dispatch may go on. */
  answered: () => void;
  stop: (stop: OutageStop) => void;
}

interface ServiceState {
  down: boolean;
  since: number;
  timer: NodeJS.Timeout | null;
  /** The first probe's answer: true when it found the service down. */
  verdict: Promise<boolean>;
  decide: (down: boolean) => void;
}

/**
 * Decides, by probing, whether a failure blaming a service is the file's or the service's: no answer means an
 * outage (every such file back uncounted, dispatch paused until the service answers or the timeout passes).
 */
export class OutageWatch {
  private readonly services = new Map<string, ServiceState>();
  /** Items whose failure waits on a probe of the service it blamed. */
  private readonly held = new Map<string, { item: WorkItem; outcome: FailedOutcome }[]>();
  /** When each service last answered a probe: early reports within an interval of it start none. */
  private readonly answeredAt = new Map<string, number>();
  /** Down services as signals, for the listing's retries (children get the same through service-state). */
  readonly signals = new ServiceSignals();
  private closed = false;

  constructor(
    private readonly options: OutageOptions,
    private readonly hooks: OutageHooks,
    private readonly log: Logger,
  ) {}

  /** True when the failure was taken over (held for a probe or requeued); false: not an outage class. */
  take(item: WorkItem, outcome: FailedOutcome): boolean {
    const service = this.options.serviceOf(outcome.error);
    if (service === null) return false;
    const known = this.services.get(service);
    if (known?.down) {
      this.hooks.requeueUncounted(item, `${service} unreachable`);
      return true;
    }
    const held = this.held.get(service) ?? [];
    held.push({ item, outcome });
    this.held.set(service, held);
    if (!known) this.startProbing(service); // else a probe is already on its way
    return true;
  }

  private startProbing(service: string): ServiceState {
    let decide: (down: boolean) => void = () => undefined;
    const verdict = new Promise<boolean>((resolve) => (decide = resolve));
    const state: ServiceState = { down: false, since: Date.now(), timer: null, verdict, decide };
    this.services.set(service, state);
    void this.probe(service);
    return state;
  }

  /**
   * A child's (or the listing's) request to `service` failed as unreachable while it still retries: probe now
   * rather than after its retries (minutes of backoff). At most one probe per interval while it answers.
   * Resolves true when the service is held down, false when it answered (the failure is the request's own).
   */
  report(service: string): Promise<boolean> {
    const known = this.services.get(service);
    if (known) return known.down ? Promise.resolve(true) : known.verdict;
    if (this.closed || Date.now() - (this.answeredAt.get(service) ?? -Infinity) < this.options.probeIntervalMs) return Promise.resolve(false);
    return this.startProbing(service).verdict;
  }

  /** Services down now. */
  downServices(): string[] {
    return this.signals.down();
  }

  /** A service is known down: dispatch waits. */
  get active(): boolean {
    for (const s of this.services.values()) if (s.down) return true;
    return false;
  }

  get holding(): boolean {
    return this.held.size > 0;
  }

  /** The run is stopping: no more probes, every held file back uncounted. */
  close(reason: string): void {
    this.closed = true;
    for (const s of this.services.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.decide(false);
    }
    for (const list of this.held.values()) for (const h of list) this.hooks.requeueUncounted(h.item, reason);
    this.held.clear();
  }

  private async probe(service: string): Promise<void> {
    const state = this.services.get(service);
    if (!state || this.closed) return;
    const up = await this.options.probe(service).catch(() => false);
    if (this.closed) return;
    state.decide(!up);
    const held = this.held.get(service) ?? [];
    this.held.delete(service);
    if (up) {
      this.services.delete(service);
      this.answeredAt.set(service, Date.now());
      this.signals.set(service, false);
      if (state.down) {
        this.log.warn({ service, downMs: Date.now() - state.since }, `${service} answers again: dispatch resumed`);
        this.hooks.changed(service, false, state.since);
      }
      for (const h of held) this.hooks.failedOnItsOwn(h.item, h.outcome);
      this.hooks.answered();
      return;
    }
    for (const h of held) this.hooks.requeueUncounted(h.item, `${service} unreachable`);
    if (!state.down) {
      state.down = true;
      this.signals.set(service, true);
      this.log.error(
        { service, timeoutS: Math.round(this.options.timeoutMs / 1000) },
        `${service} is unreachable: dispatch paused, its files requeued without counting an attempt; probing until it answers`,
      );
      this.hooks.changed(service, true, state.since);
    }
    const downMs = Date.now() - state.since;
    if (downMs >= this.options.timeoutMs) {
      this.hooks.stop({ service, sinceMs: downMs });
      return;
    }
    state.timer = setTimeout(() => void this.probe(service), Math.min(this.options.probeIntervalMs, this.options.timeoutMs - downMs));
  }
}
