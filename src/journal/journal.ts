// The durable journal that makes a migration resumable. Owned by the supervisor process alone (single
// writer); children report over IPC and the supervisor calls these synchronous methods.
//
// Row identity: one row per (Drive file id, S3 key). A file reached twice through followed shortcuts at
// two paths gets two keys and so two rows (two objects), while listing the same file at the same key
// again updates its row. Rows are therefore addressed by an opaque item id — the row's sequence number
// as a string — which is WorkItem.id; the Drive id travels in the payload. The sequence is also the
// dispatch order, stable across restarts.
import type Database from 'better-sqlite3';
import type { JsonObject } from '../ipc/json.js';
import type { ListedEntry } from '../source/drive/drive-item.js';
import type { WorkItem } from '../ipc/protocol.js';
import { JournalError } from '../errors.js';
import { fromRow } from './item-row.js';
import type { StoredItemRow } from './item-row.js';
import { JournalReader } from './journal-reader.js';
import { DeltaStore } from './delta-store.js';
import { ListingRecorder } from './listing-recorder.js';
import { ManifestStore } from './manifest-rows.js';
import { openWritable } from './open-database.js';
import { IN_WORK_SCOPE, WorkScope } from './work-scope.js';
import type { JournalLease } from './lease.js';
import type { BufferEstimator, DoneDetail, SourceVersion, ItemStatus, JournalIdentity, OpenOptions, RequeueOptions, RunTotals } from './types.js';

interface PendingRow extends StoredItemRow {
  seq: number;
  attempts: number;
  checkpoint: string | null;
}

export class Journal extends JournalReader {
  private readonly listing: ListingRecorder;
  /** The change token, folders and gone rows of delta passes (issue 22). */
  readonly delta: DeltaStore;
  private readonly deltaStores = new Map<string, DeltaStore>();
  readonly manifest: ManifestStore;
  /** The drives this run works on (an organisation run's selection); every row unless set. */
  readonly scope: WorkScope;
  private readonly selectPending: Database.Statement<[number], PendingRow>;
  private readonly markTaken: Database.Statement<[number, number]>;
  private readonly stateOf: Database.Statement<[number], { status: ItemStatus; changed_in_flight: number }>;
  private readonly takeBatch: (limit: number, estimate: BufferEstimator) => WorkItem[];
  private readonly selectPendingIn: Database.Statement<[string, string, number], PendingRow>;
  private readonly takeIn: (after: string, before: string, limit: number, estimate: BufferEstimator) => WorkItem[];
  private readonly finishDone: Database.Statement<[{ bytes: number; md5: string | null; etag: string | null; now: number; seq: number }]>;
  private readonly setVersion: Database.Statement<[SourceVersion & { seq: number }]>;
  private readonly addToRun: Database.Statement<[number, number]>;
  private runId: number | null = null;

  private constructor(
    db: Database.Database,
    path: string,
    private readonly lease: JournalLease,
  ) {
    super(db, path);
    this.listing = new ListingRecorder(db);
    this.delta = new DeltaStore(db);
    this.deltaStores.set('', this.delta);
    this.manifest = new ManifestStore(db);
    this.scope = new WorkScope(db);
    this.selectPending = db.prepare(
      `SELECT seq, drive_id, key, path, size, md5, mime_type, modified_time, payload, attempts, checkpoint
       FROM items WHERE status = 'pending' AND ${IN_WORK_SCOPE} ORDER BY seq LIMIT ?`,
    );
    this.markTaken = db.prepare(`UPDATE items SET status = 'in-progress', updated_at = ? WHERE seq = ?`);
    this.finishDone = db.prepare(
      `UPDATE items SET status = 'done', bytes_copied = @bytes, done_md5 = @md5, etag = @etag, finished_at = @now,
         checkpoint = NULL, upload_id = NULL, last_error = NULL, skip_reason = NULL, updated_at = @now
       WHERE seq = @seq AND changed_in_flight = 0 AND status <> 'done'`,
    );
    this.setVersion = db.prepare('UPDATE items SET size = @size, md5 = @md5, modified_time = @modifiedTime WHERE seq = @seq');
    this.addToRun = db.prepare('UPDATE runs SET bytes = bytes + ?, files = files + 1 WHERE id = ?');
    this.stateOf = db.prepare('SELECT status, changed_in_flight FROM items WHERE seq = ?');
    // Through items_key (`+status` keeps the planner off items_status, which would sort every pending row):
    // one drive's pending rows of an organisation run, in key order after a cursor.
    this.selectPendingIn = db.prepare(
      `SELECT seq, drive_id, key, path, size, md5, mime_type, modified_time, payload, attempts, checkpoint
       FROM items WHERE key > ? AND key < ? AND +status = 'pending' ORDER BY key LIMIT ?`,
    );
    this.takeIn = db.transaction((after: string, before: string, limit: number, estimate: BufferEstimator) => this.taken(this.selectPendingIn.all(after, before, limit), estimate));
    this.takeBatch = db.transaction((limit: number, estimate: BufferEstimator) => this.taken(this.selectPending.all(limit), estimate));
  }

