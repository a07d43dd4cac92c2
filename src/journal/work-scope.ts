// Which rows a run may hand out or requeue (issue 23): an organisation run works only on the drives it selected,
// so a drive left out by --users/--exclude-users keeps its rows as they are. The test is a SQL function
// (`in_work_scope(key)`) so the pending query stays one indexed scan by status; null scope means every row.
import type Database from 'better-sqlite3';

/** The SQL condition the scoped queries add. */
export const IN_WORK_SCOPE = 'in_work_scope(key) = 1';

export class WorkScope {
  private prefixes: Set<string> | null = null;
  /** The '/' counts of the prefixes: a key's drive prefix is the key up to its n-th '/'. */
  private depths: number[] = [];

  constructor(db: Database.Database) {
    db.function('in_work_scope', { deterministic: false }, (key: unknown) => (this.includes(String(key)) ? 1 : 0));
  }

  /** Limit work to keys under these prefixes (each ends in '/'); null lifts the limit. */
  set(prefixes: readonly string[] | null): void {
    this.prefixes = prefixes === null ? null : new Set(prefixes);
    this.depths = prefixes === null ? [] : [...new Set(prefixes.map((p) => p.split('/').length - 1))];
  }

  includes(key: string): boolean {
    if (this.prefixes === null) return true;
    for (const depth of this.depths) {
      const drive = upToSlash(key, depth);
      if (drive !== null && this.prefixes.has(drive)) return true;
    }
    return false;
  }
}

/** The key up to and including its n-th '/', or null when it has fewer. */
function upToSlash(key: string, n: number): string | null {
  let at = -1;
  for (let i = 0; i < n; i++) {
    at = key.indexOf('/', at + 1);
    if (at === -1) return null;
  }
  return key.slice(0, at + 1);
}
