// What the listing writes: pages of entries (upserted with the rerun rules below) and the listing's
// progress. An interrupted listing starts again from the root (docs/design.md, journal and resume).
import type Database from 'better-sqlite3';
import type { DriveItem, DriveSkip, ListedEntry, SourceMeta } from '../source/drive/drive-item.js';
import { JournalError } from '../errors.js';
import { toColumns } from './item-row.js';
import type { ItemColumns } from './item-row.js';

// Evaluated against the stored row (SQLite evaluates every SET expression on the old values).
const CHANGED = 'NOT (size IS excluded.size AND md5 IS excluded.md5 AND modified_time IS excluded.modified_time)';
const RESET = `((${CHANGED}) OR skipped_by_listing = 1) AND status <> 'in-progress'`;

/*
 * Rerun rules for a listed file, by stored status:
 *   unchanged (same size, md5, modifiedTime): status, attempts and checkpoint stay (done stays done,
 *   failed stays failed until retryFailed — or, when transient, until the next run requeues it (journal.ts
 *   requeueTransientFailures) — skipped stays skipped);
 *   changed, or skipped earlier by the listing itself: back to pending with attempts, checkpoint,
 *   upload id, error and result cleared;
 *   changed while in-progress: a child is copying the old content, so the row is flagged and the
 *   journal turns its result into pending when it arrives (journal.ts).
 * Metadata (path, payload) is refreshed either way; seen_gen records that this listing saw it.
 */
const UPSERT_FILE = `
INSERT INTO items (drive_id, key, path, size, md5, mime_type, modified_time, payload, source_meta, status, seen_gen, created_at, updated_at)
VALUES (@driveId, @key, @path, @size, @md5, @mimeType, @modifiedTime, @payload, @sourceMeta, 'pending', @gen, @now, @now)
ON CONFLICT (drive_id, key) DO UPDATE SET
  status = CASE WHEN ${RESET} THEN 'pending' ELSE status END,
  attempts = CASE WHEN ${RESET} THEN 0 ELSE attempts END,
  failed_runs = CASE WHEN ${RESET} THEN 0 ELSE failed_runs END,
  checkpoint = CASE WHEN ${RESET} THEN NULL ELSE checkpoint END,
  upload_id = CASE WHEN ${RESET} THEN NULL ELSE upload_id END,
  last_error = CASE WHEN ${RESET} THEN NULL ELSE last_error END,
  skip_reason = CASE WHEN ${RESET} THEN NULL ELSE skip_reason END,
  skipped_by_listing = 0,
  gone_at = NULL,
  bytes_copied = CASE WHEN ${RESET} THEN 0 ELSE bytes_copied END,
  done_md5 = CASE WHEN ${RESET} THEN NULL ELSE done_md5 END,
  etag = CASE WHEN ${RESET} THEN NULL ELSE etag END,
  finished_at = CASE WHEN ${RESET} THEN NULL ELSE finished_at END,
  changed_in_flight = CASE WHEN (${CHANGED}) AND status = 'in-progress' THEN 1 ELSE changed_in_flight END,
  path = excluded.path,
  size = excluded.size,
  md5 = excluded.md5,
  mime_type = excluded.mime_type,
  modified_time = excluded.modified_time,
  payload = excluded.payload,
  source_meta = excluded.source_meta,
  seen_gen = excluded.seen_gen,
  updated_at = excluded.updated_at`;

// A listing skip has no S3 key: its row is (drive_id, '').
const UPSERT_SKIP = `
INSERT INTO items (drive_id, key, path, mime_type, status, skip_reason, seen_gen, created_at, updated_at)
VALUES (@driveId, '', @path, @mimeType, 'skipped', @reason, @gen, @now, @now)
ON CONFLICT (drive_id, key) DO UPDATE SET
  path = excluded.path,
  mime_type = excluded.mime_type,
  skip_reason = excluded.skip_reason,
  seen_gen = excluded.seen_gen,
  updated_at = excluded.updated_at`;

