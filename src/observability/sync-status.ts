// Where the incremental sync stands (issue 22), for /metrics and the progress display: the lag, the files a
// pass still has to apply, and the last completed pass's counts. The lag is measured from the instant the
// last completed pass read Drive (its start token or its changes): everything changed before it is in S3.
// See docs/operations.md "Delta passes".

export type PassKind = 'full' | 'delta';

export interface PassCounts {
  new: number;
  changed: number;
  moved: number;
  deleted: number;
}

export interface SyncView {
  /** The pass running now, or null between passes (--watch). */
  running: PassKind | null;
  /** Seconds since the last completed pass read Drive; null before any pass completed on this journal. */
  lagS: number | null;
  /** Files not yet applied (pending or in flight in the journal): the running pass's, or what the last one left. */
  pending: number;
  last: ({ kind: PassKind } & PassCounts) | null;
  passes: Record<PassKind, number>;
}

export class SyncStatus {
  running: PassKind | null = null;
  /** Epoch ms the last completed pass read Drive at (journal meta `synced_at`). */
  syncedAt: number | null = null;
  last: ({ kind: PassKind } & PassCounts) | null = null;
  readonly passes: Record<PassKind, number> = { full: 0, delta: 0 };
  /** Files the running pass has still to apply (throttled journal counts, set by each pass). */
  pendingFiles: () => number = () => 0;
  #pendingBetween = 0;

  constructor(readonly watchIntervalS: number) {}

  passCompleted(kind: PassKind, readAt: number, counts: PassCounts): void {
    this.passes[kind]++;
    this.syncedAt = readAt;
    this.last = { kind, ...counts };
  }

  /** A pass ended (completed or not): what it left unapplied stays the figure until the next pass starts. */
  passEnded(unapplied: number): void {
    this.running = null;
    this.#pendingBetween = unapplied;
  }

  view(now = Date.now()): SyncView {
    return {
      running: this.running,
      lagS: this.syncedAt === null ? null : Math.max(0, Math.round((now - this.syncedAt) / 1000)),
      pending: this.running === null ? this.#pendingBetween : this.pendingFiles(),
      last: this.last,
      passes: { ...this.passes },
    };
  }
}
