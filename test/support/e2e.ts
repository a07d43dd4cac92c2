// End-to-end harness: a fake Drive and s3rver started by the test itself, and the real CLI run as a real
// process (`node dist/src/bundle-supervisor/main.js`, the package's bin), exactly as an operator runs it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { FOLDER_MIME, startFakeDrive } from '../../src/fake-drive/index.js';
import type { FakeDrive, FakeDriveOptions, FakeNodeSpec } from '../../src/fake-drive/index.js';
import { startS3rver } from '../../src/testing/s3rver.js';
import type { S3rverHandle, StartS3rverOptions } from '../../src/testing/s3rver.js';
import { SUPERVISOR_NODE_FLAGS } from '../../src/cli/node-flags.js';
import assert from 'node:assert/strict';
import { JournalReader } from '../../src/journal/journal-reader.js';
import type { JournalCounts } from '../../src/journal/types.js';
import { until } from './within.js';

export const CLI = fileURLToPath(new URL('../../src/bundle-supervisor/main.js', import.meta.url));
export const TOKEN = 'e2e-access-token-0123456789';

export interface World {
  drive: FakeDrive;
  s3: S3rverHandle;
  client: S3Client;
  dir: string;
  close(): Promise<void>;
}

export async function startWorld(options: FakeDriveOptions, s3Options: Omit<StartS3rverOptions, 'bucket'> = {}): Promise<World> {
  const drive = await startFakeDrive({ token: TOKEN, ...options });
  const s3 = await startS3rver({ ...s3Options, bucket: 'e2e' });
  const client = new S3Client({ region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const dir = await mkdtemp(join(tmpdir(), 'e2e-'));
  return {
    drive,
    s3,
    client,
    dir,
    close: async () => {
      client.destroy();
      await Promise.allSettled([drive.close(), s3.close()]);
    },
  };
}

/**
 * A folder `id` under the root holding `count` binary files: ids `<id in lower case>-<i>`, names
 * `file-<i>.bin`, sizes step × (i + 1) bytes.
 */
export function folderOfFiles(id: string, name: string, count: number, step: number): FakeNodeSpec[] {
  return [
    { id, name, parents: ['root'], mimeType: FOLDER_MIME },
    ...Array.from({ length: count }, (_, i) => ({ id: `${id.toLowerCase()}-${i}`, name: `file-${i}.bin`, parents: [id], mimeType: 'application/octet-stream', size: step * (i + 1) })),
  ];
}

/** The flags that point a run at this world. */
export function worldFlags(w: World, rootFolderId: string, extra: string[] = []): string[] {
  return [
    '--drive-root-url', w.drive.rootUrl,
    '--drive-access-token', TOKEN,
    '--drive-folder-id', rootFolderId,
    '--s3-bucket', w.s3.bucket,
    '--s3-endpoint', w.s3.endpoint,
    '--s3-region', w.s3.region,
    '--s3-force-path-style',
    '--s3-checksum', 'when-required',
    '--state', join(w.dir, 'journal.db'),
    '--report', join(w.dir, 'report.json'),
    '--drive-tps', '10000',
    '--progress', 'off',
    '--memory-budget-mb', '4096',
    '--rss-poll-ms', '100',
    ...extra,
  ];
}

/** The flags of an organisation run against this world's fake organisation, as the service account in `keyFile`. */
export function orgWorldFlags(w: World, keyFile: string, name: string, extra: string[]): string[] {
  return [
    '--google-credentials', keyFile,
    '--drive-root-url', w.drive.rootUrl,
    '--admin-root-url', w.drive.rootUrl,
    '--s3-bucket', w.s3.bucket,
    '--s3-endpoint', w.s3.endpoint,
    '--s3-region', w.s3.region,
    '--s3-force-path-style',
    '--s3-checksum', 'when-required',
    '--state', join(w.dir, `${name}.db`),
    '--report', join(w.dir, `${name}.json`),
    '--progress', 'off',
    '--memory-budget-mb', '4096',
    '--workers', '2',
    ...extra,
  ];
}

/** A loopback port free a moment ago (for --metrics-port, which takes no 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  proc: ChildProcess;
}

/** Runs a command some other way (inside a cgroup, test/support/memory-cgroup.ts): the command and arguments to spawn. */
export type Launcher = (command: string, args: readonly string[]) => [string, string[]];

const direct: Launcher = (command, args) => [command, [...args]];

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, s3?: S3rverHandle, launch: Launcher = direct): { proc: ChildProcess; done: Promise<CliRun> } {
  const [command, argv] = launch(process.execPath, [...SUPERVISOR_NODE_FLAGS, CLI, ...args]);
  const proc = spawn(command, argv, {
    env: { ...process.env, ...(s3 ? s3.env : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliRun>((resolve) => proc.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, proc })));
  return { proc, done };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, s3?: S3rverHandle, launch: Launcher = direct): Promise<CliRun> {
  return startCli(args, env, s3, launch).done;
}

const MANIFEST_NAME = /(^|\/)_manifest(\.shard-\d+-of-\d+)?\.jsonl\.gz$/;

/** The data objects under a prefix, sorted; manifests (test/e2e-manifest.test.ts) are left out unless asked for. */
export async function listKeys(w: World, prefix = '', options: { manifests?: boolean } = {}): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await w.client.send(new ListObjectsV2Command({ Bucket: w.s3.bucket, Prefix: prefix, ContinuationToken: token }));
    // Manifests sit at --s3-prefix or, in an organisation run, under each drive's prefix: both end so.
    for (const o of page.Contents ?? []) if (o.Key && (options.manifests === true || !MANIFEST_NAME.test(o.Key))) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

export async function objectMd5(w: World, key: string): Promise<string> {
  const res = await w.client.send(new GetObjectCommand({ Bucket: w.s3.bucket, Key: key }));
  const hash = createHash('md5');
  for await (const chunk of res.Body as Readable) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A manifest object (test/e2e-manifest.test.ts), gunzipped: one parsed JSON line per copied file. */
export async function readManifest(w: World, key: string): Promise<Record<string, unknown>[]> {
  const res = await w.client.send(new GetObjectCommand({ Bucket: w.s3.bucket, Key: key }));
  const body = Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  return gunzipSync(body).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

export async function head(w: World, key: string): Promise<{ contentType: string | undefined; metadata: Record<string, string>; size: number }> {
  const h = await w.client.send(new HeadObjectCommand({ Bucket: w.s3.bucket, Key: key }));
  return { contentType: h.ContentType, metadata: h.Metadata ?? {}, size: h.ContentLength ?? -1 };
}

export interface Report {
  exitCode: number;
  skipped: { id: string; path: string; reason: string }[];
  failed: { id: string; path: string; key: string; reason: string }[];
  thisRun: { done: number; skipped: number; failed: number };
  recycles: Record<string, number>;
  memory: {
    peakChargedBytes: number;
    peakTreeRssBytes: number;
    peakChildUssBytes: number;
    peakChildRssBytes: number;
    peakCgroupBytes: number;
    plan: { budgetMb: number; budgetSource: string; containerLimitMb: number | null; workers: number; reserveMb: number; childHardMb: number };
  };
}

export async function readReport(w: World): Promise<Report> {
  return JSON.parse(await readFile(join(w.dir, 'report.json'), 'utf8')) as Report;
}

/** The journal's counts as another process has written them; null before it exists. */
export function countsOf(state: string): JournalCounts | null {
  let reader: JournalReader;
  try {
    reader = JournalReader.openReadOnly(state);
  } catch {
    return null; // not created yet
  }
  try {
    return reader.counts();
  } finally {
    reader.close();
  }
}

/** Polls the journal (another process writes it) until `done` files are recorded; fails after 60 s. */
export function waitForDone(state: string, done: number): Promise<void> {
  return until(() => (countsOf(state)?.byStatus.done.files ?? 0) >= done, 60_000, `${done} files done`, 50);
}

/**
 * A run stopped checkpointed: nothing failed (`why` names the cause in the message), nothing left in progress,
 * every file not done still pending. Returns how many are done.
 */
export function assertStoppedCheckpointed(state: string, files: number, why: string): number {
  const counts = countsOf(state);
  assert.ok(counts);
  const done = counts.byStatus.done.files;
  assert.equal(counts.byStatus.failed.files, 0, `files were marked failed because ${why}`);
  assert.equal(counts.byStatus['in-progress'].files, 0);
  assert.equal(counts.byStatus.pending.files, files - done);
  return done;
}
