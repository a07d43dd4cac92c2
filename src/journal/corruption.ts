// A journal that SQLite cannot trust: cut short (a copy that stopped half way, a full disk while it was
// moved), its header overwritten, or not an SQLite file at all (issue 20, point 9). Found when it is opened,
// before a run writes to it, and reported as one JournalCorruptError naming the file and `--fresh`.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { JournalCorruptError } from '../errors.js';

const HEADER_BYTES = 100;
const MAGIC = 'SQLite format 3\0';

/** SQLite's own words for a damaged file (https://sqlite.org/rescode.html). */
const CORRUPT_CODES: ReadonlySet<string> = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

export function isCorruptionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && [...CORRUPT_CODES].some((c) => code === c || code.startsWith(`${c}_`));
}

export function corruptJournal(path: string, why: string): JournalCorruptError {
  return new JournalCorruptError(
    `journal ${path} is damaged (${why}): nothing was done. Run again with --fresh to move it aside to ` +
      `${path}.corrupt-<time> (kept, not deleted) and start a new journal, or point --state at another file`,
  );
}

/**
 * Check the file's header before SQLite opens it: the magic string, and a size no smaller than the page
 * count the header records (SQLite itself only notices a missing page when a query reaches it). An empty
 * or missing file is a new journal. With a -wal beside it the header may lag the WAL: only the magic counts.
 */
export function checkJournalFile(path: string): void {
  if (!existsSync(path)) return;
  const size = statSync(path).size;
  if (size === 0) return;
  const header = Buffer.alloc(HEADER_BYTES);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  if (read < HEADER_BYTES || header.toString('latin1', 0, MAGIC.length) !== MAGIC) throw corruptJournal(path, 'not an SQLite database: its header is missing or overwritten');
  if (hasWal(path)) return;
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  // The page count is valid only when the version-valid-for number matches the change counter (file format §1.3.7).
  if (header.readUInt32BE(24) !== header.readUInt32BE(92)) return;
  const pages = header.readUInt32BE(28);
  if (size < pages * pageSize) throw corruptJournal(path, `truncated: ${size} bytes of the ${pages * pageSize} its header records`);
}

function hasWal(path: string): boolean {
  try {
    return statSync(`${path}-wal`).size > 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
