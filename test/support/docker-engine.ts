// A Docker engine for the container test: the one that answers, or — as root, where Debian's docker.io
// is installed — a dockerd started here with `--iptables=false --bridge=none` (containers then use the
// host's network, which is how the test reaches its fake Drive and S3 on loopback). Debian's own client
// (/usr/bin/docker) is preferred: it builds with the engine's BuildKit, where a newer client elsewhere on
// PATH may ask for a buildx plugin. The base image is pulled, or else assembled locally under its tag
// (test/container/node-base-standin.sh). `unavailable` says in one line why no engine could be had.
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const STANDIN_SCRIPT = join(ROOT, 'test/container/node-base-standin.sh');

export interface DockerEngine {
  /** The client binary every call goes through. */
  client: string;
  /** Run the client; never throws (callers assert on status and output). */
  run(args: string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string }): SpawnSyncReturns<string>;
  /** The same without blocking this process's event loop: for calls made while its own servers must answer. */
  runAsync(args: string[], options?: { env?: NodeJS.ProcessEnv }): Promise<{ status: number | null; stdout: string; stderr: string }>;
  /** Stop the engine if this process started it. */
  stop(): Promise<void>;
}

export type EngineResult = { engine: DockerEngine } | { unavailable: string };

function findClient(): string | undefined {
  if (existsSync('/usr/bin/docker')) return '/usr/bin/docker';
  const which = spawnSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

function findDockerd(): string | undefined {
  for (const p of ['/usr/sbin/dockerd', '/usr/bin/dockerd']) if (existsSync(p)) return p;
  return undefined;
}

function makeEngine(client: string, stop: () => Promise<void>): DockerEngine {
  return {
    client,
    run: (args, options = {}) =>
      spawnSync(client, args, {
        encoding: 'utf8',
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 20 * 60_000,
        maxBuffer: 256 * 1024 * 1024,
        ...(options.input !== undefined ? { input: options.input } : {}),
      }),
    runAsync: (args, options = {}) =>
      new Promise((resolve) => {
        execFile(client, args, { encoding: 'utf8', env: { ...process.env, ...options.env }, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
          const code = err && typeof err.code === 'number' ? err.code : err ? null : 0;
          resolve({ status: code, stdout, stderr });
        });
      }),
    stop,
  };
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

export async function dockerEngine(): Promise<EngineResult> {
  const client = findClient();
  if (!client) return { unavailable: 'no docker client on PATH (Debian: apt-get install docker.io)' };
  const answers = (): boolean => spawnSync(client, ['info'], { encoding: 'utf8', timeout: 15_000 }).status === 0;
  if (answers()) return { engine: makeEngine(client, () => Promise.resolve()) };
  const dockerd = findDockerd();
  if (!dockerd) return { unavailable: 'no Docker engine answers and no dockerd is installed (Debian: apt-get install docker.io)' };
  if (process.getuid?.() !== 0) return { unavailable: 'no Docker engine answers, and starting dockerd needs root' };
  const log = join(mkdtempSync(join(tmpdir(), 'dockerd-')), 'dockerd.log');
  const daemon = spawn(dockerd, ['--iptables=false', '--bridge=none'], { detached: true, stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  if (!(await waitFor(() => gone || answers(), 60_000)) || gone) {
    daemon.kill('SIGTERM');
    return { unavailable: `dockerd did not start (its log: ${log})` };
  }
  return {
    engine: makeEngine(client, async () => {
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    }),
  };
}

/** The base image under `tag`: already there, pulled, or assembled locally. Returns how it was had. */
export function ensureBaseImage(engine: DockerEngine, tag: string): 'present' | 'pulled' | 'stand-in' {
  if (engine.run(['image', 'inspect', tag]).status === 0) return 'present';
  if (engine.run(['pull', tag], { timeoutMs: 5 * 60_000 }).status === 0) return 'pulled';
  const made = spawnSync('bash', [STANDIN_SCRIPT, tag], { encoding: 'utf8', env: { ...process.env, DOCKER: engine.client }, timeout: 15 * 60_000 });
  if (made.status !== 0) throw new Error(`the stand-in for ${tag} could not be assembled: ${made.stderr.slice(-2000)}`);
  return 'stand-in';
}
