// Opening the journal file: directories, --fresh, damage, pragmas, schema and the identity check. Any SQLite
// failure while opening becomes a JournalError that names the --state path.
import { chmodSync, existsSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { JournalCorruptError, JournalError, errorMessage } from '../errors.js';
import { PRIVATE_FILE_MODE, createPrivateFile, makePrivateDir } from '../private-files.js';
import { isDiskFull, journalFull } from './disk-full.js';
import { checkJournalFile, corruptJournal, isCorruptionError } from './corruption.js';
import { checkSchemaVersion, createOrCheckSchema } from './schema.js';
import type { JournalIdentity } from './types.js';
import { JournalLease } from './lease.js';
import type { LeaseOptions } from './lease.js';

// SQLite keeps a database in up to three files; all of them move together on --fresh.
const SIDE_FILES = ['', '-wal', '-shm', '-journal'] as const;

/** The journal open for writing, and this process's lease on it (journal/lease.ts). */
export interface WritableJournal {
  db: Database.Database;
  lease: JournalLease;
}

export function openWritable(path: string, identity: JournalIdentity, fresh: boolean, lease: LeaseOptions = {}): WritableJournal {
  makePrivateDir(dirname(path));
  if (fresh) moveAside(path, freshCheck(path, lease));
  let db: Database.Database | undefined;
  try {
    checkJournalFile(path);
    // The journal names every file: 0600 before SQLite opens it, which gives its -wal and -shm the same mode.
    const createdFile = createPrivateFile(path);
    db = new Database(path);
    // WAL: `status` reads while the supervisor writes. synchronous=NORMAL: a commit is in the OS before
    // the call returns, so it survives the process being killed (pod restart); only a kernel crash or
    // power loss can drop the last commits, and never corrupts the file (https://sqlite.org/wal.html).
    db.pragma('journal_mode = WAL');
    if (createdFile) privateSideFiles(path);
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // 32 MiB of page cache (native memory, not the JS heap) instead of SQLite's 2 MiB: at a million rows the
    // indexes no longer fit in 2 MiB and every update re-reads pages from the OS.
    db.pragma('cache_size = -32768');
    const open = db;
    const created = open.transaction(() => {
      const isNew = createOrCheckSchema(open, path);
      if (isNew) writeIdentity(open, identity);
      return isNew;
    }).immediate();
    if (!created) checkIdentity(open, path, identity);
    return { db: open, lease: JournalLease.acquire(open, path, lease) };
  } catch (err) {
    db?.close();
    if (err instanceof JournalError) throw err;
    if (isCorruptionError(err)) throw corruptJournal(path, errorMessage(err));
    if (isDiskFull(err)) throw journalFull(path, err);
    throw new JournalError(`cannot open journal ${path}: ${errorMessage(err)}`);
  }
}

/**
 * Before --fresh moves a journal aside: what to call it. A readable journal must not be held by a live run
 * (never moved under it); a damaged one cannot say who holds it, and is kept as `.corrupt-<time>`.
 */
function freshCheck(path: string, lease: LeaseOptions): AsideReason {
  if (!existsSync(path)) return 'replaced';
  try {
    withReadOnly(path, (db) => JournalLease.assertFree(db, path, lease));
  } catch (err) {
    if (err instanceof JournalCorruptError) return 'corrupt';
    throw err;
  }
  return 'replaced';
}

function withReadOnly(path: string, fn: (db: Database.Database) => void): void {
  const db = openReadOnly(path);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

export function openReadOnly(path: string): Database.Database {
  if (!existsSync(path)) throw new JournalError(`no journal at ${path} (nothing has run with this --state yet)`);
  let db: Database.Database | undefined;
  try {
    checkJournalFile(path);
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    checkSchemaVersion(db, path);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof JournalError) throw err;
    if (isCorruptionError(err)) throw corruptJournal(path, errorMessage(err));
    throw new JournalError(`cannot read journal ${path}: ${errorMessage(err)}`);
  }
}

export function readIdentity(db: Database.Database): JournalIdentity {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?');
  return { source: get.get('source')?.value ?? '', target: get.get('target')?.value ?? '' };
}

function writeIdentity(db: Database.Database, identity: JournalIdentity): void {
  const put = db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)');
  put.run('source', identity.source);
  put.run('target', identity.target);
  put.run('created_at', new Date().toISOString());
}

function checkIdentity(db: Database.Database, path: string, wanted: JournalIdentity): void {
  const stored = readIdentity(db);
  if (stored.source === wanted.source && stored.target === wanted.target) return;
  throw new JournalError(
    `journal ${path} belongs to another migration: it records source ${JSON.stringify(stored.source)} → ` +
      `target ${JSON.stringify(stored.target)}, but this run is source ${JSON.stringify(wanted.source)} → ` +
      `target ${JSON.stringify(wanted.target)}. Pass --fresh to start a new journal at this path ` +
      '(the old one is renamed aside), or point --state at another file.',
  );
}

/** Side files left from before the journal was made (a deleted journal's -wal) do not keep a wider mode. */
function privateSideFiles(path: string): void {
  for (const suffix of SIDE_FILES) if (suffix !== '' && existsSync(path + suffix)) chmodSync(path + suffix, PRIVATE_FILE_MODE);
}

type AsideReason = 'replaced' | 'corrupt';

/** Rename the journal and its side files to `<path>.<reason>-<timestamp>`, 0600; nothing is deleted. */
function moveAside(path: string, reason: AsideReason): void {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = `${path}.${reason}-${stamp}`;
  for (const suffix of SIDE_FILES) {
    if (!existsSync(path + suffix)) continue;
    renameSync(path + suffix, base + suffix);
    // A file put at --state by hand (the damaged one) may have any mode: it still holds every path.
    chmodSync(base + suffix, PRIVATE_FILE_MODE);
  }
}
