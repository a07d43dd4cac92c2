// The one pace per Drive quota (one user's), kept by the supervisor and shared by the lister and every
// child: each gets an equal share of the rate, re-sent when the rate or the number of sharers changes, and
// reports back how its requests went. The rate adapts without being told the quota (docs/design.md, "Drive
// pacing"): it grows while requests are answered and the rate is used, and is cut on refusals for the rate
// (403 rate-limit reasons, 429), with a Retry-After holding everyone until it has passed. --drive-tps is the
// ceiling.
import { ConfigError } from '../../errors.js';
import { createPacer } from './pacer.js';
import type { Pacer } from './pacer.js';

export interface SharedPaceOptions {
  /** The ceiling (--drive-tps): never faster than this. */
  ceiling: number;
  /** Where the rate starts; default a quarter of the ceiling, at least min(ceiling, 10). */
  initial?: number;
  /** Evaluation period for growth, and the hold after a cut, in ms (default 1000). */
  tickMs?: number;
  /** Clock in ms for the rule; tests may inject one (Retry-After holds use the wall clock, shared by processes). */
  now?: () => number;
  /** Called whenever the total rate changes (metrics). */
  onChange?: (rate: number) => void;
}

export interface SharedPaceStats {
  answered: number;
  refused: number;
  cuts: number;
  raises: number;
  /** The lowest and highest the rate has been. */
  lowestRate: number;
  highestRate: number;
}

/** Apply a share: requests per second, and a wall-clock time (ms) before which nobody sends (0: none). */
export type ApplyShare = (ratePerSecond: number, resumeAt: number) => void;

/** The rule's constants (docs/design.md says why these). */
export const PACE_RULE = {
  /** Start-up growth per tick, until the first refusal. */
  slowStart: 1.5,
  /** Growth per tick after that: +2 % (at least +0.5/s). */
  increase: 0.02,
  minIncrease: 0.5,
  /** A refusal multiplies the rate by this, or by the share answered in the tick when lower (not below half). */
  decrease: 0.85,
  deepestCut: 0.5,
  /** Grow only when at least this fraction of the rate was used in the tick: the rate, not the work, held requests back. */
  used: 0.8,
  /** Longest Retry-After honoured for everyone. */
  maxHoldMs: 60_000,
} as const;

export class SharedPace {
  readonly ceiling: number;
  readonly floor: number;
  readonly stats: SharedPaceStats;
  #rate: number;
  #slowStart = true;
  #resumeAt = 0;
  #lastCut = Number.NEGATIVE_INFINITY;
  #windowStart: number;
  #windowUsed = 0;
  #windowRefused = 0;
  #timer: NodeJS.Timeout | null = null;
  readonly #sharers = new Map<string, ApplyShare>();
  readonly #tickMs: number;
  readonly #now: () => number;
  readonly #onChange: (rate: number) => void;

  constructor(options: SharedPaceOptions) {
    if (!(options.ceiling > 0)) throw new ConfigError(`--drive-tps must be a positive number, got ${options.ceiling}`);
    this.ceiling = options.ceiling;
    this.floor = Math.min(options.ceiling, 0.5);
    this.#rate = Math.min(options.ceiling, options.initial ?? Math.max(10, options.ceiling / 4));
    this.stats = { answered: 0, refused: 0, cuts: 0, raises: 0, lowestRate: this.#rate, highestRate: this.#rate };
    this.#tickMs = options.tickMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#onChange = options.onChange ?? ((): void => undefined);
    this.#windowStart = this.#now();
  }

  get rate(): number {
    return this.#rate;
  }

  /** How many share the rate now (the lister, and the children holding this subject's items). */
  get members(): number {
    return this.#sharers.size;
  }

  /** One sharer's rate now. */
  get share(): number {
    return this.#rate / Math.max(1, this.#sharers.size);
  }

  /** Start growing on a timer (unref'd); stop() ends it. */
  start(): void {
    this.#timer ??= setInterval(() => this.tick(), this.#tickMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Add a sharer (told its share at once and on every change); returns how to leave. */
  join(id: string, apply: ApplyShare): () => void {
    this.#sharers.set(id, apply);
    this.#broadcast();
    return () => {
      if (this.#sharers.delete(id)) this.#broadcast();
    };
  }

  /** Requests answered and refused for the rate since a sharer's last report. */
  report(answered: number, refused: number, retryAfterMs: number | null): void {
    this.stats.answered += answered;
    this.stats.refused += refused;
    this.#windowUsed += answered + refused;
    this.#windowRefused += refused;
    if (refused === 0) return;
    let changed = false;
    if (retryAfterMs !== null && retryAfterMs > 0) {
      const until = Date.now() + Math.min(retryAfterMs, PACE_RULE.maxHoldMs);
      if (until > this.#resumeAt) {
        this.#resumeAt = until;
        changed = true;
      }
    }
    // One cut per hold: refusals of requests sent before the last cut are the same overshoot.
    const t = this.#now();
    if (t - this.#lastCut >= this.#tickMs) {
      this.#lastCut = t;
      this.#slowStart = false;
      // Far over the quota most requests are refused: the share answered in this tick says how far to come down.
      const answeredShare = (this.#windowUsed - this.#windowRefused) / this.#windowUsed;
      const factor = Math.max(PACE_RULE.deepestCut, Math.min(PACE_RULE.decrease, answeredShare));
      this.#rate = Math.max(this.floor, this.#rate * factor);
      this.stats.cuts++;
      changed = true;
    }
    if (changed) this.#changed();
  }

  /** The growth step: once per tick, when the last tick had no refusal, none was cut, and the rate was used. */
  tick(): void {
    const t = this.#now();
    const elapsed = (t - this.#windowStart) / 1000;
    const used = this.#windowUsed;
    const refused = this.#windowRefused;
    this.#windowStart = t;
    this.#windowUsed = 0;
    this.#windowRefused = 0;
    if (refused > 0 || t - this.#lastCut < this.#tickMs || this.#rate >= this.ceiling) return;
    if (used < PACE_RULE.used * this.#rate * elapsed) return;
    const next = this.#slowStart ? this.#rate * PACE_RULE.slowStart : this.#rate + Math.max(PACE_RULE.minIncrease, this.#rate * PACE_RULE.increase);
    this.#rate = Math.min(this.ceiling, next);
    this.stats.raises++;
    this.#changed();
  }

  /** The figures for the run's report. */
  summary(): SharedPaceStats & { ceiling: number; rate: number } {
    return { ceiling: this.ceiling, rate: Number(this.#rate.toFixed(2)), ...this.stats, lowestRate: Number(this.stats.lowestRate.toFixed(2)), highestRate: Number(this.stats.highestRate.toFixed(2)) };
  }

  #changed(): void {
    this.stats.lowestRate = Math.min(this.stats.lowestRate, this.#rate);
    this.stats.highestRate = Math.max(this.stats.highestRate, this.#rate);
    this.#onChange(this.#rate);
    this.#broadcast();
  }

  #broadcast(): void {
    const share = this.share;
    for (const apply of this.#sharers.values()) apply(share, this.#resumeAt);
  }
}

/** A pacer in this process that takes a share of `pace` and reports to it (the lister's). */
export function joinPacer(pace: SharedPace, id: string): { pacer: Pacer; leave: () => void } {
  const pacer = createPacer({ tps: pace.share, onResult: (r) => pace.report(r.refused ? 0 : 1, r.refused ? 1 : 0, r.retryAfterMs) });
  const leave = pace.join(id, (rate, resumeAt) => pacer.setRate(rate, resumeAt));
  return { pacer, leave };
}
