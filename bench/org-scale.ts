// An organisation-sized run's figures (issue 23): the fake Drive's organisation (bench/org-world.ts) behind a
// latency and a per-user request quota (403 userRateLimitExceeded), the fast S3 sink, and the real CLI as an
// organisation run (--all-users --all-shared-drives), then the same organisation in two shards side by side.
// Prints users, drives, files, bytes, wall time, files/s, the per-user rate, refusals, peak pod RSS, how many
// drives ran at once and how soon the smallest drives got their first file (docs/benchmark.md, "An organisation").
// Usage: node dist/bench/org-scale.js [--quick] [--files N] [--users N] [--shared-drives N] [--quota N] ...
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SUPERVISOR_NODE_FLAGS } from '../src/cli/node-flags.js';
import { startFakeDrive } from '../src/fake-drive/index.js';
import type { FakeDrive } from '../src/fake-drive/index.js';
import { driveTimes, orgFigures } from './org-figures.js';
import type { LandedObject, OrgFigures } from './org-figures.js';
import { buildOrg } from './org-world.js';
import type { OrgSpec, OrgWorld } from './org-world.js';
import { CREDENTIALS } from './runners.js';
import { startService } from './service-process.js';
import { TreeSampler } from './tree-sampler.js';

const CLI = fileURLToPath(new URL('../src/bundle-supervisor/main.js', import.meta.url));
const SA = 'copier@bench.iam.gserviceaccount.com';
const MB = 1024 * 1024;
/** A My Drive under this many files is done within the quota's burst (a second's worth): no rate of its own. */
const RATE_MIN_FILES = 100;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    users: { type: 'string' },
    'shared-drives': { type: 'string' },
    files: { type: 'string' },
    skew: { type: 'string', default: '0.8' },
    quota: { type: 'string', default: '20' },
    'admin-quota': { type: 'string', default: '100' },
    'latency-ms': { type: 'string', default: '20' },
    workers: { type: 'string', default: '4' },
    shards: { type: 'string', default: '2' },
    'shard-workers': { type: 'string', default: '2' },
    'min-bytes': { type: 'string', default: '512' },
    'max-bytes': { type: 'string', default: '16384' },
    only: { type: 'string', default: 'whole,sharded' },
    seed: { type: 'string', default: '23' },
  },
});

/** A flag as a number, refused with its name when it is not one. */
function num(name: keyof typeof flags, fallback?: number): number {
  const raw = flags[name];
  const v = raw === undefined ? fallback : Number(raw);
  if (v === undefined || !Number.isFinite(v) || v < 0) throw new RangeError(`--${name} must be a non-negative number, got ${String(raw)}`);
  return v;
}

// --quick: a tenth of the files over half the drives, both runs in about three minutes here.
const spec: OrgSpec = {
  users: num('users', flags.quick ? 100 : 200),
  sharedDrives: num('shared-drives', flags.quick ? 10 : 20),
  files: num('files', flags.quick ? 4000 : 40_000),
  skew: num('skew'),
  minBytes: num('min-bytes'),
  maxBytes: num('max-bytes'),
  seed: num('seed'),
};
const quota = num('quota');
const latencyMs = num('latency-ms');
const only = new Set((flags.only ?? '').split(','));

interface RunOutcome {
  label: string;
  exitCode: number | null;
  seconds: number;
  startedAt: number;
  peakTreeMb: number;
  peakChargedMb: number;
  report: { thisRun?: { done: number; failed: number; skipped: number } } | null;
  refused: number;
  admitted: number;
  /** s from the start to the last files.list request the fake answered: when the listing of every drive ended. */
  listedBy: number;
  stderrTail: string;
}

interface Env {
  world: OrgWorld;
  drive: FakeDrive;
  endpoint: string;
  keyFile: string;
  dir: string;
}

