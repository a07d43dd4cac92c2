// The operator's view, through the real CLI: exit codes, one-line errors, preflight, metrics and health,
// SIGTERM and resume, plan, status, verify, and no secret anywhere in the output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { SUPERVISOR_HEAP_LIMIT_MB, SUPERVISOR_NODE_FLAGS } from '../src/cli/node-flags.js';
import { CLI, TOKEN, folderOfFiles, freePort, listKeys, readReport, runCli, startCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { until } from './support/within.js';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const MiB = 1024 * 1024;
const AWS_SECRET = 'aws-secret-key-never-printed-0123456789';
let w: World;

before(async () => {
  w = await startWorld({
    nodes: [
      ...folderOfFiles('O', 'ops', 30, 1000),
      { id: 'o-big', name: 'big.bin', parents: ['O'], mimeType: 'application/octet-stream', size: 150 * MiB },
      { id: 'o-form', name: 'Form', parents: ['O'], mimeType: 'application/vnd.google-apps.form' },
    ],
  });
});

after(async () => {
  await w.close();
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...SUPERVISOR_NODE_FLAGS, CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('configuration errors: one line naming the flag, exit 2', () => {
  const bad = cli(['run', '--child-rss-soft-mb', 'lots']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'supervisor: invalid --child-rss-soft-mb (SUPERVISOR_CHILD_RSS_SOFT_MB): "lots" is not a number\n');
  const env = cli(['run'], { SUPERVISOR_WORKERS: 'many' });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /invalid --workers \(SUPERVISOR_WORKERS\): "many" is not a number/);
  const unknown = cli(['run', '--wrokers', '2']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown argument: wrokers/);
  const plan = cli(['run', '--drive-access-token', TOKEN, '--s3-bucket', 'b', '--s3-region', 'us-east-1', '--memory-budget-mb', '600', '--workers', '8']);
  assert.equal(plan.code, 2);
  assert.match(plan.stderr, /memory plan does not fit: --workers 8 × --child-rss-hard-mb \d+ \+ --supervisor-reserve-mb 96 = \d+ MB > --memory-budget-mb 600 \(flag\); try --workers 5/);
  const noBucket = cli(['run', '--drive-access-token', TOKEN]);
  assert.equal(noBucket.code, 2);
  assert.match(noBucket.stderr, /--s3-bucket \(SUPERVISOR_S3_BUCKET\) is required/);
  assert.doesNotMatch(noBucket.stderr, /memory plan/i, 'a missing bucket is said before the plan is printed');
});

test('preflight: a missing folder or bucket is one line and exit 2, before any child starts', async () => {
  const folder = await runCli(worldFlags(w, 'no-such-folder'), {}, w.s3);
  assert.equal(folder.code, 2, folder.stderr);
  assert.match(folder.stderr, /supervisor: --drive-folder-id no-such-folder: not found/);
  const bucket = await runCli([...worldFlags(w, 'O'), '--s3-bucket', 'no-such-bucket'], {}, w.s3);
  assert.equal(bucket.code, 2);
  assert.match(bucket.stderr, /supervisor: .*--s3-bucket/);
  for (const r of [folder, bucket]) assert.doesNotMatch(r.stdout, /child ready/);
});

test('SIGTERM stops with 143 and loses nothing; metrics, health and readiness answer while running; a rerun finishes', async () => {
  const port = await freePort();
  const flags = worldFlags(w, 'O', ['--metrics-port', String(port), '--metrics-host', '127.0.0.1', '--workers', '2', '--drive-tps', '5', '--log-level', 'debug']);
  const run = startCli(flags, { AWS_SECRET_ACCESS_KEY: AWS_SECRET }, w.s3);
  const base = `http://127.0.0.1:${port}`;
  let metrics = '';
  const readyWithChildMemory = async (): Promise<boolean> => {
    try {
      if ((await fetch(`${base}/readyz`)).status !== 200) return false;
      metrics = await (await fetch(`${base}/metrics`)).text();
      return /supervisor_child_memory_bytes\{child="\d+",kind="uss"\} [1-9]/.test(metrics);
    } catch {
      return false; // not listening yet
    }
  };
  await until(readyWithChildMemory, 30_000, 'the metrics server ready, with a child\'s memory', 100);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  for (const name of ['supervisor_files_total', 'supervisor_bytes_copied_total', 'supervisor_recycles_total', 'supervisor_queue_depth', 'supervisor_memory_budget_bytes', 'supervisor_pod_memory_bytes', 'supervisor_child_memory_cap_bytes']) {
    assert.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'));
  }
  run.proc.kill('SIGTERM');
  const stopped = await run.done;
  assert.equal(stopped.code, 143, stopped.stderr.slice(-2000));
  const report = await readReport(w);
  assert.equal(report.exitCode, 143);
  // Nothing lost: everything not done is pending for the next run, which finishes.
  const rerun = await runCli(worldFlags(w, 'O'), { AWS_SECRET_ACCESS_KEY: AWS_SECRET }, w.s3);
  assert.equal(rerun.code, 0, rerun.stderr);
  const keys = await listKeys(w);
  assert.equal(keys.length, 31);
  // Secrets given to the runs appear nowhere in their whole output, debug logs included.
  for (const out of [stopped.stdout, stopped.stderr, rerun.stdout, rerun.stderr]) {
    assert.equal(out.includes(TOKEN), false, 'the Drive token leaked');
    assert.equal(out.includes(AWS_SECRET), false, 'the AWS secret leaked');
  }
  assert.match(stopped.stdout, /"childId":\d+,/);
});

test('no secret from a credentials file or OAuth settings reaches the output', async () => {
  const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDsecretsecret\n-----END PRIVATE KEY-----\n';
  const file = join(w.dir, 'sa.json');
  await writeFile(file, JSON.stringify({ type: 'service_account', client_email: 'x@y.iam.gserviceaccount.com', private_key: key, private_key_id: 'kid-0123456789abcdef' }));
  const sa = await runCli([...worldFlags(w, 'O').filter((a, i, all) => a !== '--drive-access-token' && all[i - 1] !== '--drive-access-token'), '--google-credentials', file, '--log-level', 'debug'], {}, w.s3);
  assert.notEqual(sa.code, 0);
  const oauth = await runCli(
    [...worldFlags(w, 'O').filter((a, i, all) => a !== '--drive-access-token' && all[i - 1] !== '--drive-access-token'), '--oauth-client-id', 'client-id-1', '--oauth-client-secret', 'oauth-client-secret-0123456789', '--oauth-refresh-token', 'refresh-token-0123456789abcdef', '--log-level', 'debug'],
    {},
    w.s3,
  );
  for (const out of [sa.stdout, sa.stderr, oauth.stdout, oauth.stderr]) {
    assert.equal(out.includes('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDsecretsecret'), false, 'private key leaked');
    assert.equal(out.includes('oauth-client-secret-0123456789'), false, 'client secret leaked');
    assert.equal(out.includes('refresh-token-0123456789abcdef'), false, 'refresh token leaked');
  }
  assert.match(sa.stderr, /^supervisor: /m);
});

test('plan, status and verify', async () => {
  const plan = await runCli(['plan', ...worldFlags(w, 'O')], {}, w.s3);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /source: 31 files, 150\.4 MiB/);
  assert.match(plan.stdout, /skips: not-exportable 1/);
  assert.match(plan.stdout, /largest files:\n\s+150\.0 MiB {2}big\.bin/);
  assert.match(plan.stdout, /memory plan: budget 4096 MB/);
  assert.match(plan.stdout, /fits the pod: yes/);
  // The heap flags that keep the supervisor inside its reserve come with the CLI itself (its shebang):
  // started as an executable it is capped; started as a bare `node main.js` it is not, and run says so.
  const heapOf = (out: string): number => Number(/supervisor reserve \d+ MB \(its own pages \+ ~\d+ MB all processes share, charged once; its V8 heap limit (\d+) MB\)/.exec(out)?.[1] ?? NaN);
  // (Asynchronously: the fake Drive and s3rver run in this process.)
  const env = { ...process.env, ...w.s3.env };
  const viaShebang = await execFileAsync(CLI, ['plan', ...worldFlags(w, 'O')], { env, encoding: 'utf8' });
  assert.ok(heapOf(viaShebang.stdout) <= SUPERVISOR_HEAP_LIMIT_MB, viaShebang.stdout);
  const bare = await execFileAsync(process.execPath, [CLI, 'plan', ...worldFlags(w, 'O')], { env, encoding: 'utf8' });
  assert.ok(heapOf(bare.stdout) > SUPERVISOR_HEAP_LIMIT_MB, bare.stdout);

  const status = await runCli(['status', '--state', join(w.dir, 'journal.db')]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /done\s+31\s/);
  assert.match(status.stdout, /skipped\s+1\s/);

  const verify = await runCli(['verify', ...worldFlags(w, 'O'), '--deep'], {}, w.s3);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /verify --deep: 31 objects checked, 0 mismatches/);
  await w.client.send(new DeleteObjectCommand({ Bucket: w.s3.bucket, Key: 'file-3.bin' }));
  const broken = await runCli(['verify', ...worldFlags(w, 'O')], {}, w.s3);
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /MISMATCH file-3\.bin: missing in S3/);
});

test('the demo runs end to end on its embedded default and verifies (small sizes)', async () => {
  const r = await runCli(['demo', '--demo-files', '40', '--demo-large-count', '1', '--demo-large-mb', '24', '--progress', 'log', '--progress-interval-s', '1']);
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  assert.match(r.stderr, /memory plan: budget/);
  assert.match(r.stderr, /demo: \d+ objects verified, 0 mismatches/);
  assert.match(r.stdout, /"msg":"progress"/);
});
