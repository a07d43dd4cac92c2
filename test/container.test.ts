// The image for real: built from a clean checkout by the engine's BuildKit and by the classic builder,
// pulling nothing but the base image; the demo inside it with nothing writable but /tmp; and a run like a
// pod's — read-only root, uid 10001, a 700 MB memory limit, a journal volume, the fake Drive and S3 on the
// host's loopback — copying byte for byte, stopping on SIGTERM mid-file with 143, and resuming without
// uploading a done part again. Skips, saying why in one line, only where no Docker engine can be had.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3RVER_CREDENTIALS } from '../src/testing/s3rver.js';
import { dockerEngine, ensureBaseImage } from './support/docker-engine.js';
import type { DockerEngine } from './support/docker-engine.js';
import { folderOfFiles, listKeys, objectMd5, startWorld, TOKEN } from './support/e2e.js';
import { until } from './support/within.js';
import type { World } from './support/e2e.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASE = 'node:22-bookworm-slim';
const IMAGE = 'drive-s3-supervisor:container-test';
const CLASSIC_IMAGE = 'drive-s3-supervisor:container-test-classic';
const MB = 1_000_000;
const MiB = 1024 * 1024;
const UID = 10001;
const LARGE = 768 * MiB;

let engine: DockerEngine | undefined;
let unavailable = '';
let context = '';
let extraCa: string | undefined;
let w: World | undefined;
const built = new Map<string, { seconds: number; log: string }>();

/** What a fresh clone holds: the files git tracks and the untracked ones it does not ignore. */
function cleanCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'image-context-'));
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(files.status, 0, files.stderr);
  for (const f of files.stdout.split('\0').filter((p) => p !== '' && existsSync(join(ROOT, p)))) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(dir, f));
  }
  return dir;
}

/** The machine's own trust settings, as its environment names them: what the build needs behind a TLS-inspecting proxy. */
function machineCaBundle(): string | undefined {
  return [process.env.NODE_EXTRA_CA_CERTS, process.env.SSL_CERT_FILE].find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}

function build(tag: string, buildkit: boolean): void {
  assert.ok(engine);
  const started = process.hrtime.bigint();
  const args = ['build', '--network', 'host', '-t', tag, ...(buildkit ? ['--progress', 'plain'] : []), context];
  const r = engine.run(args, { env: { DOCKER_BUILDKIT: buildkit ? '1' : '0' } });
  const log = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, `docker build (${buildkit ? 'BuildKit' : 'classic'}) failed:\n${log.slice(-4000)}`);
  built.set(tag, { seconds: Number(process.hrtime.bigint() - started) / 1e9, log });
}

