// One supervisor per journal (journal/lease.ts): a live holder refuses a second run, with one line naming
// the journal and the holder and exit 75; a gone holder (dead process on this host, or no heartbeat for
// the stale time) is taken over; --fresh never moves a held journal aside. The last test runs the real
// CLI against a lease held by a real process, and one against a run whose lease is taken over while it copies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { JournalBusyError, JournalError } from '../src/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import { Journal } from '../src/journal/journal.js';
import { JournalReader } from '../src/journal/journal-reader.js';
import { JournalLease, LEASE_STALE_MS, processStartTicks } from '../src/journal/lease.js';
import type { ProcessIdentity } from '../src/journal/lease.js';
import type { JournalIdentity } from '../src/journal/types.js';
import { folderOfFiles, listKeys, runCli, startCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { until } from './support/within.js';

const root = mkdtempSync(join(tmpdir(), 'lease-test-'));
const IDENTITY: JournalIdentity = { source: 'folder:abc', target: 'bucket/prefix/' };
let counter = 0;
const statePath = (): string => join(root, `case-${(counter += 1)}`, 'journal.db');

const otherHost: ProcessIdentity = { host: 'another-pod', pid: 7, procStart: '12345' };
const thisHost = (pid: number, procStart: string): ProcessIdentity => ({ host: hostname(), pid, procStart });

/** A process that stays alive until killed: a holder whose liveness the kernel can confirm. */
function sleeper(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

/** Leave a lease held by `self` in the journal at `path`, as a run that is still going (or was killed) would. */
function holdLease(path: string, self: ProcessIdentity, now = Date.now()): void {
  if (!existsSync(path)) Journal.open(path, IDENTITY, { fresh: false }).close();
  const db = new Database(path);
  db.prepare('INSERT OR REPLACE INTO lease (id, owner, host, pid, proc_start, acquired_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?, ?)').run(`${self.host}/${self.pid}/${self.procStart}`, self.host, self.pid, self.procStart, now, now);
  db.close();
}

/** As leaseSeenByStatus, while the run may still be creating the journal's tables: not yet seen. */
function leaseSeenOnceCreated(path: string): boolean | undefined {
  try {
    return leaseSeenByStatus(path);
  } catch (err) {
    if (err instanceof JournalError && /no such table/.test(err.message)) return undefined;
    throw err;
  }
}

/** Whether `status` (a read-only reader) sees a live holder. */
function leaseSeenByStatus(path: string): boolean | undefined {
  const reader = JournalReader.openReadOnly(path);
  try {
    return reader.leaseHolder()?.live;
  } finally {
    reader.close();
  }
}

/** Run `fn` while a sleeper process lives; it is killed (and reaped) whatever happens. */
async function withSleeper(fn: (proc: ChildProcess, pid: number) => Promise<void>): Promise<void> {
  const proc = sleeper();
  try {
    await fn(proc, proc.pid ?? 0);
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await new Promise((resolve) => proc.once('exit', resolve));
    }
  }
}

let w: World;
before(async () => {
  w = await startWorld({
    nodes: folderOfFiles('L', 'lease', 3, 1000),
  });
});
after(async () => {
  await w.close();
  rmSync(root, { recursive: true, force: true });
});

test('lease: a live holder on another host refuses the journal, naming it and the holder; its stale lease is taken over', () => {
  const path = statePath();
  const t0 = 1_800_000_000_000;
  holdLease(path, otherHost, t0);
  assert.throws(
    () => Journal.open(path, IDENTITY, { fresh: false, lease: { now: () => t0 + 5_000 } }),
    (err: unknown) => {
      assert.ok(err instanceof JournalBusyError);
      for (const part of [path, 'another-pod', 'pid 7', 'last heartbeat 5 s ago', 'one run per --state', `${LEASE_STALE_MS / 1000} s`]) {
        assert.ok(err.message.includes(part), `message names ${part}: ${err.message}`);
      }
      return true;
    },
  );
  const later = Journal.open(path, IDENTITY, { fresh: false, lease: { now: () => t0 + LEASE_STALE_MS + 1 } });
  assert.equal(later.renewLease(), true);
  later.close();
});

test('lease: a holder that renews keeps it; one taken over learns it on its next renewal and leaves the new lease alone', () => {
  const path = statePath();
  let now = 1_800_000_000_000;
  const clock = (): number => now;
  const first = Journal.open(path, IDENTITY, { fresh: false, lease: { self: otherHost, now: clock } });
  now += LEASE_STALE_MS - 1_000;
  assert.equal(first.renewLease(), true);
  now += LEASE_STALE_MS - 1_000;
  assert.throws(() => Journal.open(path, IDENTITY, { fresh: false, lease: { now: clock } }), JournalBusyError);
  now += LEASE_STALE_MS + 1;
  const second = Journal.open(path, IDENTITY, { fresh: false, lease: { now: clock } });
  assert.equal(first.renewLease(), false);
  first.close();
  now += 1_000;
  assert.throws(() => Journal.open(path, IDENTITY, { fresh: false, lease: { self: otherHost, now: clock } }), JournalBusyError, 'the first closing did not release the second\'s lease');
  second.close();
  const third = Journal.open(path, IDENTITY, { fresh: false, lease: { self: otherHost, now: clock } });
  third.close();
});

test('lease: on this host the holder is checked by pid and start time: alive refuses, dead or a reused pid is taken over at once', async () => {
  const path = statePath();
  await withSleeper(async (proc, pid) => {
    const start = processStartTicks(pid);
    assert.ok(start !== null, 'the kernel reports the sleeper\'s start time');
    holdLease(path, thisHost(pid, start));
    assert.throws(() => Journal.open(path, IDENTITY, { fresh: false }), JournalBusyError);
    assert.equal(leaseSeenByStatus(path), true);
    // The same pid with another start time is another process: the holder is gone.
    holdLease(path, thisHost(pid, `${start}0`));
    Journal.open(path, IDENTITY, { fresh: false }).close();
    holdLease(path, thisHost(pid, start));
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('exit', resolve));
    assert.equal(leaseSeenByStatus(path), false, 'status no longer calls a dead holder running');
    Journal.open(path, IDENTITY, { fresh: false }).close();
  });
});

