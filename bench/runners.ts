// One measured run of each contender — ours (the real CLI), the raw pipe, rclone, and the listing-only
// `plan` — as a process whose whole tree is sampled while it runs.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { cpuSecondsOf, TreeSampler } from './tree-sampler.js';
import type { TreeSamples } from './tree-sampler.js';
import { SUPERVISOR_NODE_FLAGS } from '../src/cli/node-flags.js';
import { CHILD_MALLOC_ENV, CHILD_V8_FLAGS } from '../src/supervisor/spawn-child.js';
import { resolveSettings } from '../src/config/settings.js';

const RAW_DEFAULTS = resolveSettings({}, {});
import type { RawPipeConfig } from './raw-pipe.js';

const CLI = fileURLToPath(new URL('../src/bundle-supervisor/main.js', import.meta.url));
const RAW = fileURLToPath(new URL('./raw-pipe.js', import.meta.url));
const MIB = 1024 * 1024;
export const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export type Tool = 'ours' | 'raw' | 'rclone-equal' | 'rclone-default' | 'plan';

export interface Source {
  driveRootUrl: string;
  indexUrl: string;
  token: string;
  rootFolderId: string;
  files: number;
  bytes: number;
  /** The source server's process, whose CPU time is read around each run. */
  pid: number;
}

export interface Sink {
  kind: 'fast' | 's3rver';
  endpoint: string;
  /** Bytes received so far (fast sink only): throughput over time. */
  bytesReceived: (() => Promise<number>) | null;
  /** The sink server's process, whose CPU time is read around each run. */
  pid: number;
}

export interface RunSpec {
  scenario: string;
  tool: Tool;
  workers: number;
  /** Concurrent file transfers. */
  parallelism: number;
  source: Source;
  sink: Sink;
  bucket: string;
  logDir: string;
  sampleMs: number;
  /**
   * ours: the budget the tree is judged against (workers × hard cap + reserve), the caps drawn on the chart,
   * and the --memory-budget-mb passed, which adds what the rest of the shared cgroup already holds (see
   * cgroup-baseline.ts).
   */
  memory?: { budgetMb: number; softMb: number; hardMb: number; flagBudgetMb: number };
  childConcurrency?: number;
  /** Which round of a repeated comparison this run is (1 when not repeated); see CopyScenario.rounds. */
  round?: number;
  /** ours: further CLI flags (resume-hash-cost.ts: --resume-min-mb). */
  extraArgs?: string[];
  /** ours at the default --drive-tps (the WAN scenarios, where the pace is what is measured); else 10000. */
  defaultDriveTps?: boolean;
  /** rclone: --tpslimit (told the quota: its http backend does not retry a refused open, so it cannot find it). */
  rcloneTpsLimit?: number;
}

export interface RunResult {
  scenario: string;
  tool: Tool;
  sink: 'fast' | 's3rver';
  workers: number;
  round: number;
  parallelism: number;
  exitCode: number | null;
  seconds: number;
  filesExpected: number;
  objectsInSink: number | null;
  bytes: number;
  mbPerS: number;
  filesPerS: number;
  peakTreeMb: number;
  /** The tree's peak charge (shared pages once): what the memory plan budgets. */
  peakChargedMb: number;
  peakRootMb: number;
  peakChildMb: number;
  /** CPU seconds used during the run by the tool's process tree, the source server and the sink server. */
  cpu: { tool: number; source: number | null; sink: number | null };
  cgroupPeakMb: number | null;
  budgetMb: number | null;
  flagBudgetMb: number | null;
  softMb: number | null;
  hardMb: number | null;
  /** ours: the supervisor's own --report figures and recycles. */
  report: Record<string, unknown> | null;
  samples: TreeSamples;
  log: string;
}

function mb(bytes: number): number {
  return Math.round(bytes / MIB);
}

/** Objects the run left in its bucket; on the fast sink the bucket is then dropped (see sink-server.ts). */
const MANIFEST_SUFFIX = '_manifest.jsonl.gz';

async function countObjects(sink: Sink, bucket: string): Promise<number> {
  const s3 = new S3Client({ region: 'us-east-1', endpoint: sink.endpoint, forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  try {
    let count = 0;
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }));
      // Our manifest (app/manifest.ts) is not one of the files copied.
      count += (page.Contents ?? []).filter((o) => o.Key !== undefined && !o.Key.endsWith(MANIFEST_SUFFIX)).length;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (sink.kind === 'fast') await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    return count;
  } finally {
    s3.destroy();
  }
}

