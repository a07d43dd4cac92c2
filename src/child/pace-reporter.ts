// Batches the child's paced-request outcomes into pace-report messages, one per subject (each user's pace is
// its own, issue 23): answers at most every REPORT_INTERVAL_MS (a message per request was a tenth of a child's
// CPU on small files, see child-runtime.ts on progress), refusals at once, since that subject's pace must come
// down before more of them pile up.
import { message } from '../ipc/protocol.js';
import type { PaceReportMessage } from '../ipc/protocol.js';

export const REPORT_INTERVAL_MS = 250;

interface Counts {
  answered: number;
  refused: number;
  retryAfterMs: number | null;
}

export class PaceReporter {
  // Bounded by the subjects this child has met; emptied at each flush.
  readonly #counts = new Map<string, Counts>();
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly send: (msg: PaceReportMessage) => void) {}

  record(subject: string, refused: boolean, retryAfterMs: number | null): void {
    let c = this.#counts.get(subject);
    if (c === undefined) {
      c = { answered: 0, refused: 0, retryAfterMs: null };
      this.#counts.set(subject, c);
    }
    if (refused) {
      c.refused++;
      if (retryAfterMs !== null) c.retryAfterMs = Math.max(c.retryAfterMs ?? 0, retryAfterMs);
      this.flush();
      return;
    }
    c.answered++;
    this.#timer ??= setTimeout(() => this.flush(), REPORT_INTERVAL_MS).unref();
  }

  /** Send what was counted: for every subject, or only for `subject` (the others keep their timer). */
  flush(subject?: string): void {
    if (subject !== undefined) {
      const c = this.#counts.get(subject);
      this.#counts.delete(subject);
      if (c !== undefined) this.#send(subject, c);
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const [s, c] of this.#counts) this.#send(s, c);
    this.#counts.clear();
  }

  #send(subject: string, c: Counts): void {
    if (c.answered === 0 && c.refused === 0) return;
    this.send(message<PaceReportMessage>({ kind: 'pace-report', subject, answered: c.answered, refused: c.refused, retryAfterMs: c.retryAfterMs }));
  }
}
