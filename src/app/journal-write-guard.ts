// Every journal write of a run goes through here, so a full volume (journal/disk-full.ts) stops the run once
// instead of throwing out of an IPC handler or a timer. After the first refusal no further write is tried:
// rows a child held stay in-progress in the file and the next run's recoverInterrupted() puts them back.
import type { JournalFullError } from '../errors.js';
import { isDiskFull, journalFull } from '../journal/disk-full.js';

export class JournalWriteGuard {
  private full: JournalFullError | null = null;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly path: string) {}

  /** The first refusal, or null while the volume has taken every write. */
  get failure(): JournalFullError | null {
    return this.full;
  }

  /** Called once, at the first refusal. */
  onFull(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** `write()`, or `fallback` once the volume is full; any other error is thrown as it is. */
  run<T>(write: () => T, fallback: T): T {
    if (this.full !== null) return fallback;
    try {
      return write();
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.full = journalFull(this.path, err);
      for (const l of this.listeners) l();
      return fallback;
    }
  }
}
