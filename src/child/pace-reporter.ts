// Batches the child's paced-request outcomes into pace-report messages: answers at most every
// REPORT_INTERVAL_MS (a message per request was a tenth of a child's CPU on small files, see child-runtime.ts
// on progress), refusals at once, since the shared pace must come down before more of them pile up.
import { message } from '../ipc/protocol.js';
import type { PaceReportMessage } from '../ipc/protocol.js';

export const REPORT_INTERVAL_MS = 250;

export class PaceReporter {
  #answered = 0;
  #refused = 0;
  #retryAfterMs: number | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly send: (msg: PaceReportMessage) => void) {}

  record(refused: boolean, retryAfterMs: number | null): void {
    if (refused) {
      this.#refused++;
      if (retryAfterMs !== null) this.#retryAfterMs = Math.max(this.#retryAfterMs ?? 0, retryAfterMs);
      this.flush();
      return;
    }
    this.#answered++;
    this.#timer ??= setTimeout(() => this.flush(), REPORT_INTERVAL_MS).unref();
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#answered === 0 && this.#refused === 0) return;
    this.send(message<PaceReportMessage>({ kind: 'pace-report', answered: this.#answered, refused: this.#refused, retryAfterMs: this.#retryAfterMs }));
    this.#answered = 0;
    this.#refused = 0;
    this.#retryAfterMs = null;
  }
}
