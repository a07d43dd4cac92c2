// Read-only queries over a journal. `supervisor status` opens one of these beside a running supervisor:
// WAL lets it read a consistent snapshot while the writer commits.
import type Database from 'better-sqlite3';
import { JournalError } from '../errors.js';
import { readLease } from './lease.js';
import type { LeaseHolder } from './lease.js';
import { openReadOnly, readIdentity } from './open-database.js';
import { DeltaStore } from './delta-store.js';
import { ITEM_STATUSES } from './types.js';
import type {
  DoneRecord,
  FailureRecord,
  ItemStatus,
  JournalCounts,
  JournalIdentity,
  MissingRecord,
  RunRecord,
  SkipRecord,
  StatusTotals,
} from './types.js';

/** Listing progress kept in meta: 'none' before the first listing, 'running' until it completes. */
export type ListingState = 'none' | 'running' | 'complete';

/** One group of keyRange(): a status with its skip reason or last error. */
export interface KeyRangeRow {
  status: ItemStatus;
  skip_reason: string | null;
  last_error: string | null;
  files: number;
  bytes: number;
}

interface RunRow {
  id: number;
  started_at: number;
  finished_at: number | null;
  bytes: number;
  files: number;
  exit_code: number | null;
}

export class JournalReader {
  private readonly metaGet: Database.Statement<[string], { value: string }>;
  private readonly countsStmt: Database.Statement<[], { status: ItemStatus; files: number; bytes: number; copied: number }>;
  private readonly failuresStmt: Database.Statement<[number], { seq: number; drive_id: string; path: string; key: string; last_error: string | null; attempts: number }>;
  private readonly skipsStmt: Database.Statement<[number], { seq: number; drive_id: string; path: string; mime_type: string; skip_reason: string | null }>;
  private readonly doneStmt: Database.Statement<[], { key: string; size: number; md5: string | null; etag: string | null }>;
  private readonly missingStmt: Database.Statement<[number, number], { seq: number; drive_id: string; path: string; key: string; status: ItemStatus }>;
  private readonly lastRunStmt: Database.Statement<[], RunRow>;
  private readonly keyRangeStmt: Database.Statement<[string, string], KeyRangeRow>;

  protected constructor(
    protected readonly db: Database.Database,
    /** The --state path, for messages. */
    readonly path: string,
  ) {
    this.metaGet = db.prepare('SELECT value FROM meta WHERE name = ?');
    this.countsStmt = db.prepare(
      `SELECT status, COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes, COALESCE(SUM(bytes_copied), 0) AS copied
       FROM items GROUP BY status`,
    );
    this.failuresStmt = db.prepare(
      `SELECT seq, drive_id, path, key, last_error, attempts FROM items WHERE status = 'failed' ORDER BY seq LIMIT ?`,
    );
    this.skipsStmt = db.prepare(
      `SELECT seq, drive_id, path, mime_type, skip_reason FROM items WHERE status = 'skipped' ORDER BY seq LIMIT ?`,
    );
    this.doneStmt = db.prepare(
      `SELECT key, COALESCE(size, bytes_copied) AS size, COALESCE(done_md5, md5) AS md5, etag
       FROM items WHERE status = 'done' ORDER BY seq`,
    );
    this.missingStmt = db.prepare(
      `SELECT seq, drive_id, path, key, status FROM items WHERE seen_gen < ? ORDER BY seq LIMIT ?`,
    );
    this.lastRunStmt = db.prepare('SELECT id, started_at, finished_at, bytes, files, exit_code FROM runs ORDER BY id DESC LIMIT 1');
    // Through items_key: one drive's rows of an organisation run (its keys share users/<email>/ or shared-drives/<name>/).
    this.keyRangeStmt = db.prepare(
      `SELECT status, skip_reason, last_error, COUNT(*) AS files, COALESCE(SUM(COALESCE(size, bytes_copied)), 0) AS bytes
       FROM items WHERE key >= ? AND key < ? AND gone_at IS NULL GROUP BY status, skip_reason, last_error`,
    );
  }

  /** Files and bytes by status, skip reason and error, of the rows under the folder key `prefix` (ends with '/'). */
  keyRange(prefix: string): KeyRangeRow[] {
    // Every key under 'a/b/' sorts before 'a/b0' ('0' follows '/'), whatever characters follow the slash.
    return this.keyRangeStmt.all(prefix, `${prefix.replace(/\/$/, '')}0`);
  }

