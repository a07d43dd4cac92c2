// One adaptive pace per Drive user (issue 23): Drive's quota is per user, so an organisation run keeps a
// SharedPace for each subject it reads as, created on first use with the --drive-tps ceiling, and a refusal
// cuts only that subject's rate. A shared drive is read as one of its organizers, so it spends (and paces by)
// that organizer's quota. A one-drive run has one subject, the run's own identity (OWN_SUBJECT): one pace.
// Bounded: one pace per subject, and the subjects are the run's resolved sources (org-sources.ts), fixed
// before the listing starts.
import type { JsonObject } from '../../ipc/json.js';
import { SharedPace } from './shared-pace.js';
import type { ApplyShare, SharedPaceStats } from './shared-pace.js';

/** The subject of items without one: the run's own credentials (a one-drive run). */
export const OWN_SUBJECT = '';

/** The subject whose quota an item's requests spend: the user its payload says it is read as. */
export function paceSubjectOf(payload: JsonObject): string {
  return typeof payload.subject === 'string' ? payload.subject : OWN_SUBJECT;
}

export type PaceSummary = SharedPaceStats & { ceiling: number; rate: number };

/**
 * All subjects together, what adds up across them: the rates now, requests answered and refused, cuts and
 * raises. Each subject's lowest and highest rate do not add up to anything, so they stay each subject's.
 */
export interface PaceTotal {
  subjects: number;
  /** Each subject's (--drive-tps): every user has a quota of its own. */
  ceiling: number;
  rate: number;
  answered: number;
  refused: number;
  cuts: number;
  raises: number;
}

export class PaceBook {
  readonly ceiling: number;
  readonly #paces = new Map<string, SharedPace>();
  #started = false;

  constructor(ceiling: number) {
    this.ceiling = ceiling;
  }

  /** The subject's pace, created (and started, when the book is) on first use. */
  pace(subject: string): SharedPace {
    let pace = this.#paces.get(subject);
    if (pace === undefined) {
      pace = new SharedPace({ ceiling: this.ceiling });
      this.#paces.set(subject, pace);
      if (this.#started) pace.start();
    }
    return pace;
  }

  join(subject: string, id: string, apply: ApplyShare): () => void {
    return this.pace(subject).join(id, apply);
  }

  /** How many share the subject's pace now: 0 for a subject never used. */
  members(subject: string): number {
    return this.#paces.get(subject)?.members ?? 0;
  }

  report(subject: string, answered: number, refused: number, retryAfterMs: number | null): void {
    this.pace(subject).report(answered, refused, retryAfterMs);
  }

  start(): void {
    this.#started = true;
    for (const pace of this.#paces.values()) pace.start();
  }

  stop(): void {
    this.#started = false;
    for (const pace of this.#paces.values()) pace.stop();
  }

  /** Each subject's pace, in the order first used. */
  entries(): [string, SharedPace][] {
    return [...this.#paces.entries()];
  }

  /** All subjects together (the live display's row, an organisation run's report): see PaceTotal. */
  total(): PaceTotal {
    const t: PaceTotal = { subjects: this.#paces.size, ceiling: this.ceiling, rate: 0, answered: 0, refused: 0, cuts: 0, raises: 0 };
    for (const p of this.#paces.values()) {
      t.rate += p.rate;
      t.answered += p.stats.answered;
      t.refused += p.stats.refused;
      t.cuts += p.stats.cuts;
      t.raises += p.stats.raises;
    }
    return t;
  }

  /** Each subject's rate and refusals now (/metrics). */
  perSubject(): { subject: string; rate: number; refused: number }[] {
    return this.entries().map(([subject, p]) => ({ subject, rate: p.rate, refused: p.stats.refused }));
  }

  /** The report's figures: the one pace of a one-drive run (else the subjects' total), and each subject's. */
  summary(): { total: PaceSummary | PaceTotal; bySubject: Record<string, PaceSummary> } {
    const bySubject: Record<string, PaceSummary> = {};
    for (const [subject, pace] of this.#paces) bySubject[subject] = pace.summary();
    const total = this.total();
    return { total: this.#paces.get(OWN_SUBJECT)?.summary() ?? { ...total, rate: Number(total.rate.toFixed(2)) }, bySubject };
  }
}