  /** Mark the rows taken (in-progress) and make them work items. */
  private taken(rows: PendingRow[], estimate: BufferEstimator): WorkItem[] {
    const now = Date.now();
    return rows.map((row) => {
      this.markTaken.run(now, row.seq);
      const payload = fromRow(row);
      const checkpoint = row.checkpoint === null ? null : (JSON.parse(row.checkpoint) as JsonObject);
      return {
        id: String(row.seq),
        attempt: row.attempts + 1,
        sizeBytes: payload.size ?? 0,
        bufferBytes: estimate(payload, checkpoint),
        payload,
        checkpoint,
      };
    });
  }

  /**
   * Open (or create) the journal at `path` for this source and target. A journal recorded for another
   * identity is refused with a JournalError; `fresh` renames any existing journal aside first.
   */
  static open(path: string, identity: JournalIdentity, options: OpenOptions): Journal {
    const { db, lease } = openWritable(path, identity, options.fresh, options.lease);
    return new Journal(db, path, lease);
  }

  /** Renew this run's lease on the journal; false when another supervisor has taken it over. */
  renewLease(): boolean {
    return this.lease.renew();
  }

  override close(): void {
    try {
      // A full volume can refuse this last write: the file is closed all the same.
      if (this.db.open) this.lease.release();
    } finally {
      super.close();
    }
  }

  /** Run several journal calls in one transaction (one commit), e.g. a burst of results. */
  batch<T>(fn: () => T): T {
    // Inside an open transaction, run in it rather than through a savepoint (measurably cheaper per item).
    return this.db.inTransaction ? fn() : this.db.transaction(fn)();
  }

  // ── listing ────────────────────────────────────────────────────────────────────────────────────

  /** Upsert one page of listed entries in one transaction; see listing-recorder.ts for the rerun rules. */
  recordListed(entries: readonly ListedEntry[]): void {
    this.listing.recordListed(entries);
  }

  /** One organisation drive's token and folders, by its key prefix (issue 23); '' is `delta`. */
  deltaFor(scope: string): DeltaStore {
    let store = this.deltaStores.get(scope);
    if (store === undefined) {
      store = new DeltaStore(this.db, scope);
      this.deltaStores.set(scope, store);
    }
    return store;
  }

  /** Begin a new listing: every listing, an interrupted one's rerun too, lists from the root. */
  startNewListing(): number {
    return this.listing.startNewListing();
  }

  setListingComplete(): void {
    this.listing.setListingComplete();
  }

  // ── dispatch ───────────────────────────────────────────────────────────────────────────────────

  /** At start-up: rows a dead supervisor left in-progress go back to pending, checkpoints kept. */
  recoverInterrupted(): number {
    return this.db
      .prepare(
        `UPDATE items SET
           status = 'pending',
           attempts = CASE WHEN changed_in_flight = 1 THEN 0 ELSE attempts END,
           checkpoint = CASE WHEN changed_in_flight = 1 THEN NULL ELSE checkpoint END,
           upload_id = CASE WHEN changed_in_flight = 1 THEN NULL ELSE upload_id END,
           changed_in_flight = 0, updated_at = ?
         WHERE status = 'in-progress'`,
      )
      .run(Date.now()).changes;
  }