/** One CLI process, an organisation run into `bucket`, its process tree sampled while it runs. */
function startRun(env: Env, label: string, bucket: string, workers: number, shard: string | null): Promise<Omit<RunOutcome, 'refused' | 'admitted' | 'listedBy'>> {
  const report = join(env.dir, `${label}.json`);
  const args = [
    ...SUPERVISOR_NODE_FLAGS, CLI, 'run',
    '--google-credentials', env.keyFile,
    '--drive-root-url', env.drive.rootUrl,
    '--admin-root-url', env.drive.rootUrl,
    '--all-users', '--all-shared-drives', '--admin-subject', env.world.admin,
    '--s3-bucket', bucket, '--s3-endpoint', env.endpoint, '--s3-force-path-style', '--s3-checksum', 'when-required', '--s3-sign-payload', 'never',
    '--state', join(env.dir, `${label}.db`), '--fresh', '--report', report, '--progress', 'off', '--log-level', 'warn',
    '--workers', String(workers), '--memory-budget-mb', '2048',
    ...(shard === null ? [] : ['--shard', shard]),
  ];
  const startedAt = Date.now();
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const sampler = new TreeSampler(proc.pid ?? 0, 250, null);
  return new Promise((resolve) => {
    proc.once('close', (code) => {
      const samples = sampler.stop();
      const seconds = (Date.now() - startedAt) / 1000;
      void readFile(report, 'utf8').then(
        (text) => JSON.parse(text) as RunOutcome['report'],
        () => null,
      ).then((r) => resolve({ label, exitCode: code, seconds, startedAt, peakTreeMb: Math.round(samples.peakTree / MB), peakChargedMb: Math.round(samples.peakCharged / MB), report: r, stderrTail: stderr }));
    });
  });
}

/** Runs started together; the quota's counts are the fake's over all of them. */
async function runAll(env: Env, runs: { label: string; bucket: string; workers: number; shard: string | null }[]): Promise<RunOutcome[]> {
  const before = { ...env.drive.quota.stats };
  // The fake runs in this process: its count of list requests, read four times a second, says when listing stopped.
  let lists = env.drive.stats.listRequests;
  let lastList = Date.now();
  const watch = setInterval(() => {
    if (env.drive.stats.listRequests === lists) return;
    lists = env.drive.stats.listRequests;
    lastList = Date.now();
  }, 250);
  const outs = await Promise.all(runs.map((r) => startRun(env, r.label, r.bucket, r.workers, r.shard)));
  clearInterval(watch);
  const refused = env.drive.quota.stats.refused - before.refused;
  const admitted = env.drive.quota.stats.admitted - before.admitted;
  return outs.map((o) => ({ ...o, refused, admitted, listedBy: (lastList - o.startedAt) / 1000 }));
}

async function landed(endpoint: string, bucket: string): Promise<LandedObject[]> {
  const s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: CREDENTIALS });
  const out: LandedObject[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || o.Key.endsWith('_manifest.jsonl.gz')) continue;
        out.push({ key: o.Key, size: o.Size ?? 0, at: o.LastModified?.getTime() ?? 0 });
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    s3.destroy();
  }
  return out;
}

const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');

function row(o: RunOutcome, fig: OrgFigures, drives: number, users: number): string {
  const requests = o.admitted + o.refused;
  return `| ${o.label} | ${o.exitCode === 0 ? 'yes' : `NO (exit ${String(o.exitCode)})`} | ${users} | ${drives} (${fig.complete} complete) | ${fig.files} | ${f1(fig.bytes / MB)} | ${f1(o.seconds)} | ${f1(fig.files / o.seconds)} (${f1(fig.busiest10s)}) | ${f1(fig.userRate.p10)} / ${f1(fig.userRate.median)} / ${f1(fig.userRate.p90)} (${fig.userRate.drives}) | ${fig.atOnce.median} / ${fig.atOnce.peak} | ${o.refused} of ${requests} (${f1((100 * o.refused) / Math.max(1, requests))} %) | ${o.peakTreeMb} (${o.peakChargedMb}) | ${f1(fig.firstDone.smallest.median)} / ${f1(fig.firstDone.smallest.max)} (${fig.firstDone.smallest.drives} drives of ≤ ${fig.firstDone.smallest.maxFiles} files) | ${f1(fig.firstDone.all.p90)} / ${f1(fig.firstDone.all.max)} | ${f1(o.listedBy)} |`;
}

