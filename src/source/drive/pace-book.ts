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

  /** All subjects together: rates and counts summed, the ceiling each subject's (the live display's row). */
  total(): { subjects: number; rate: number; ceiling: number; answered: number; refused: number } {
    let rate = 0;
    let answered = 0;
    let refused = 0;
    for (const p of this.#paces.values()) {
      rate += p.rate;
      answered += p.stats.answered;
      refused += p.stats.refused;
    }
    return { subjects: this.#paces.size, rate, ceiling: this.ceiling, answered, refused };
  }

  /** Each subject's rate and refusals now (/metrics). */
  perSubject(): { subject: string; rate: number; refused: number }[] {
    return this.entries().map(([subject, p]) => ({ subject, rate: p.rate, refused: p.stats.refused }));
  }

  /** The report's figures: the one pace of a one-drive run (else the sum, ceilings summed too), and each subject's. */
  summary(): { total: PaceSummary; bySubject: Record<string, PaceSummary> } {
    const bySubject: Record<string, PaceSummary> = {};
    for (const [subject, pace] of this.#paces) bySubject[subject] = pace.summary();
    return { total: this.#paces.get(OWN_SUBJECT)?.summary() ?? sumSummaries(Object.values(bySubject), this.ceiling), bySubject };
  }
}

function sumSummaries(all: readonly PaceSummary[], ceiling: number): PaceSummary {
  const sum = (f: (s: PaceSummary) => number): number => Number(all.reduce((a, s) => a + f(s), 0).toFixed(2));
  return {
    ceiling: ceiling * Math.max(1, all.length),
    rate: sum((s) => s.rate),
    answered: sum((s) => s.answered),
    refused: sum((s) => s.refused),
    cuts: sum((s) => s.cuts),
    raises: sum((s) => s.raises),
    lowestRate: sum((s) => s.lowestRate),
    highestRate: sum((s) => s.highestRate),
  };
}
