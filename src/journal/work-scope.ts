// Which rows a run may hand out or requeue (issue 23): an organisation run works only on the drives it selected,
// so a drive left out by --users/--exclude-users keeps its rows as they are. The selection is a temporary table
// of key ranges, one per drive prefix (key-range.ts), looked up by its index for each row a scoped query reads:
// plain SQL on the key column, no call into JavaScript. Null scope is the one range that holds every key.
import type Database from 'better-sqlite3';
import { keyRangeOf } from './key-range.js';
import type { KeyRange } from './key-range.js';

/**
 * The SQL condition the scoped queries add (their table is `items`). The ranges do not overlap, so the one
 * starting at or before the key is the only one that can hold it.
 */
export const IN_WORK_SCOPE = `COALESCE((SELECT items.key < s.below OR s.below IS NULL FROM temp.work_scope s WHERE s.from_key <= items.key ORDER BY s.from_key DESC LIMIT 1), 0) = 1`;

const EVERY_KEY: readonly KeyRange[] = [keyRangeOf('')];

/** The ranges of these prefixes, a prefix under another one dropped (its keys are the other's): none overlap. */
export function scopeRanges(prefixes: readonly string[] | null): KeyRange[] {
  if (prefixes === null) return [...EVERY_KEY];
  const kept: string[] = [];
  for (const prefix of [...new Set(prefixes)].sort()) {
    const outer = kept.at(-1);
    if (outer === undefined || !prefix.startsWith(outer)) kept.push(prefix);
  }
  return kept.map(keyRangeOf);
}

export class WorkScope {
  private readonly clear: Database.Statement;
  private readonly insert: Database.Statement<[string, string | null]>;
  private readonly replace: (ranges: readonly KeyRange[]) => void;

  constructor(db: Database.Database) {
    db.exec('CREATE TEMP TABLE IF NOT EXISTS work_scope (from_key TEXT PRIMARY KEY, below TEXT) WITHOUT ROWID');
    this.clear = db.prepare('DELETE FROM temp.work_scope');
    this.insert = db.prepare('INSERT INTO temp.work_scope (from_key, below) VALUES (?, ?)');
    this.replace = db.transaction((ranges: readonly KeyRange[]) => {
      this.clear.run();
      for (const r of ranges) this.insert.run(r.from, r.below);
    });
    this.replace(EVERY_KEY);
  }

  /** Limit work to keys under these prefixes (each ends in '/'); null lifts the limit. */
  set(prefixes: readonly string[] | null): void {
    this.replace(scopeRanges(prefixes));
  }
}
