// S3 unreachable mid-run, through the real CLI (issue 20, point 5). The CLI reaches s3rver through a TCP
// relay that the test closes (connection refused, open sockets cut) and reopens on the same port. A short
// outage: dispatch pauses, files are requeued uncounted, and every file ends done. A long one: past
// --outage-timeout-s the run stops with exit 69 and one line, nothing failed, and a rerun finishes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ExitCode } from '../src/exit-codes.js';
import { assertStoppedCheckpointed, countsOf, folderOfFiles, listKeys, runCli, startCli, startWorld, waitForDone, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const FILES = 30;

/** A TCP relay to `target` that can go down (listener closed, sockets destroyed) and come back on its port. */
async function startRelay(target: URL): Promise<{ endpoint: string; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const down = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const s of open) s.destroy();
    });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    down,
    up: () => new Promise((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: down,
  };
}

let w: World;

before(async () => {
  w = await startWorld({ nodes: [...folderOfFiles('A', 'short', FILES, 3000), ...folderOfFiles('B', 'long', FILES, 3000)] });
});

after(async () => {
  await w.close();
});


/** Resolves once `text` appears in the run's log (stdout); rejects with what was seen if the run ends first. */
function waitForLog(proc: ReturnType<typeof startCli>['proc'], text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: string): void => {
      seen += d;
      if (!seen.includes(text)) return;
      proc.stdout?.off('data', onData);
      resolve();
    };
    proc.stdout?.on('data', onData);
    proc.once('close', () => reject(new Error(`the run ended before "${text}":\n${seen.slice(-3000)}`)));
  });
}

/** Flags for a run through `relay` into `prefix` (journal `<prefix>.db`): one worker, slow Drive (files remain when S3 goes), no per-file retries. */
function flags(relay: { endpoint: string }, root: string, prefix: string, extra: string[]): string[] {
  const base = worldFlags(w, root, ['--workers', '1', '--drive-tps', '6', '--drive-retries', '0', '--log-level', 'info', '--s3-prefix', prefix, ...extra]);
  const at = base.indexOf('--s3-endpoint');
  base[at + 1] = relay.endpoint;
  base[base.indexOf('--state') + 1] = join(w.dir, `${prefix}.db`);
  return base;
}

test('S3 refusing connections for a few seconds pauses dispatch; every file ends done, none failed', async (t) => {
  const relay = await startRelay(new URL(w.s3.endpoint));
  t.after(() => relay.close());
  const state = join(w.dir, 'short.db');
  const run = startCli(flags(relay, 'A', 'short', ['--outage-timeout-s', '600']), { AWS_ENDPOINT_URL_S3: relay.endpoint }, w.s3);
  await waitForDone(state, 3);
  const paused = waitForLog(run.proc, 'is unreachable: dispatch paused');
  await relay.down();
  await paused;
  const resumed = waitForLog(run.proc, 'answers again: dispatch resumed');
  await relay.up();
  await resumed;
  const finished = await run.done;

  assert.equal(finished.code, ExitCode.Ok, finished.stderr.slice(-3000));
  const counts = countsOf(state);
  assert.equal(counts?.byStatus.done.files, FILES);
  assert.equal(counts.byStatus.failed.files, 0);
  assert.equal((await listKeys(w, 'short/')).length, FILES);
});

test('S3 down past --outage-timeout-s stops the run with exit 69 and one line; nothing failed; a rerun finishes', async (t) => {
  const relay = await startRelay(new URL(w.s3.endpoint));
  t.after(() => relay.close());
  const state = join(w.dir, 'long.db');
  const run = startCli(flags(relay, 'B', 'long', ['--outage-timeout-s', '3']), { AWS_ENDPOINT_URL_S3: relay.endpoint }, w.s3);
  await waitForDone(state, 3);
  await relay.down();
  const stopped = await run.done;

  assert.equal(stopped.code, ExitCode.ServiceUnavailable, stopped.stderr.slice(-3000));
  const lines = stopped.stderr.split('\n').filter((l) => l.startsWith('supervisor: '));
  assert.equal(lines.length, 1, stopped.stderr.slice(-3000));
  assert.match(lines[0] ?? '', /^supervisor: S3 unreachable for \d+ s \(past --outage-timeout-s\): the run stopped, \d+ files still pending, none marked failed; rerun once it answers$/);
  t.diagnostic(lines[0] ?? '');
  const done = assertStoppedCheckpointed(state, FILES, 'S3 was down');
  assert.ok(done >= 3 && done < FILES, `done: ${done}`);

  await relay.up();
  const rerun = await runCli(flags(relay, 'B', 'long', []), { AWS_ENDPOINT_URL_S3: relay.endpoint }, w.s3);
  assert.equal(rerun.code, ExitCode.Ok, rerun.stderr.slice(-3000));
  assert.equal(countsOf(state)?.byStatus.done.files, FILES);
  assert.equal((await listKeys(w, 'long/')).length, FILES);
});