function command(spec: RunSpec, reportPath: string, statePath: string): { cmd: string; args: string[]; env: Record<string, string> } {
  const s3env = { AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' };
  const { source, sink } = spec;
  switch (spec.tool) {
    case 'ours':
    case 'plan': {
      const common = ['--drive-root-url', source.driveRootUrl, '--drive-access-token', source.token, '--drive-folder-id', source.rootFolderId, ...(spec.defaultDriveTps === true ? [] : ['--drive-tps', '10000']), '--log-level', 'warn'];
      if (spec.tool === 'plan') return { cmd: process.execPath, args: [...SUPERVISOR_NODE_FLAGS, CLI, 'plan', ...common, '--workers', String(spec.workers), '--memory-budget-mb', String(spec.memory?.flagBudgetMb ?? 4096)], env: s3env };
      const args = [
        ...SUPERVISOR_NODE_FLAGS, CLI, 'run', ...common,
        '--s3-bucket', spec.bucket, '--s3-endpoint', sink.endpoint, '--s3-force-path-style', '--s3-checksum', 'when-required',
        // As against AWS (https): the sink is plain http, where 'auto' would sign every part (see SignPayloadMode in s3-options.ts).
        '--s3-sign-payload', 'never',
        '--state', statePath, '--fresh', '--progress', 'off', '--report', reportPath,
        '--workers', String(spec.workers), '--child-concurrency', String(spec.childConcurrency ?? 4),
        '--rss-poll-ms', '100',
        ...(spec.memory ? ['--memory-budget-mb', String(spec.memory.flagBudgetMb)] : []),
        ...(spec.extraArgs ?? []),
      ];
      return { cmd: process.execPath, args, env: s3env };
    }
    case 'raw': {
      const config: RawPipeConfig = {
        driveRootUrl: source.driveRootUrl,
        token: source.token,
        manifestUrl: `${source.indexUrl}__manifest`,
        endpoint: sink.endpoint,
        bucket: spec.bucket,
        parallelism: spec.parallelism,
        // The same part size and parts in flight as ours at its defaults.
        partSize: RAW_DEFAULTS.partSizeMb * MIB,
        queueSize: RAW_DEFAULTS.uploadQueueSize,
        verify: true,
        signPayload: false,
      };
      // The same V8 flags and malloc settings as our copy children: the ceiling is the same runtime doing the least work.
      return { cmd: process.execPath, args: [...CHILD_V8_FLAGS, RAW], env: { ...CHILD_MALLOC_ENV, ...s3env, BENCH_RAW: JSON.stringify(config) } };
    }
    case 'rclone-equal':
    case 'rclone-default': {
      const env = {
        RCLONE_CONFIG_BENCHSRC_TYPE: 'http',
        RCLONE_CONFIG_BENCHSRC_URL: source.indexUrl,
        RCLONE_CONFIG_BENCHDST_TYPE: 's3',
        RCLONE_CONFIG_BENCHDST_PROVIDER: 'Other',
        RCLONE_CONFIG_BENCHDST_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        RCLONE_CONFIG_BENCHDST_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        RCLONE_CONFIG_BENCHDST_ENDPOINT: sink.endpoint,
        RCLONE_CONFIG_BENCHDST_FORCE_PATH_STYLE: 'true',
        RCLONE_CONFIG_BENCHDST_REGION: 'us-east-1',
      };
      // Equal parallelism: as many files in flight as ours has (workers × child concurrency), with our
      // part size and parts in flight per file, and multipart from the same size on (rclone's upload cutoff
      // is 200 MiB by default: every mixed-scenario file would otherwise be one PUT, far fewer requests than
      // ours or the raw pipe make); the defaults run keeps rclone's own (4 transfers, 5 MiB, 200 MiB cutoff).
      const tuning =
        spec.tool === 'rclone-equal'
          ? ['--transfers', String(spec.parallelism), '--checkers', String(Math.max(8, spec.parallelism)), '--s3-chunk-size', `${RAW_DEFAULTS.partSizeMb}M`, '--s3-upload-cutoff', `${RAW_DEFAULTS.partSizeMb}M`, '--s3-upload-concurrency', String(RAW_DEFAULTS.uploadQueueSize)]
          : [];
      const tps = spec.rcloneTpsLimit === undefined ? [] : ['--tpslimit', String(spec.rcloneTpsLimit)];
      return { cmd: 'rclone', args: ['copy', 'benchsrc:', `benchdst:${spec.bucket}`, '--config', '/dev/null', '-q', ...tuning, ...tps], env };
    }
  }
}

/** ' round N' for a repeat (round > 1), '' for the first: how logs and tables name a run's round. */
export function roundLabel(round: number): string {
  return round > 1 ? ` round ${round}` : '';
}

/**
 * A run's name in file names (log, report, journal, chart). Each round has its own: a later round of ours
 * must not find the journal of an earlier one.
 */
export function runTag(r: { scenario: string; tool: Tool; workers: number; sink: Sink['kind']; round: number }): string {
  return `${r.scenario}-${r.tool}-w${r.workers}-${r.sink}${r.round > 1 ? `-r${r.round}` : ''}`;
}

export async function measure(spec: RunSpec): Promise<RunResult> {
  const round = spec.round ?? 1;
  const tag = runTag({ ...spec, sink: spec.sink.kind, round });
  const reportPath = join(spec.logDir, `${tag}.report.json`);
  const statePath = join(spec.logDir, `${tag}.journal.db`);
  const logPath = join(spec.logDir, `${tag}.log`);
  const { cmd, args, env } = command(spec, reportPath, statePath);
  const log = createWriteStream(logPath);
  const cpuBefore = { source: cpuSecondsOf(spec.source.pid), sink: cpuSecondsOf(spec.sink.pid) };
  const started = Date.now();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // rclone 1.60's aws-sdk-go cannot apply AWS_CA_BUNDLE to its own transport and refuses to start; the
  // sink is plain http on loopback, so no CA bundle is needed by anyone.
  if (spec.tool.startsWith('rclone')) delete childEnv.AWS_CA_BUNDLE;
  const child = spawn(cmd, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${tag}: spawn failed`);
  const sampler = new TreeSampler(pid, spec.sampleMs, spec.tool === 'plan' ? null : spec.sink.bytesReceived);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(127));
    child.once('exit', (code) => resolve(code));
  });
  const seconds = (Date.now() - started) / 1000;
  const samples = sampler.stop();
  const used = (before: number | null, pid: number): number | null => {
    const after = cpuSecondsOf(pid);
    return before === null || after === null ? null : Number((after - before).toFixed(2));
  };
  const cpu = { tool: Number(samples.cpuSeconds.toFixed(2)), source: used(cpuBefore.source, spec.source.pid), sink: used(cpuBefore.sink, spec.sink.pid) };
  await new Promise<void>((resolve) => log.end(() => resolve()));
  let report: Record<string, unknown> | null = null;
  if (spec.tool === 'ours') {
    report = JSON.parse(await readFile(reportPath, 'utf8').catch(() => 'null')) as Record<string, unknown> | null;
    if (report) {
      delete report.skipped;
      delete report.failed;
    }
  }
  const objects = spec.tool === 'plan' ? null : await countObjects(spec.sink, spec.bucket).catch(() => -1);
  const bytes = spec.tool === 'plan' ? 0 : spec.source.bytes;
  return {
    scenario: spec.scenario,
    tool: spec.tool,
    sink: spec.sink.kind,
    workers: spec.workers,
    round,
    parallelism: spec.parallelism,
    exitCode,
    seconds: Number(seconds.toFixed(2)),
    filesExpected: spec.source.files,
    objectsInSink: objects,
    bytes,
    mbPerS: Number((bytes / MIB / seconds).toFixed(1)),
    filesPerS: Number((spec.source.files / seconds).toFixed(1)),
    peakTreeMb: mb(samples.peakTree),
    peakChargedMb: mb(samples.peakCharged),
    peakRootMb: mb(samples.peakRoot),
    peakChildMb: mb(samples.peakChild),
    cpu,
    cgroupPeakMb: samples.cgroupPeak === null ? null : mb(samples.cgroupPeak),
    budgetMb: spec.memory?.budgetMb ?? null,
    flagBudgetMb: spec.memory?.flagBudgetMb ?? null,
    softMb: spec.memory?.softMb ?? null,
    hardMb: spec.memory?.hardMb ?? null,
    report,
    samples,
    log: logPath,
  };
}
