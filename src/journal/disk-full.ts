// The journal's volume full (issue 20, point 9). SQLite answers ENOSPC with SQLITE_FULL and rolls the
// statement back: the file stays consistent, but no further write can be trusted to land. The run stops
// with one JournalFullError line naming the file; nothing is marked failed for it (app/journal-write-guard.ts).
import { JournalFullError, errorMessage } from '../errors.js';

export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}

export function journalFull(path: string, err: unknown): JournalFullError {
  return new JournalFullError(
    `journal ${path}: no space left on its volume (${errorMessage(err)}): the run stopped; files done stay done, ` +
      'the rest stays pending. Free space, or move the journal with its -wal and -shm to a bigger volume and point --state at it, then rerun',
  );
}