interface FileParams extends ItemColumns {
  sourceMeta: string | null;
  gen: number;
  now: number;
}

interface SkipParams {
  driveId: string;
  path: string;
  mimeType: string;
  reason: string;
  gen: number;
  now: number;
}

export class ListingRecorder {
  private readonly upsertFile: Database.Statement<[FileParams]>;
  private readonly dropSkipRow: Database.Statement<[string]>;
  private readonly upsertSkip: Database.Statement<[SkipParams]>;
  private readonly skipFileRows: Database.Statement<[{ driveId: string; reason: string; gen: number; now: number }]>;
  private readonly setMeta: Database.Statement<[string, string]>;
  private readonly getMeta: Database.Statement<[string], { value: string }>;
  private readonly recordPage: (entries: readonly ListedEntry[]) => void;
  private generation: number;

  constructor(private readonly db: Database.Database) {
    this.upsertFile = db.prepare(UPSERT_FILE);
    this.dropSkipRow = db.prepare(`DELETE FROM items WHERE drive_id = ? AND key = ''`);
    this.upsertSkip = db.prepare(UPSERT_SKIP);
    // The listing now refuses a file it already has rows for (e.g. download restricted since): unfinished
    // rows become skipped, finished ones stay, and all count as seen. No separate skip row then.
    this.skipFileRows = db.prepare(
      `UPDATE items SET
         status = CASE WHEN status IN ('pending', 'failed') THEN 'skipped' ELSE status END,
         skip_reason = CASE WHEN status IN ('pending', 'failed') THEN @reason ELSE skip_reason END,
         skipped_by_listing = CASE WHEN status IN ('pending', 'failed') THEN 1 ELSE skipped_by_listing END,
         checkpoint = CASE WHEN status IN ('pending', 'failed') THEN NULL ELSE checkpoint END,
         upload_id = CASE WHEN status IN ('pending', 'failed') THEN NULL ELSE upload_id END,
         seen_gen = @gen, updated_at = @now
       WHERE drive_id = @driveId AND key <> ''`,
    );
    this.setMeta = db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
    this.getMeta = db.prepare('SELECT value FROM meta WHERE name = ?');
    this.generation = Number(this.getMeta.get('listing_generation')?.value ?? '0');
    this.recordPage = db.transaction((entries: readonly ListedEntry[]) => {
      const now = Date.now();
      for (const entry of entries) {
        if (entry.kind === 'file') this.recordFile(entry.item, entry.meta, now);
        else this.recordSkip(entry.skip, now);
      }
    });
  }

  /** Upsert one page of listed entries in one transaction (pages of ~1000 keep commits cheap). */
  recordListed(entries: readonly ListedEntry[]): void {
    this.recordPage(entries);
  }

  /** Start a new listing: a new generation (for missing-file detection). */
  startNewListing(): number {
    this.generation += 1;
    const gen = this.generation;
    this.db.transaction(() => {
      this.setMeta.run('listing_generation', String(gen));
      this.setMeta.run('listing_state', 'running');
    })();
    return gen;
  }

  setListingComplete(): void {
    this.setMeta.run('listing_state', 'complete');
  }

  private recordFile(item: DriveItem, meta: SourceMeta | undefined, now: number): void {
    // '' is the key of listing-skip rows; a file without a key would overwrite one.
    if (item.key === '') throw new JournalError(`listed file ${item.id} (${item.path}) has an empty S3 key`);
    const c = toColumns(item);
    this.upsertFile.run({ ...c, sourceMeta: meta === undefined ? null : JSON.stringify(meta), gen: this.generation, now });
    this.dropSkipRow.run(c.driveId);
  }

  private recordSkip(skip: DriveSkip, now: number): void {
    const gen = this.generation;
    if (this.skipFileRows.run({ driveId: skip.id, reason: skip.reason, gen, now }).changes > 0) return;
    this.upsertSkip.run({ driveId: skip.id, path: skip.path, mimeType: skip.mimeType, reason: skip.reason, gen, now });
  }
}