  /**
   * Up to `limit` pending items in dispatch order, marked in-progress in the same transaction, so an
   * item is never handed out twice. Reads one page: safe with millions of rows.
   */
  takePending(limit: number, estimate: BufferEstimator): WorkItem[] {
    return this.takeBatch(limit, estimate);
  }

  /** Up to `limit` pending items whose keys sort after `after` and before `before`, in key order (one drive's, by its key range). */
  takePendingIn(after: string, before: string, limit: number, estimate: BufferEstimator): WorkItem[] {
    return this.takeIn(after, before, limit, estimate);
  }

  /** Back to pending (the child died or shut down holding it). countAttempt adds one to its attempts. */
  requeue(id: string, options: RequeueOptions): void {
    this.update(
      id,
      `status = 'pending', last_error = @reason,
       attempts = CASE WHEN changed_in_flight = 1 THEN 0 ELSE attempts + @add END`,
      { reason: options.reason, add: options.countAttempt ? 1 : 0 },
      // A finished item stays finished (its result arrived before the child died).
      `status IN ('in-progress', 'pending')`,
    );
  }

  // ── checkpoints ────────────────────────────────────────────────────────────────────────────────

  /**
   * Store the resume state of an in-flight item (called per completed multipart part; one small
   * commit). A string `uploadId` field is mirrored so uploadIdsInUse() can find it. Ignored when the
   * file changed on Drive while in flight: that checkpoint belongs to the old content.
   */
  saveCheckpoint(id: string, checkpoint: JsonObject): void {
    const uploadId = typeof checkpoint.uploadId === 'string' ? checkpoint.uploadId : null;
    this.update(
      id,
      'checkpoint = @checkpoint, upload_id = @uploadId',
      { checkpoint: JSON.stringify(checkpoint), uploadId },
      // A late report for a finished item must not resurrect its upload id.
      `changed_in_flight = 0 AND status IN ('in-progress', 'pending')`,
    );
  }

  clearCheckpoint(id: string): void {
    this.update(id, 'checkpoint = NULL, upload_id = NULL', {});
  }

  /** Multipart upload ids some row may still resume; any other incomplete upload is an orphan. */
  uploadIdsInUse(): Set<string> {
    const ids = new Set<string>();
    const stmt = this.db.prepare<[], { upload_id: string }>('SELECT DISTINCT upload_id FROM items WHERE upload_id IS NOT NULL');
    for (const row of stmt.iterate()) ids.add(row.upload_id);
    return ids;
  }

  // ── results ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Record a copied item (one commit: durable when this returns). Returns false, and puts the item back
   * to pending instead, when the listing saw the file change while it was being copied.
   */
  markDone(id: string, detail: DoneDetail): boolean {
    return this.batch(() => {
      const params = { bytes: detail.bytes, md5: detail.md5, etag: detail.etag ?? null, now: Date.now(), seq: this.seqOf(id) };
      // The common case in one statement; the guards send the rare cases to the lookup below.
      if (this.finishDone.run(params).changes === 1) {
        // The row describes what S3 now holds, so a later listing or delta does not copy it again.
        if (detail.source) this.setVersion.run({ ...detail.source, seq: params.seq });
        if (this.runId !== null) this.addToRun.run(detail.bytes, this.runId);
        return true;
      }
      if (this.state(id).changed_in_flight === 0) return true; // already done: a repeated result
      this.resetChanged(id);
      return false;
    });
  }

  /** The copy decided not to copy this item (reason goes to the report). Its upload, if any, is released. */
  markSkipped(id: string, reason: string): void {
    this.finishUnlessChanged(id, `status = 'skipped', skip_reason = @reason, checkpoint = NULL, upload_id = NULL, finished_at = @now`, reason);
  }

