// One writer per journal. Two supervisors on the same --state (a Job restarted while its old pod still
// terminates, a second `run` typed by hand, two shards given one file) would hand the same files to two
// sets of children and each would mark the other's items interrupted. SQLite keeps the file consistent;
// this keeps the run single: a lease row naming the holder, renewed by a heartbeat, taken in an IMMEDIATE
// transaction so two starts cannot both win.
//
// A holder is gone when its heartbeat is older than LEASE_STALE_MS, or at once when it ran on this host and its
// process no longer exists: the pid alone is not enough (a restarted container reuses small pids), so the
// holder's start time as the kernel counts it (/proc/<pid>/stat) must match as well.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { JournalBusyError } from '../errors.js';

const DDL = `
CREATE TABLE IF NOT EXISTS lease (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  owner        TEXT NOT NULL,
  host         TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  proc_start   TEXT NOT NULL,
  acquired_at  INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
)`;

/** How often the holder renews, and after how long without a renewal anyone may take the lease over. */
export const LEASE_HEARTBEAT_MS = 10_000;

/**
 * The heartbeat a run uses: LEASE_HEARTBEAT_MS, or DRIVE_S3_TEST_LEASE_HEARTBEAT_MS (tests, like the crash
 * hooks of copy/test-hooks.ts: SUPERVISOR_* is the operator's namespace) so a test need not wait 10 s.
 */
export function leaseHeartbeatMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.DRIVE_S3_TEST_LEASE_HEARTBEAT_MS);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : LEASE_HEARTBEAT_MS;
}
export const LEASE_STALE_MS = 60_000;

interface LeaseRow {
  owner: string;
  host: string;
  pid: number;
  proc_start: string;
  acquired_at: number;
  heartbeat_at: number;
}

/** Who this process is, as another process on the same host can check. */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** The kernel's start time of the process (clock ticks since boot), '' where /proc is missing. */
  procStart: string;
}

/** Field 22 of /proc/<pid>/stat, or null when that process does not exist (or /proc is missing). */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function thisProcess(): ProcessIdentity {
  return { host: hostname(), pid: process.pid, procStart: processStartTicks(process.pid) ?? '' };
}

/** The journal's lease as `status` shows it. */
export interface LeaseHolder {
  host: string;
  pid: number;
  heartbeatAt: Date;
  /** Its supervisor is running, as far as the journal can tell (the rule a second run applies). */
  live: boolean;
}

/** The lease in a journal opened read-only, or null when no run holds it (or the journal predates leases). */
export function readLease(db: Database.Database): LeaseHolder | null {
  const row = leaseRow(db);
  if (row === undefined) return null;
  return { host: row.host, pid: row.pid, heartbeatAt: new Date(row.heartbeat_at), live: isLive(row, hostname(), Date.now()) };
}

/** Who takes the lease (tests: another host or process) and the clock it is judged by. */
export interface LeaseOptions {
  self?: ProcessIdentity;
  now?: () => number;
}

/**
 * The one rule for a holder, applied by a second run and by `status`: its heartbeat is recent and, when it
 * ran on `host` (the asker's), its process is still there.
 */
function isLive(held: LeaseRow, host: string, now: number): boolean {
  if (now - held.heartbeat_at > LEASE_STALE_MS) return false;
  if (held.host !== host) return true;
  // Without /proc (not Linux) nothing can be told from a pid: only the heartbeat decides.
  return held.proc_start === '' || processStartTicks(held.pid) === held.proc_start;
}

export class JournalLease {
  private released = false;
  private readonly renewStmt: Database.Statement<[number, string]>;
  private readonly releaseStmt: Database.Statement<[string]>;

  private constructor(
    private readonly db: Database.Database,
    private readonly owner: string,
    private readonly now: () => number,
  ) {
    this.renewStmt = db.prepare('UPDATE lease SET heartbeat_at = ? WHERE id = 1 AND owner = ?');
    this.releaseStmt = db.prepare('DELETE FROM lease WHERE id = 1 AND owner = ?');
  }

  /** Take the lease of the journal open in `db`, or throw JournalBusyError naming its live holder. */
  static acquire(db: Database.Database, path: string, options: LeaseOptions = {}): JournalLease {
    const self = options.self ?? thisProcess();
    const now = options.now ?? Date.now;
    db.exec(DDL);
    db.transaction(() => {
      const t = now();
      refuseIfHeld(db, path, self, t);
      db.prepare('INSERT OR REPLACE INTO lease (id, owner, host, pid, proc_start, acquired_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?, ?)').run(ownerOf(self), self.host, self.pid, self.procStart, t, t);
    }).immediate();
    return new JournalLease(db, ownerOf(self), now);
  }

  /** Check, without taking it, that nobody live holds the journal (before --fresh moves its files aside). */
  static assertFree(db: Database.Database, path: string, options: LeaseOptions = {}): void {
    refuseIfHeld(db, path, options.self ?? thisProcess(), (options.now ?? Date.now)());
  }

  /** Renew the heartbeat. False when another process has taken the lease over (this one was thought gone). */
  renew(): boolean {
    if (this.released || !this.db.open) return false;
    return this.renewStmt.run(this.now(), this.owner).changes === 1;
  }

  /** Give the lease up (end of run); a lease taken over by another process is left to it. */
  release(): void {
    if (this.released || !this.db.open) return;
    this.released = true;
    this.releaseStmt.run(this.owner);
  }
}

function ownerOf(p: ProcessIdentity): string {
  return `${p.host}/${p.pid}/${p.procStart}`;
}

function leaseRow(db: Database.Database): LeaseRow | undefined {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lease'").get() !== undefined;
  return hasTable ? db.prepare<[], LeaseRow>('SELECT * FROM lease WHERE id = 1').get() : undefined;
}

function refuseIfHeld(db: Database.Database, path: string, self: ProcessIdentity, now: number): void {
  const held = leaseRow(db);
  if (held && held.owner !== ownerOf(self) && isLive(held, self.host, now)) throw new JournalBusyError(busyMessage(path, held, now));
}

function busyMessage(path: string, held: LeaseRow, now: number): string {
  const ago = Math.max(0, Math.round((now - held.heartbeat_at) / 1000));
  return (
    `journal ${path} is in use by another supervisor (host ${held.host}, pid ${held.pid}, since ` +
    `${new Date(held.acquired_at).toISOString()}, last heartbeat ${ago} s ago): one run per --state. ` +
    `Stop that run, or wait: its lease lapses ${LEASE_STALE_MS / 1000} s after its last heartbeat.`
  );
}