async function main(): Promise<void> {
  const world = buildOrg(spec);
  const dir = await mkdtemp(join(tmpdir(), 'org-scale-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const drive = await startFakeDrive({
    org: { users: world.users, serviceAccountEmail: SA },
    sharedDrives: world.sharedDrives,
    nodes: world.nodes,
    wan: { latencyMs },
    // The admin's own: resolving the sources (drives.list, a permissions.list per shared drive) is neither paced nor
    // retried on a refusal yet, so at a scaled-down quota it would fail shared drives (docs/benchmark.md).
    quota: { requestsPerSecond: quota, usersPerSecond: { [world.admin]: num('admin-quota') } },
  });
  const keyFile = join(dir, 'sa.json');
  await writeFile(keyFile, JSON.stringify({ type: 'service_account', client_email: SA, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), private_key_id: 'k1', token_uri: drive.tokenUrl }));
  const sink = await startService<{ endpoint: string }>('./sink-main.js', {});
  const env: Env = { world, drive, endpoint: sink.ready.endpoint, keyFile, dir };
  const files = world.drives.reduce((a, d) => a + d.files, 0);
  const sizes = world.drives.map((d) => d.files).sort((a, b) => b - a);
  process.stdout.write(
    `organisation: ${spec.users} users, ${spec.sharedDrives} shared drives, ${files} files (${f1(world.drives.reduce((a, d) => a + d.bytes, 0) / MB)} MB, ${spec.minBytes}–${spec.maxBytes} bytes each); ` +
      `largest drives ${sizes.slice(0, 5).join(', ')} files, median ${sizes[Math.floor(sizes.length / 2)] ?? 0}, smallest ${sizes.at(-1) ?? 0}; ` +
      `Drive latency ${latencyMs} ms, quota ${quota} requests/s per user (the admin ${num('admin-quota')})\n\n`,
  );
  process.stdout.write(
    `| run | all copied | users | drives | files | MB | wall s | files/s (busiest 10 s) | per-user files/s p10 / median / p90 (My Drives of ≥ ${RATE_MIN_FILES} files) | drives in progress at once, median / peak | refused | peak pod RSS MB (charged) | first file done, smallest tenth: median / max s | first file done, all drives: p90 / max s | every drive listed by, s |\n` +
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n',
  );
  const report = (o: RunOutcome, bucketObjects: LandedObject[], drives: number): void => {
    const times = driveTimes(world.drives, bucketObjects, o.startedAt);
    const present = times.filter((t) => t.landed > 0);
    process.stdout.write(`${row(o, orgFigures(present.length === 0 ? times : present, bucketObjects, RATE_MIN_FILES), drives, new Set(present.map((t) => t.drive.subject)).size)}\n`);
    if (o.exitCode !== 0) process.stderr.write(`${o.label}: ${o.stderrTail}\n`);
  };
  try {
    if (only.has('whole')) {
      const [o] = await runAll(env, [{ label: `whole, ${num('workers')} workers`, bucket: 'org-whole', workers: num('workers'), shard: null }]);
      if (o) report(o, await landed(env.endpoint, 'org-whole'), world.drives.length);
    }
    const shards = num('shards');
    if (only.has('sharded') && shards > 1) {
      const runs = Array.from({ length: shards }, (_, i) => ({ label: `shard ${i}/${shards}, ${num('shard-workers')} workers`, bucket: `org-shard-${i}`, workers: num('shard-workers'), shard: `${i}/${shards}` }));
      const outs = await runAll(env, runs);
      // Each drive's objects in exactly one shard's bucket, all of them.
      const owners = new Map<string, number[]>();
      for (let i = 0; i < outs.length; i++) {
        const o = outs[i];
        if (!o) continue;
        const objects = await landed(env.endpoint, `org-shard-${i}`);
        const times = driveTimes(world.drives, objects, o.startedAt).filter((t) => t.landed > 0);
        for (const t of times) owners.set(t.drive.prefix, [...(owners.get(t.drive.prefix) ?? []), i]);
        report(o, objects, times.length);
      }
      const once = world.drives.filter((d) => owners.get(d.prefix)?.length === 1).length;
      const longest = Math.max(...outs.map((o) => o.seconds));
      process.stdout.write(`\nsharded: ${once} of ${world.drives.length} drives in exactly one shard, ${world.drives.filter((d) => (owners.get(d.prefix)?.length ?? 0) > 1).length} in more than one, ${world.drives.filter((d) => !owners.has(d.prefix)).length} in none; both shards done in ${f1(longest)} s (${f1(files / longest)} files/s together); refusals are the fake's over both\n`);
    }
  } finally {
    await sink.stop();
    await drive.close();
  }
}

await main();