  /** Open an existing journal for reading only; safe beside a running supervisor. */
  static openReadOnly(path: string): JournalReader {
    return new JournalReader(openReadOnly(path), path);
  }

  identity(): JournalIdentity {
    return readIdentity(this.db);
  }

  /** Files and bytes by status. Scans the items table: call it for reports, not per item. */
  counts(): JournalCounts {
    const zero = (): StatusTotals => ({ files: 0, bytes: 0 });
    const byStatus = Object.fromEntries(ITEM_STATUSES.map((s) => [s, zero()])) as Record<ItemStatus, StatusTotals>;
    const total = zero();
    let bytesCopied = 0;
    for (const row of this.countsStmt.iterate()) {
      byStatus[row.status] = { files: row.files, bytes: row.bytes };
      total.files += row.files;
      total.bytes += row.bytes;
      if (row.status === 'done') bytesCopied = row.copied;
    }
    return { byStatus, total, bytesCopied };
  }

  /** Failed items, streamed (limit -1: all of them; a report lists every one without holding them all). */
  *eachFailure(limit = -1): Generator<FailureRecord, void, undefined> {
    for (const r of this.failuresStmt.iterate(limit)) {
      yield { id: String(r.seq), driveId: r.drive_id, path: r.path, key: r.key, reason: r.last_error ?? '', attempts: r.attempts };
    }
  }

  *eachSkip(limit = -1): Generator<SkipRecord, void, undefined> {
    for (const r of this.skipsStmt.iterate(limit)) {
      yield { id: String(r.seq), driveId: r.drive_id, path: r.path, mimeType: r.mime_type, reason: r.skip_reason ?? '' };
    }
  }

  failures(limit: number): FailureRecord[] {
    return [...this.eachFailure(limit)];
  }

  skips(limit: number): SkipRecord[] {
    return [...this.eachSkip(limit)];
  }

  /**
   * Every done item, streamed in dispatch order (for `verify`). While iterating, this connection can run
   * no other statement: use a separate (read-only) journal, not the supervisor's.
   */
  *doneItems(): Generator<DoneRecord, void, undefined> {
    for (const r of this.doneStmt.iterate()) yield { key: r.key, size: r.size, md5: r.md5, etag: r.etag };
  }

  listingState(): ListingState {
    const value = this.meta('listing_state');
    return value === 'running' || value === 'complete' ? value : 'none';
  }

  isListingComplete(): boolean {
    return this.listingState() === 'complete';
  }

  /** The listing generation that recordListed stamps on entries (0 before the first listing). */
  listingGeneration(): number {
    return Number(this.meta('listing_generation') ?? '0');
  }

  /**
   * Entries an earlier listing saw that the latest listing did not (deleted or moved on Drive since).
   * Empty until the latest listing is complete: before that, "not seen yet" means nothing.
   */
  missingFromListing(limit: number): MissingRecord[] {
    if (!this.isListingComplete()) return [];
    return this.missingStmt.all(this.listingGeneration(), limit).map((r) => ({
      id: String(r.seq),
      driveId: r.drive_id,
      path: r.path,
      key: r.key,
      status: r.status,
    }));
  }

  /** Which supervisor holds the journal now, if any (journal/lease.ts). */
  leaseHolder(): LeaseHolder | null {
    return readLease(this.db);
  }

  lastRun(): RunRecord | null {
    const row = this.lastRunStmt.get();
    if (row === undefined) return null;
    const end = row.finished_at ?? Date.now();
    const seconds = Math.max((end - row.started_at) / 1000, 0.001);
    return {
      id: row.id,
      startedAt: new Date(row.started_at),
      finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
      bytes: row.bytes,
      files: row.files,
      exitCode: row.exit_code,
      bytesPerSecond: row.bytes / seconds,
    };
  }

  /** The change token and folders (issue 22; an organisation drive's by its key prefix), read-only here: `plan` previews the next delta with it. */
  deltaStore(scope = ''): DeltaStore {
    return new DeltaStore(this.db, scope);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  protected meta(name: string): string | undefined {
    return this.metaGet.get(name)?.value;
  }

  /** Parse an item id handed out by this journal (the row's sequence number). */
  protected seqOf(id: string): number {
    const seq = Number(id);
    if (!Number.isSafeInteger(seq) || seq <= 0 || String(seq) !== id) {
      throw new JournalError(`not a journal item id: ${JSON.stringify(id)}`);
    }
    return seq;
  }
}