  /**
   * A final failure in this run; `transient` (failure-kind.ts) lets a later plain run try it again. The
   * checkpoint is kept so that the next attempt can resume a large upload.
   */
  markFailed(id: string, reason: string, transient: boolean): void {
    this.finishUnlessChanged(
      id,
      `status = 'failed', last_error = @reason, finished_at = @now, failure_transient = ${transient ? 1 : 0}, failed_runs = failed_runs + 1`,
      reason,
    );
  }

  /** failed → pending for files this run failed on a cause it then found run-wide (Drive's download quota): not their fault. */
  unfail(id: string, reason: string): void {
    this.update(id, `status = 'pending', last_error = @reason, finished_at = NULL, failed_runs = MAX(failed_runs - 1, 0)`, { reason }, `status = 'failed'`);
  }

  /** failed → pending with attempts and failed runs reset (--retry-failed). Returns how many. */
  retryFailed(): number {
    return this.db
      .prepare(`UPDATE items SET status = 'pending', attempts = 0, failed_runs = 0, last_error = NULL, finished_at = NULL, updated_at = ? WHERE status = 'failed' AND ${IN_WORK_SCOPE}`)
      .run(Date.now()).changes;
  }

  /**
   * failed → pending for files whose last failure was transient and that failed in fewer than `maxRuns`
   * runs (a plain `run` continues). Permanent failures stay failed with their reason. Returns how many.
   */
  requeueTransientFailures(maxRuns: number): number {
    return this.db
      .prepare(
        `UPDATE items SET status = 'pending', attempts = 0, finished_at = NULL, updated_at = ?
         WHERE status = 'failed' AND failure_transient = 1 AND failed_runs < ? AND ${IN_WORK_SCOPE}`,
      )
      .run(Date.now(), maxRuns).changes;
  }

  // ── runs ───────────────────────────────────────────────────────────────────────────────────────

  /** Record the start of a run; markDone adds to its bytes and files from now on. */
  startRun(): number {
    const result = this.db.prepare('INSERT INTO runs (started_at) VALUES (?)').run(Date.now());
    this.runId = Number(result.lastInsertRowid);
    return this.runId;
  }

  finishRun(runId: number, totals: RunTotals): void {
    this.db
      .prepare('UPDATE runs SET finished_at = ?, bytes = ?, files = ?, exit_code = ? WHERE id = ?')
      .run(Date.now(), totals.bytes, totals.files, totals.exitCode, runId);
    if (this.runId === runId) this.runId = null;
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────

  private state(id: string): { status: ItemStatus; changed_in_flight: number } {
    const row = this.stateOf.get(this.seqOf(id));
    if (row === undefined) throw new JournalError(`no item ${id} in journal ${this.path}`);
    return row;
  }

  private finishUnlessChanged(id: string, set: string, reason: string): void {
    this.batch(() => {
      if (this.state(id).changed_in_flight === 1) this.resetChanged(id);
      else this.update(id, set, { reason });
    });
  }

  /** The file changed on Drive while a child copied it: start over from the new content. */
  private resetChanged(id: string): void {
    this.update(
      id,
      `status = 'pending', attempts = 0, checkpoint = NULL, upload_id = NULL, last_error = NULL,
       finished_at = NULL, changed_in_flight = 0`,
      {},
    );
  }

  private readonly updates = new Map<string, Database.Statement<[Record<string, unknown>]>>();

  /**
   * UPDATE one row by item id when `where` holds; statements are prepared once per distinct clause.
   * An unknown id throws; a row that fails `where` is left as it is.
   */
  private update(id: string, set: string, params: Record<string, unknown>, where = '1'): void {
    const sql = `UPDATE items SET ${set}, updated_at = @now WHERE seq = @seq AND ${where}`;
    let stmt = this.updates.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      this.updates.set(sql, stmt);
    }
    const result = stmt.run({ ...params, now: Date.now(), seq: this.seqOf(id) });
    if (result.changes === 0) this.state(id);
  }
}
