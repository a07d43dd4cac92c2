// Issue 22: the sync's figures on /metrics and the progress lines under `run --watch`, through the real CLI.
// A first full pass held mid-copy has no lag yet and files pending; between passes /readyz stays ready and
// nothing is pending; a delta held mid-copy shows its pending files and a lag that grows until it completes;
// the last pass's counts by kind and the passes by kind follow.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, objectMd5, startCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { startMediaGate } from './support/media-gate.js';
import type { MediaGate } from './support/media-gate.js';
import { sampleValue } from './support/metrics-scrape.js';
import { until } from './support/within.js';
import { FOLDER_MIME } from '../src/fake-drive/index.js';

/** One scrape of /metrics: a sample's value by name and labels (the assertion fails when it is missing). */
type Scrape = (name: string, labels?: Record<string, string>) => number;

const BIN = 'application/octet-stream';
let w: World;
let firstGate: MediaGate;
let deltaGate: MediaGate;

before(async () => {
  w = await startWorld({
    nodes: [
      { id: 'W', name: 'W', parents: ['root'], mimeType: FOLDER_MIME },
      { id: 'a', name: 'a.bin', parents: ['W'], mimeType: BIN, size: 1000 },
      { id: 'b', name: 'b.bin', parents: ['W'], mimeType: BIN, size: 2000 },
      { id: 'first-held', name: 'held.bin', parents: ['W'], mimeType: BIN, size: 3000 },
    ],
  });
  firstGate = await startMediaGate(w.drive.rootUrl, 'first-held');
  // Chained: the delta's new file is held by the outer gate, the first pass's file by the inner one.
  deltaGate = await startMediaGate(firstGate.rootUrl, 'added');
});

after(async () => {
  firstGate.release();
  deltaGate.release();
  await Promise.all([firstGate.close(), deltaGate.close()]);
  await w.close();
});

