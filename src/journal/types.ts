// Shapes the journal hands out. Rows are addressed by an opaque item id (see journal.ts for why it is not
// the Drive file id).
import type { LeaseOptions } from './lease.js';
import type { JsonObject } from '../ipc/json.js';
import type { DriveItem } from '../source/drive/drive-item.js';

export const ITEM_STATUSES = ['pending', 'in-progress', 'done', 'skipped', 'failed'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/**
 * What a journal belongs to. Both are free-form strings built by the caller, compared exactly:
 * source = folder id or shared drive id (+ shard), target = endpoint + bucket + prefix.
 */
export interface JournalIdentity {
  source: string;
  target: string;
}

export interface OpenOptions {
  /** Start a new journal: an existing file is renamed aside (never deleted) first. */
  fresh: boolean;
  /** Who holds the lease and how it is judged stale (tests); this process and the defaults otherwise. */
  lease?: LeaseOptions;
}

/**
 * Predicted peak buffer bytes for an item (WorkItem.bufferBytes). The S3 module owns the formula; the
 * checkpoint is passed because a resumed upload keeps the part size it started with.
 */
export type BufferEstimator = (item: DriveItem, checkpoint: JsonObject | null) => number;

export interface StatusTotals {
  files: number;
  /** Sum of the Drive sizes (unknown sizes count as 0). */
  bytes: number;
}

export interface JournalCounts {
  byStatus: Record<ItemStatus, StatusTotals>;
  total: StatusTotals;
  /** Bytes actually written to S3 by done items (exports have no Drive size, so this can exceed byStatus.done.bytes). */
  bytesCopied: number;
}

export interface FailureRecord {
  id: string;
  driveId: string;
  path: string;
  key: string;
  reason: string;
  attempts: number;
}

export interface SkipRecord {
  id: string;
  driveId: string;
  path: string;
  mimeType: string;
  reason: string;
}

export interface DoneRecord {
  key: string;
  /** Drive's size, or the bytes copied when Drive did not know it (exports). */
  size: number;
  /** The md5 reported by the copy (or Drive's when the copy reported none); null when neither exists. */
  md5: string | null;
  etag: string | null;
}

/** An item that an earlier listing saw and the latest complete listing did not: deleted or moved on Drive. */
export interface MissingRecord {
  id: string;
  driveId: string;
  path: string;
  key: string;
  status: ItemStatus;
}

export interface RunRecord {
  id: number;
  startedAt: Date;
  finishedAt: Date | null;
  /** Bytes and files completed in this run (kept live by markDone, overwritten by finishRun). */
  bytes: number;
  files: number;
  exitCode: number | null;
  /** bytes / elapsed seconds (to now while the run is going). */
  bytesPerSecond: number;
}

export interface RunTotals {
  bytes: number;
  files: number;
  exitCode: number;
}

export interface RequeueOptions {
  /** True when the attempt counts against the item (its child died while holding it). */
  countAttempt: boolean;
  reason: string;
}

export interface DoneDetail {
  bytes: number;
  md5: string | null;
  etag?: string | null;
  /** The version copied when it is not the listed one (it changed on Drive before its bytes were read). */
  source?: SourceVersion | undefined;
}

/** The row's Drive metadata that a listing or a delta compares against. */
export interface SourceVersion {
  size: number | null;
  md5: string | null;
  modifiedTime: string;
}