function imageSize(tag: string): number {
  assert.ok(engine);
  const r = engine.run(['image', 'inspect', '-f', '{{.Size}}', tag]);
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

/** A line of a CA certificate in `bundle` that Node's own root store does not carry (the proxy's), if any. */
function foreignCaLine(bundle: string): string | undefined {
  const known = new Set(rootCertificates.map((c) => c.replace(/\s+/g, '')));
  const certs = readFileSync(bundle, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const foreign = certs.find((c) => !known.has(c.replace(/\s+/g, '')));
  const lines = foreign?.split('\n').filter((l) => /^[A-Za-z0-9+/]{64}$/.test(l)) ?? [];
  return lines[Math.floor(lines.length / 2)];
}

/** Whether any file of the image's filesystem contains `needle` (docker export, scanned as it streams). */
async function imageContains(tag: string, needle: string): Promise<boolean> {
  assert.ok(engine);
  const created = engine.run(['create', tag]);
  assert.equal(created.status, 0, created.stderr);
  const id = created.stdout.trim();
  try {
    const proc = spawn(engine.client, ['export', id], { stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    let found = false;
    for await (const chunk of proc.stdout) {
      const text = tail + (chunk as Buffer).toString('latin1');
      if (text.includes(needle)) found = true;
      tail = text.slice(-needle.length);
    }
    return found;
  } finally {
    engine.run(['rm', '-f', id]);
  }
}

interface ContainerRun {
  id: string;
  code: number;
  logs: string;
  /** The container's peak memory as its cgroup recorded it, where the host shows it (cgroup v1). */
  peakBytes: number | undefined;
}

function peakOf(id: string): number | undefined {
  for (const path of [`/sys/fs/cgroup/memory/docker/${id}/memory.max_usage_in_bytes`, `/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.peak`]) {
    try {
      return Number(readFileSync(path, 'utf8').trim());
    } catch {
      // not this layout, or the container has just gone
    }
  }
  return undefined;
}

/**
 * Start a container like the Job's pod does, detached; `finish` waits for it and collects what it left.
 * Asynchronous throughout: the fake Drive and S3 it talks to run in this process's event loop.
 */
async function startPod(volume: string, args: string[]): Promise<{ id: string; finish(): Promise<ContainerRun> }> {
  assert.ok(engine && w);
  const r = await engine.runAsync([
    'run', '-d', '--network', 'host', '--read-only', '--tmpfs', '/tmp', '--user', `${UID}:${UID}`,
    '--memory', '700m', '--memory-swap', '700m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '-v', `${volume}:/data`,
    '-e', `AWS_ACCESS_KEY_ID=${S3RVER_CREDENTIALS.accessKeyId}`, '-e', `AWS_SECRET_ACCESS_KEY=${S3RVER_CREDENTIALS.secretAccessKey}`,
    IMAGE, 'run', ...args,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  // The engine removes the container's cgroup when it exits: read its peak while it runs.
  let peakBytes: number | undefined;
  const sampler = setInterval(() => (peakBytes = peakOf(id) ?? peakBytes), 100);
  return {
    id,
    finish: async () => {
      assert.ok(engine);
      const waited = await engine.runAsync(['wait', id]);
      clearInterval(sampler);
      assert.equal(waited.status, 0, waited.stderr);
      const logs = await engine.runAsync(['logs', id]);
      await engine.runAsync(['rm', '-f', id]);
      return { id, code: Number(waited.stdout.trim()), logs: `${logs.stdout}\n${logs.stderr}`, peakBytes };
    },
  };
}

/** Flags for one run: the Drive folder `folder`, copied under the key prefix `<name>/`, journal `/data/<name>.db`. */
function podFlags(folder: string, name: string): string[] {
  assert.ok(w);
  return [
    '--drive-root-url', w.drive.rootUrl, '--drive-access-token', TOKEN, '--drive-folder-id', folder,
    '--s3-bucket', w.s3.bucket, '--s3-endpoint', w.s3.endpoint, '--s3-region', w.s3.region, '--s3-force-path-style',
    '--s3-checksum', 'when-required', '--s3-prefix', `${name}/`, '--state', `/data/${name}.db`, '--report', `/data/${name}-report.json`,
    '--drive-tps', '10000', '--progress', 'log', '--rss-poll-ms', '100',
  ];
}

/** A host directory the container's user owns, mounted at /data as a PVC would be. */
function journalVolume(): string {
  const dir = mkdtempSync(join(tmpdir(), 'journal-volume-'));
  chownSync(dir, UID, UID);
  chmodSync(dir, 0o700);
  return dir;
}

async function assertCopied(folder: string, files: { id: string; name: string }[]): Promise<void> {
  assert.ok(w);
  const keys = await listKeys(w, `${folder}/`);
  assert.deepEqual(keys, files.map((f) => `${folder}/${f.name}`).sort());
  for (const f of files) assert.equal(await objectMd5(w, `${folder}/${f.name}`), await w.drive.trueMd5(f.id), `bytes of ${f.name}`);
}

before(async () => {
  const found = await dockerEngine();
  if ('unavailable' in found) {
    unavailable = found.unavailable;
    return;
  }
  engine = found.engine;
  process.stderr.write(`container test: base image ${BASE} ${ensureBaseImage(engine, BASE)}\n`);
  context = cleanCheckout();
  extraCa = machineCaBundle();
  if (extraCa) copyFileSync(extraCa, join(context, 'extra-ca.pem'));
  build(IMAGE, true);
});

after(async () => {
  await w?.close();
  await engine?.stop();
});

test('image: BuildKit and the classic builder both build it, pulling only the base; the extra CA stays in the build stage', async (t) => {
  if (!engine) return t.skip(`no Docker engine: ${unavailable}`);
  build(CLASSIC_IMAGE, false);
  const buildkitLog = built.get(IMAGE)?.log ?? '';
  const pulled = [...buildkitLog.matchAll(/load metadata for (\S+)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(pulled)], [`docker.io/library/${BASE}`], 'BuildKit resolves the base image and nothing else (no frontend image)');
  // The classic builder prints FROM as written: node:${NODE_VERSION}-bookworm-slim, with NODE_VERSION=22.
  const classicFroms = [...(built.get(CLASSIC_IMAGE)?.log ?? '').matchAll(/Step \d+\/\d+ : FROM (\S+)/g)].map((m) => m[1]?.replace('${NODE_VERSION}', '22'));
  assert.deepEqual([...new Set(classicFroms)], [BASE]);
  assert.doesNotMatch(built.get(CLASSIC_IMAGE)?.log ?? '', /Pulling (fs layer|from)/, 'the classic builder pulled nothing');

  for (const tag of [IMAGE, CLASSIC_IMAGE]) {
    const help = engine.run(['run', '--rm', '--read-only', tag, '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /supervisor \[command\] \[options\]/);
    const file = engine.run(['run', '--rm', '--entrypoint', 'sh', tag, '-c', 'ls /etc/extra-ca.pem /app/extra-ca.pem /extra-ca.pem 2>/dev/null; true']);
    assert.equal(file.stdout.trim(), '', `${tag}: no extra CA file in the runtime image`);
  }
  const marker = extraCa ? foreignCaLine(extraCa) : undefined;
  if (marker) assert.equal(await imageContains(IMAGE, marker), false, 'the extra CA bundle appears nowhere in the runtime image');

  const size = imageSize(IMAGE);
  const added = size - imageSize(BASE);
  process.stderr.write(
    `container test: image ${(size / MB).toFixed(1)} MB, ${(added / MB).toFixed(1)} MB on top of ${BASE}; ` +
      `build ${built.get(IMAGE)?.seconds.toFixed(0) ?? '?'} s (BuildKit), ${built.get(CLASSIC_IMAGE)?.seconds.toFixed(0) ?? '?'} s (classic), ` +
      `extra CA ${extraCa ? `from ${extraCa}${marker ? '' : ' (all in Node\u2019s own store: not scanned for)'}` : 'none'}\n`,
  );
  assert.ok(added <= 40 * MB, `the project adds ${(added / MB).toFixed(1)} MB to the base image (bound 40 MB)`);
});

test('image: `demo` passes with a read-only root and nothing writable but /tmp', (t) => {
  if (!engine) return t.skip(`no Docker engine: ${unavailable}`);
  const r = engine.run(['run', '--rm', '--read-only', '--tmpfs', '/tmp', IMAGE, 'demo', '--progress', 'off']);
  assert.equal(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  assert.match(r.stderr, /demo: (\d+) objects verified, 0 mismatches/);
});

test('image: runs like a pod — 700 MB limit found, every object byte-identical; SIGTERM mid-file → 143; the rerun uploads no done part again', async (t) => {
  if (!engine) return t.skip(`no Docker engine: ${unavailable}`);
  const small = folderOfFiles('P', 'pod', 30, 97 * 1024);
  const large = [
    { id: 'L', name: 'large', parents: ['root'], mimeType: 'application/vnd.google-apps.folder' },
    { id: 'big', name: 'big.bin', parents: ['L'], mimeType: 'application/octet-stream', size: LARGE },
    ...folderOfFiles('LS', 'small', 4, 50_000).slice(1).map((n) => ({ ...n, parents: ['L'] })),
  ];
  w = await startWorld({ nodes: [...small, ...large] });
  const volume = journalVolume();

  const first = await (await startPod(volume, podFlags('P', 'pod'))).finish();
  assert.equal(first.code, 0, first.logs.slice(-3000));
  assert.match(first.logs, /container limit 700 MB/, 'the plan names the container limit');
  await assertCopied('pod', small.slice(1));
  if (first.peakBytes !== undefined) {
    process.stderr.write(`container test: pod run peak cgroup usage ${(first.peakBytes / MB).toFixed(0)} MB of 700 MiB\n`);
    assert.ok(first.peakBytes < 700 * MiB);
  }

  // SIGTERM (to tini, which passes it to the whole group) once the large file is well under way.
  const run = await startPod(volume, [...podFlags('L', 'large'), '--workers', '2']);
  const bytesOfBig = (): number => w?.drive.stats.bytesByFile.get('big') ?? 0;
  await until(() => bytesOfBig() >= 96 * MiB, 120_000, 'the large file under way');
  const killed = await engine.runAsync(['kill', '--signal', 'TERM', run.id]);
  assert.equal(killed.status, 0, killed.stderr);
  const stopped = await run.finish();
  assert.equal(stopped.code, 143, stopped.logs.slice(-3000));
  const report = JSON.parse(readFileSync(join(volume, 'large-report.json'), 'utf8')) as { exitCode: number };
  assert.equal(report.exitCode, 143);
  assert.equal((await listKeys(w, 'large/')).includes('large/big.bin'), false, 'the large file was stopped mid-way, not finished');
  const uploads = await w.s3.incompleteUploadIds();
  assert.equal(uploads.length, 1, 'its multipart upload is kept for the rerun');

  const receivedBefore = w.s3.bytesReceived();
  const rerun = await (await startPod(volume, podFlags('L', 'large'))).finish();
  assert.equal(rerun.code, 0, rerun.logs.slice(-3000));
  const rerunBytes = w.s3.bytesReceived() - receivedBefore;
  await assertCopied('large', large.slice(1));
  for (const r of [stopped, rerun]) if (r.peakBytes !== undefined) assert.ok(r.peakBytes < 700 * MiB, `peak ${r.peakBytes} within the limit`);
  process.stderr.write(`container test: large-file runs peaked at ${[stopped, rerun].map((r) => r.peakBytes === undefined ? '?' : (r.peakBytes / MB).toFixed(0)).join(' and ')} MB of 700 MiB; the rerun sent ${(rerunBytes / MiB).toFixed(0)} MiB to S3 for a ${LARGE / MiB} MiB file stopped after ${(receivedBefore / MiB).toFixed(0)} MiB\n`);
  assert.ok(rerunBytes < LARGE, `the rerun uploaded ${rerunBytes} bytes: done parts were sent again`);
});