test('run --watch: lag, pending and the passes on /metrics and in the progress lines; /readyz ready between passes', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const flags = ['--workers', '1', '--drive-retries', '0', '--watch', '--watch-interval-s', '2', '--drive-root-url', deltaGate.rootUrl, '--metrics-port', String(port), '--metrics-host', '127.0.0.1', '--progress', 'log', '--progress-interval-s', '1'];
  const watching = startCli(worldFlags(w, 'W', flags), {}, w.s3);
  let stdout = '';
  watching.proc.stdout?.on('data', (d: Buffer | string) => (stdout += String(d)));
  const metric = async (): Promise<Scrape> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return (name, labels) => {
      const v = sampleValue(text, name, labels);
      assert.ok(v !== undefined, `${name} ${JSON.stringify(labels ?? {})} in the scrape`);
      return v;
    };
  };
  /** Scrapes until `accept` takes one (the run's figures change as it goes); fails after 60 s. */
  const scrapeUntil = async (accept: (m: Scrape) => boolean, why: string): Promise<Scrape> => {
    const accepted: Scrape[] = [];
    const take = async (): Promise<boolean> => {
      const m = await metric().catch(() => null);
      if (m !== null && accept(m)) accepted.push(m);
      return accepted.length > 0;
    };
    await until(take, 60_000, () => `${why}:\n${stdout.slice(-3000)}`, 50);
    const [m] = accepted;
    assert.ok(m);
    return m;
  };
  const progressSync = (): { running: string | null; pending: number; lagS: number | null }[] =>
    stdout.split('\n').filter((l) => l.includes('"msg":"progress"')).map((l) => (JSON.parse(l) as { progress: { sync: { running: string | null; pending: number; lagS: number | null } } }).progress.sync);

  try {
    // The first (full) pass, held mid-copy: no pass completed on this journal, so no lag yet.
    await firstGate.held;
    const first = await scrapeUntil((m) => m('supervisor_sync_changes_pending') >= 1, 'the full pass has files pending');
    assert.equal(first('supervisor_sync_pass_running'), 1);
    assert.equal(first('supervisor_sync_lag_seconds'), -1, 'no pass completed yet');
    assert.equal(first('supervisor_sync_passes_total', { kind: 'full' }), 0);
    assert.equal(first('supervisor_sync_watch_interval_seconds'), 2);
    firstGate.release();

    // Between passes: ready, nothing pending, a lag measured from the full pass.
    const between = await scrapeUntil((m) => m('supervisor_sync_passes_total', { kind: 'full' }) === 1 && m('supervisor_sync_pass_running') === 0, 'the full pass completed');
    assert.equal((await fetch(`${base}/readyz`)).status, 200, '/readyz between passes');
    assert.equal(between('supervisor_sync_changes_pending'), 0);
    assert.ok(between('supervisor_sync_lag_seconds') >= 0, 'a lag once a pass completed');
    const idle = await scrapeUntil((m) => m('supervisor_sync_passes_total', { kind: 'delta' }) >= 1 && m('supervisor_sync_pass_running') === 0, 'an idle delta between passes');
    assert.equal((await fetch(`${base}/readyz`)).status, 200, '/readyz between delta passes');
    assert.deepEqual(['new', 'changed', 'moved', 'deleted'].map((kind) => idle('supervisor_sync_pass_files', { kind })), [0, 0, 0, 0], 'an idle delta');

    // A delta with changes, held mid-copy: its files are pending and the lag grows until it completes.
    w.drive.updateFile('a', { size: 1111 });
    w.drive.updateFile('b', { trashed: true });
    w.drive.addNodes([{ id: 'added', name: 'added.bin', parents: ['W'], mimeType: BIN, size: 4000 }]);
    await deltaGate.held;
    const held = await scrapeUntil((m) => m('supervisor_sync_pass_running') === 1 && m('supervisor_sync_changes_pending') >= 1, 'the delta has files pending');
    const deltasBefore = held('supervisor_sync_passes_total', { kind: 'delta' });
    const stuck = await scrapeUntil((m) => m('supervisor_sync_lag_seconds') >= 5, 'the lag grows while a pass cannot complete');
    assert.equal(stuck('supervisor_sync_passes_total', { kind: 'delta' }), deltasBefore, 'no pass completed meanwhile');
    assert.equal((await fetch(`${base}/readyz`)).status, 200, '/readyz during a pass');
    const heldLines = progressSync().filter((s) => s.running === 'delta' && s.pending >= 1);
    assert.ok(heldLines.length > 0, `a progress line shows the delta's pending files:\n${stdout.slice(-2000)}`);
    assert.ok(heldLines.every((s) => s.lagS !== null && s.lagS >= 0), 'and a lag');
    deltaGate.release();

    const applied = await scrapeUntil((m) => m('supervisor_sync_passes_total', { kind: 'delta' }) === deltasBefore + 1 && m('supervisor_sync_pass_running') === 0, 'the delta completed');
    assert.deepEqual(['new', 'changed', 'moved', 'deleted'].map((kind) => applied('supervisor_sync_pass_files', { kind })), [1, 1, 0, 1], 'the last pass: added.bin new, a.bin changed, b.bin trashed');
    assert.equal(applied('supervisor_sync_changes_pending'), 0);
    assert.ok(applied('supervisor_sync_lag_seconds') < stuck('supervisor_sync_lag_seconds'), 'the lag falls back once the pass completed');
    assert.ok(applied('supervisor_files_total', { status: 'done' }) >= 2, 'the files of the delta were copied');
  } finally {
    firstGate.release();
    deltaGate.release();
    watching.proc.kill('SIGTERM');
  }
  const end = await watching.done;
  assert.equal(end.code, 143, end.stderr.slice(-2000));
  assert.equal(await objectMd5(w, 'added.bin'), await w.drive.trueMd5('added'));
  assert.equal(await objectMd5(w, 'a.bin'), await w.drive.trueMd5('a'));
});

test('run --watch: a file failed for a transient reason is pending again at the next pass, as a new run makes it', async () => {
  w.drive.addNodes([{ id: 'flaky', name: 'flaky.bin', parents: ['W'], mimeType: BIN, size: 5000 }]);
  // One 500 on its download: with --drive-retries 0 the file fails (transient) in the first pass.
  w.drive.addFault({ route: 'media', fileId: 'flaky', times: 1, fault: { type: 'status', status: 500, reason: 'backendError' } });
  w.drive.resetStats();
  const watching = startCli(worldFlags(w, 'W', ['--workers', '1', '--drive-retries', '0', '--max-attempts', '1', '--watch', '--watch-interval-s', '1']), {}, w.s3);
  let output = '';
  watching.proc.stdout?.on('data', (d: Buffer | string) => (output += String(d)));
  watching.proc.stderr?.on('data', (d: Buffer | string) => (output += String(d)));
  try {
    // The requeue line, then a pass line after it (logs on stdout, the summary on stderr, in arrival order).
    const requeuedThenPassed = (): boolean => /failed for a transient reason are pending again[\s\S]*supervisor: delta pass: /.test(output);
    await until(requeuedThenPassed, 60_000, () => `the failed file requeued and copied by a later pass:\n${output.slice(-3000)}`, 50);
  } finally {
    watching.proc.kill('SIGTERM');
  }
  const end = await watching.done;
  assert.equal(end.code, 143, end.stderr.slice(-2000));
  assert.match(output, /run completed in .* \(exit 1\)/, 'the first pass ended with the file failed');
  assert.equal(w.drive.stats.mediaRequestsByFile.get('flaky'), 2, 'failed once, copied by the next pass');
  assert.equal(await objectMd5(w, 'flaky.bin'), await w.drive.trueMd5('flaky'));
});
