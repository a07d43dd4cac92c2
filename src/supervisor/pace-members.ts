// Which subjects' paces each child is a member of (issue 23): a child joins a subject's pace just before it is
// sent that subject's first items, and leaves it as soon as it holds none of them (a result, a hand-back), so a
// pace's rate is shared only by the children copying that user's files now — not by every child that ever did.
// The child is told (pace-leave): the share it holds for that subject is no longer its own.
import { message } from '../ipc/protocol.js';
import type { PaceLeaveMessage, PaceMessage, WorkItem } from '../ipc/protocol.js';
import type { ChildHandle } from './child-handle.js';

/**
 * Rates shared by several processes, one per subject (whose quota an item's requests spend): each process is
 * pushed its share of a subject's rate before it holds that subject's items, and reports how its requests went.
 * The subject also keeps dispatch fair: batches take items round-robin across subjects (dispatcher.ts).
 */
export interface RateSharing {
  subjectOf(item: WorkItem): string;
  join(subject: string, id: string, apply: (ratePerSecond: number, resumeAt: number) => void): () => void;
  report(subject: string, answered: number, refused: number, retryAfterMs: number | null): void;
}

export class PaceMembers {
  /** Per child, the subjects' paces it is a member of, and how to leave each (bounded by children × the subjects they hold). */
  readonly #joined = new Map<number, Map<string, () => void>>();

  constructor(private readonly sharing: RateSharing) {}

  /** The child joins the pace of each subject in `items` it is not a member of: its share goes out before the batch (IPC keeps the order). */
  join(child: ChildHandle, items: readonly WorkItem[]): void {
    let joined = this.#joined.get(child.id);
    if (joined === undefined) {
      joined = new Map();
      this.#joined.set(child.id, joined);
    }
    for (const item of items) {
      const subject = this.sharing.subjectOf(item);
      if (joined.has(subject)) continue;
      // A terminating child may have closed its end already: a share sent then is an EPIPE warning, not news.
      joined.set(subject, this.sharing.join(subject, `child ${child.id}`, (ratePerSecond, resumeAt) => {
        if (child.state !== 'terminating') child.send(message<PaceMessage>({ kind: 'pace', subject, ratePerSecond, resumeAt }));
      }));
    }
  }

  /** `item` left the child (its result, or handed back): the child leaves that subject's pace if it holds no other item of it. */
  released(child: ChildHandle, item: WorkItem): void {
    const joined = this.#joined.get(child.id);
    const subject = this.sharing.subjectOf(item);
    const leave = joined?.get(subject);
    if (joined === undefined || leave === undefined) return;
    for (const f of child.inFlightItems()) if (this.sharing.subjectOf(f.item) === subject) return;
    joined.delete(subject);
    leave();
    if (child.state !== 'terminating') child.send(message<PaceLeaveMessage>({ kind: 'pace-leave', subject }));
  }

  /** The child is gone: it leaves every pace it was a member of. */
  exited(child: ChildHandle): void {
    for (const leave of this.#joined.get(child.id)?.values() ?? []) leave();
    this.#joined.delete(child.id);
  }
}