test('lease: --fresh refuses to move a held journal aside', () => {
  const path = statePath();
  holdLease(path, otherHost);
  assert.throws(() => Journal.open(path, IDENTITY, { fresh: true }), JournalBusyError);
  assert.ok(existsSync(path));
  assert.deepEqual(readdirSync(dirname(path)).filter((f) => f.includes('.replaced-')), []);
});

test('lease: the CLI refuses a journal held by a live run (exit 75, one line) and takes it over once that process is gone', async () => {
  const state = join(w.dir, 'held', 'journal.db');
  const flags = worldFlags(w, 'L', ['--state', state]);
  const first = await runCli(['run', ...flags], {}, w.s3);
  assert.equal(first.code, ExitCode.Ok, first.stderr);
  await withSleeper(async (_proc, pid) => {
    const db = new Database(state);
    JournalLease.acquire(db, state, { self: thisHost(pid, processStartTicks(pid) ?? '') });
    db.close();
    const busy = await runCli(['run', ...flags], {}, w.s3);
    assert.equal(busy.code, ExitCode.Busy);
    // The memory plan is printed first; the refusal is the one line that follows it.
    const errors = busy.stderr.trim().split('\n').filter((l) => l.startsWith('supervisor:'));
    assert.equal(errors.length, 1, busy.stderr);
    assert.match(errors[0] ?? '', new RegExp(`^supervisor: journal ${state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another supervisor \\(host ${hostname()}, pid ${pid}, `));
    assert.ok(busy.stderr.trim().endsWith('its lease lapses 60 s after its last heartbeat.'), busy.stderr);
  });
  const again = await runCli(['run', ...flags], {}, w.s3);
  assert.equal(again.code, ExitCode.Ok, again.stderr);
  assert.equal((await listKeys(w)).length, 3);
});

test('lease: a run whose lease another supervisor took over stops at its next heartbeat (exit 75, one error line) and loses nothing', async () => {
  const state = join(w.dir, 'taken', 'journal.db');
  const flags = worldFlags(w, 'L', ['--state', state, '--workers', '1']);
  // One file's download is told to come back in 30 s: the run is still going when its heartbeat (every
  // 200 ms here, not 10 s) comes round.
  w.drive.addFault({ route: 'media', fileId: 'l-1', times: 1, fault: { type: 'status', status: 429, retryAfter: '30' } });
  const run = startCli(['run', ...flags], { DRIVE_S3_TEST_LEASE_HEARTBEAT_MS: '200' }, w.s3);
  try {
    // Wait for the run's lease, then take it over as a supervisor on another host would after judging it gone.
    await until(() => existsSync(state) && leaseSeenOnceCreated(state) === true, 20_000, 'the run to take its lease');
    holdLease(state, otherHost);
    const stopped = await run.done;
    assert.equal(stopped.code, ExitCode.Busy, stopped.stderr);
    const output = `${stopped.stdout}${stopped.stderr}`;
    assert.equal(output.split('\n').filter((l) => l.includes('another supervisor took this journal over: stopping')).length, 1, output);
    // The new holder's lease is left alone, and no file is left in flight: each is done or will be copied again.
    const reader = JournalReader.openReadOnly(state);
    try {
      assert.equal(reader.leaseHolder()?.host, 'another-pod');
      const { byStatus } = reader.counts();
      assert.equal(byStatus['in-progress'].files, 0);
      assert.equal(byStatus.done.files + byStatus.pending.files, 3);
      assert.ok(byStatus.pending.files >= 1, 'the delayed file was not copied');
    } finally {
      reader.close();
    }
  } finally {
    if (run.proc.exitCode === null) run.proc.kill('SIGKILL');
    w.drive.clearFaults();
  }
  // Once the other supervisor is gone, the next run finishes the rest.
  const db = new Database(state);
  db.prepare('DELETE FROM lease').run();
  db.close();
  const again = await runCli(['run', ...flags], {}, w.s3);
  assert.equal(again.code, ExitCode.Ok, again.stderr);
  assert.equal((await listKeys(w)).length, 3);
});
