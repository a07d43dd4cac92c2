// Google Drive unreachable mid-run, through the real CLI (issue 20, point 5). The CLI reaches the fake Drive
// through a TCP relay (test/support/outage.ts) that the test closes (connection refused, open sockets cut)
// and reopens on the same port. With the default --drive-retries 8: a child's first refused request reaches
// the supervisor at once, which probes, pauses dispatch and has the children hand their files back without
// spending their retries; the listing waits where it is. Past --outage-timeout-s the run stops with exit 69,
// nothing failed, and a rerun finishes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import type { FakeNodeSpec } from '../src/fake-drive/index.js';
import { JournalReader } from '../src/journal/journal-reader.js';
import { ExitCode } from '../src/exit-codes.js';
import { assertStoppedCheckpointed, countsOf, folderOfFiles, freePort, listKeys, runCli, startCli, startWorld, waitForDone, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { maxAttempts, retriesByFile, startRelay, waitForLog } from './support/outage.js';
import type { TcpRelay } from './support/outage.js';
import { until } from './support/within.js';

const FILES = 30;
/** Folders under each listing test's root: at the listing's share of --drive-tps 10, seconds of listing. */
const FOLDERS = 40;
const PER_FOLDER = 2;
const DRIVE_RETRIES = 8;

/** A folder `id` under the root holding FOLDERS folders of PER_FOLDER small files each. */
function treeOfFolders(id: string, name: string): FakeNodeSpec[] {
  const nodes: FakeNodeSpec[] = [{ id, name, parents: ['root'], mimeType: FOLDER_MIME }];
  for (let f = 0; f < FOLDERS; f++) {
    nodes.push({ id: `${id}-d${f}`, name: `dir-${f}`, parents: [id], mimeType: FOLDER_MIME });
    for (let i = 0; i < PER_FOLDER; i++) nodes.push({ id: `${id}-d${f}-${i}`, name: `file-${i}.bin`, parents: [`${id}-d${f}`], mimeType: 'application/octet-stream', size: 1000 * (i + 1) });
  }
  return nodes;
}

let w: World;

before(async () => {
  w = await startWorld({ nodes: [...folderOfFiles('M', 'copy', FILES, 3000), ...treeOfFolders('L', 'list'), ...treeOfFolders('T', 'timeout')] });
});

after(async () => {
  await w.close();
});

/** Flags for a run whose Drive is behind `relay`, into `prefix` (journal `<prefix>.db`): one worker, slow Drive, default retries. */
function flags(relay: TcpRelay, root: string, prefix: string, extra: string[]): string[] {
  const base = worldFlags(w, root, ['--workers', '1', '--drive-tps', '10', '--drive-retries', String(DRIVE_RETRIES), '--log-level', 'info', '--s3-prefix', prefix, ...extra]);
  base[base.indexOf('--drive-root-url') + 1] = `${relay.endpoint}/`;
  base[base.indexOf('--state') + 1] = join(w.dir, `${prefix}.db`);
  base[base.indexOf('--report') + 1] = join(w.dir, `${prefix}.json`);
  return base;
}

function listingState(state: string): string {
  const reader = JournalReader.openReadOnly(state);
  try {
    return reader.listingState();
  } finally {
    reader.close();
  }
}

/** Resolves once the fake Drive has answered `more` list requests from now on (the listing is under way). */
async function listedMore(more: number): Promise<void> {
  const target = w.drive.stats.listRequests + more;
  await until(() => w.drive.stats.listRequests >= target, 60_000, `${more} more list requests`);
}

async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

test('Drive refusing connections mid-copy pauses dispatch at the first refused request; back, every file ends done, none failed', async (t) => {
  const relay = await startRelay(new URL(w.drive.rootUrl));
  t.after(() => relay.close());
  const state = join(w.dir, 'copy.db');
  const port = await freePort();
  const run = startCli(flags(relay, 'M', 'copy', ['--outage-timeout-s', '600', '--metrics-port', String(port), '--metrics-host', '127.0.0.1']), {}, w.s3);
  await waitForDone(state, 3);
  assert.equal(listingState(state), 'complete', 'the listing (one page) is done: this outage hits the copy');
  const paused = waitForLog(run.proc, 'drive is unreachable: dispatch paused');
  await relay.down();
  const downAt = Date.now();
  await paused;
  t.diagnostic(`Drive down → dispatch paused: ${Date.now() - downAt} ms (a figure, not asserted)`);
  const during = await metricsText(port);
  assert.match(during, /^supervisor_service_unreachable\{service="drive"\} 1$/m);
  assert.match(during, /^supervisor_service_unreachable\{service="s3"\} 0$/m);
  assert.match(during, /^supervisor_outage_pauses_total\{service="drive"\} 1$/m);
  const resumed = waitForLog(run.proc, 'drive answers again: dispatch resumed');
  await relay.up();
  await resumed;
  assert.match(await metricsText(port), /^supervisor_service_unreachable\{service="drive"\} 0$/m);
  const finished = await run.done;

  assert.equal(finished.code, ExitCode.Ok, finished.stderr.slice(-3000));
  const counts = countsOf(state);
  assert.equal(counts?.byStatus.done.files, FILES);
  assert.equal(counts.byStatus.failed.files, 0);
  assert.equal((await listKeys(w, 'copy/')).length, FILES);
  assert.equal(maxAttempts(state), 0, 'a file handed back for the outage counts no attempt');
  // The files in flight handed themselves back instead of spending their retries on a Drive that was not there.
  assert.match(finished.stdout, /handing the file back: its service is down/);
  const retries = retriesByFile(finished.stdout, 'connection-reset');
  for (const [fileId, n] of retries) assert.ok(n < DRIVE_RETRIES, `${fileId} spent ${n} of ${DRIVE_RETRIES} retries on the outage`);
  t.diagnostic(`retries spent on the refused Drive, by file: ${JSON.stringify(Object.fromEntries(retries))}`);
  const report = JSON.parse(await readFile(join(w.dir, 'copy.json'), 'utf8')) as { outages: { service: string; startedAt: string; durationMs: number; resolved: boolean }[] };
  assert.equal(report.outages.length, 1, JSON.stringify(report.outages));
  assert.equal(report.outages[0]?.service, 'drive');
  assert.equal(report.outages[0]?.resolved, true);
  assert.ok((report.outages[0]?.durationMs ?? 0) > 0);
  assert.match(finished.stderr, /outage: drive unreachable from \S+ for /);
});

test('Drive refusing connections during the listing: the listing waits where it is and continues when Drive answers', async (t) => {
  const relay = await startRelay(new URL(w.drive.rootUrl));
  t.after(() => relay.close());
  const state = join(w.dir, 'list.db');
  const run = startCli(flags(relay, 'L', 'list', ['--outage-timeout-s', '600']), {}, w.s3);
  const listRequests = w.drive.stats.listRequests;
  await listedMore(4);
  const waiting = waitForLog(run.proc, 'the listing waits for Google Drive to answer again');
  const paused = waitForLog(run.proc, 'drive is unreachable: dispatch paused');
  await relay.down();
  await Promise.all([waiting, paused]);
  const resumed = waitForLog(run.proc, 'the listing continues where it was');
  await relay.up();
  await resumed;
  const finished = await run.done;

  assert.equal(finished.code, ExitCode.Ok, finished.stderr.slice(-3000));
  const counts = countsOf(state);
  assert.equal(counts?.byStatus.done.files, FOLDERS * PER_FOLDER);
  assert.equal(counts.byStatus.failed.files, 0);
  assert.equal(listingState(state), 'complete');
  assert.equal(maxAttempts(state), 0);
  assert.equal((await listKeys(w, 'list/')).length, FOLDERS * PER_FOLDER);
  // The listing continued: each folder listed once (no relisting from the root), plus the requests refused meanwhile.
  assert.ok(w.drive.stats.listRequests - listRequests >= FOLDERS + 1);
});

test('Drive down during the listing past --outage-timeout-s: exit 69 and one line, nothing failed, a rerun finishes', async (t) => {
  const relay = await startRelay(new URL(w.drive.rootUrl));
  t.after(() => relay.close());
  const state = join(w.dir, 'timeout.db');
  const run = startCli(flags(relay, 'T', 'timeout', ['--outage-timeout-s', '3']), {}, w.s3);
  await listedMore(4);
  const waiting = waitForLog(run.proc, 'the listing waits for Google Drive to answer again');
  await relay.down();
  await waiting;
  const stopped = await run.done;

  assert.equal(stopped.code, ExitCode.ServiceUnavailable, stopped.stderr.slice(-3000));
  const lines = stopped.stderr.split('\n').filter((l) => l.startsWith('supervisor: '));
  assert.equal(lines.length, 1, stopped.stderr.slice(-3000));
  assert.match(lines[0] ?? '', /^supervisor: Google Drive unreachable for \d+ s \(past --outage-timeout-s\): the run stopped, \d+ files still pending, none marked failed; rerun once it answers$/);
  t.diagnostic(lines[0] ?? '');
  assert.equal(listingState(state), 'running', 'the listing was cut short by the outage');
  const listed = countsOf(state)?.total.files ?? 0;
  assert.ok(listed < FOLDERS * PER_FOLDER, `listed ${listed}`);
  assertStoppedCheckpointed(state, listed, 'Drive was down');
  assert.equal(maxAttempts(state), 0);

  await relay.up();
  const rerun = await runCli(flags(relay, 'T', 'timeout', []), {}, w.s3);
  assert.equal(rerun.code, ExitCode.Ok, rerun.stderr.slice(-3000));
  assert.equal(countsOf(state)?.byStatus.done.files, FOLDERS * PER_FOLDER);
  assert.equal(listingState(state), 'complete');
  assert.equal((await listKeys(w, 'timeout/')).length, FOLDERS * PER_FOLDER);
});
