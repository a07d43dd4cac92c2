// The journal as the supervisor's WorkSource: pending rows become work items, outcomes become row states,
// checkpoints are committed as they arrive (a pod restart resumes from them).
import type { JsonObject, JsonValue } from '../ipc/json.js';
import type { ItemOutcome, WorkItem } from '../ipc/protocol.js';
import { isTransientFailure } from '../journal/failure-kind.js';
import type { Journal } from '../journal/journal.js';
import type { BufferEstimator, SourceVersion } from '../journal/types.js';
import type { WorkSource } from '../supervisor/work-source.js';
import type { JournalWriteGuard } from './journal-write-guard.js';

/** One drive's key range (an organisation run) and where the sweep through its pending rows has got to. */
interface DriveRange {
  prefix: string;
  end: string;
  cursor: string;
}

export class JournalWorkSource implements WorkSource {
  private listingDone = false;
  private readonly drives: DriveRange[];
  private nextDrive = 0;
  /** The last take() found nothing pending; cleared by anything that can make a row pending again. */
  private drained = false;
  private waiters: (() => void)[] = [];
  bytesDoneThisRun = 0;

  constructor(
    private readonly journal: Journal,
    private readonly estimate: BufferEstimator,
    /** Required: the run that owns it must hear of a full volume (the guard itself only stops writing). */
    private readonly guard: JournalWriteGuard,
    /**
     * An organisation run's drive key prefixes (each ends with '/'): taken in turn, so the queue holds every
     * drive's files and one giant Drive listed first does not starve the rest (issue 23). Else seq order.
     */
    drivePrefixes: readonly string[] = [],
  ) {
    // Every key under 'a/b/' sorts before 'a/b0' ('0' follows '/'), as in JournalReader.keyRange.
    this.drives = drivePrefixes.map((prefix) => ({ prefix, end: `${prefix.replace(/\/$/, '')}0`, cursor: prefix }));
  }

  /** The listing wrote a page (or finished): items may be pending now. */
  notify(listingDone = false): void {
    if (listingDone) this.listingDone = true;
    this.drained = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  take(max: number): WorkItem[] {
    // Taking marks rows in-progress (a write): on a full volume nothing more is handed out.
    const items = this.guard.run(() => this.takeFair(max), []);
    this.drained = items.length === 0;
    return items;
  }

  /** Each drive's share of `max` from its range, starting with the next drive in turn; the rest in seq order. */
  private takeFair(max: number): WorkItem[] {
    if (this.drives.length < 2) return this.journal.takePending(max, this.estimate);
    const share = Math.ceil(max / this.drives.length);
    const items: WorkItem[] = [];
    for (let n = 0; n < this.drives.length && items.length < max; n++) {
      const drive = this.drives[(this.nextDrive + n) % this.drives.length];
      if (drive === undefined) break;
      const room = Math.min(share, max - items.length);
      const got = this.journal.takePendingIn(drive.cursor, drive.end, room, this.estimate);
      const lastKey = got.at(-1)?.payload.key;
      // Fewer than asked: the sweep reached the drive's end; the next starts over (rows requeued behind the cursor).
      drive.cursor = got.length < room || typeof lastKey !== 'string' ? drive.prefix : lastKey;
      items.push(...got);
    }
    this.nextDrive = (this.nextDrive + 1) % this.drives.length;
    // Whatever the ranges did not fill (a drive's rows behind its cursor, keys outside every range) in seq order.
    if (items.length < max) items.push(...this.journal.takePending(max - items.length, this.estimate));
    return items;
  }

  isExhausted(): boolean {
    return this.listingDone && this.drained;
  }

  waitForWork(): Promise<void> {
    if (!this.drained || this.listingDone) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  settle(item: WorkItem, outcome: ItemOutcome): void {
    this.guard.run(() => this.record(item, outcome), undefined);
  }

  private record(item: WorkItem, outcome: ItemOutcome): void {
    switch (outcome.status) {
      case 'done': {
        const md5 = typeof outcome.detail.md5 === 'string' ? outcome.detail.md5 : null;
        const etag = typeof outcome.detail.etag === 'string' ? outcome.detail.etag : null;
        if (this.journal.markDone(item.id, { bytes: outcome.bytes, md5, etag, source: sourceVersionOf(outcome.detail.source) })) this.bytesDoneThisRun += outcome.bytes;
        // false: the file changed on Drive while it was copied; the row is pending again.
        else this.notify();
        return;
      }
      case 'skipped':
        this.journal.markSkipped(item.id, outcome.reason);
        return;
      case 'failed':
        this.journal.markFailed(item.id, `${outcome.error.code}: ${outcome.error.message}`, isTransientFailure(outcome.error));
        return;
    }
  }

  requeue(item: WorkItem, options: { countAttempt: boolean; reason: string }): void {
    this.guard.run(() => this.journal.requeue(item.id, options), undefined);
    this.notify();
  }

  checkpoint(item: WorkItem, state: JsonObject): void {
    this.guard.run(() => {
      if (state.cleared === true) this.journal.clearCheckpoint(item.id);
      else this.journal.saveCheckpoint(item.id, state);
    }, undefined);
  }
}

/** The version a child copied instead of the listed one (copy/copy-item.ts sourceVersion), if it says so. */
function sourceVersionOf(v: JsonValue | undefined): SourceVersion | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const { size, md5, modifiedTime } = v;
  if (typeof modifiedTime !== 'string') return undefined;
  if (size !== null && typeof size !== 'number') return undefined;
  if (md5 !== null && typeof md5 !== 'string') return undefined;
  return { size, md5, modifiedTime };
}
