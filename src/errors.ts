// Named error classes, one per concern. Errors cross IPC as plain objects (see ipc/serialized-error.ts)
// and are rebuilt in the parent with their name intact.
import type { ErrorCode } from './error-codes.js';

/** A setting is missing, malformed or incoherent. Exit code 2. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}

/** A check that must pass before any child starts (credentials, source, bucket) failed. Exit code 2. */
export class PreflightError extends Error {
  override readonly name = 'PreflightError';
}

/** The memory plan cannot fit: workers × hard cap + reserve > budget, or budget > container limit. Exit 2. */
export class MemoryPlanError extends ConfigError {
  override readonly name = 'MemoryPlanError';
}

/**
 * An item stopped retrying because the supervisor found its service down (issue 20 point 5): the child hands
 * the file back unfinished (item-returned), not failed; its checkpoints stand.
 */
export class ServiceDownError extends Error {
  override readonly name = 'ServiceDownError';
  constructor(
    readonly service: string,
    cause: Error,
  ) {
    super(`${service} is down (the supervisor's probe got no answer): handing the file back (${cause.message})`, { cause });
  }
}

/** Children keep dying before they say ready: respawning would only loop. */
export class CrashLoopError extends Error {
  override readonly name = 'CrashLoopError';
}

/** The journal belongs to another source/target, or is unreadable. */
export class JournalError extends Error {
  override readonly name: string = 'JournalError';
}

/** Another live supervisor holds the journal's lease (journal/lease.ts). Exit code 75: try again later. */
export class JournalBusyError extends JournalError {
  override readonly name = 'JournalBusyError';
}

/** The journal file is damaged: cut short, its header overwritten, or not SQLite (journal/corruption.ts). Exit 65. */
export class JournalCorruptError extends JournalError {
  override readonly name = 'JournalCorruptError';
}

/** The journal's volume is full (journal/disk-full.ts). Exit 74: nothing is lost; rerun with space. */
export class JournalFullError extends JournalError {
  override readonly name = 'JournalFullError';
}

/**
 * A file-level failure with a reason meant for the report. `retryable` says whether another attempt
 * may succeed (rate limits, resets) or not (404, download quota, md5 mismatch on a stable source).
 */
export class ItemError extends Error {
  override readonly name: string = 'ItemError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code: ErrorCode = 'item-error',
  ) {
    super(message);
  }
}

/** ItemError codes of bytes that did not match Drive's checksum (`<algorithm>-mismatch`, see copy/content-digest.ts). */
export const CHECKSUM_MISMATCH_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['sha1-mismatch', 'md5-mismatch']);

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
