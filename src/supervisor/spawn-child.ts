// Forking one child: an explicit execArgv (never the parent's own flags: fork() copies process.execArgv
// unless told otherwise, and NODE_OPTIONS would smuggle them in through the environment), IPC, and the
// init → ready handshake before any work.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { message } from '../ipc/protocol.js';
import type { ChildSettings, InitMessage } from '../ipc/protocol.js';
import type { Logger } from '../observability/logger.js';
import { ChildHandle } from './child-handle.js';
import { raiseOomScore } from './oom-score.js';

/**
 * The child entry, resolved from this module's location, never from process.cwd(): the bundle of
 * src/child/main.ts that `npm run build` writes (build/bundle-child.ts says why).
 */
export const CHILD_MAIN_PATH = fileURLToPath(new URL('../bundle/child-main.js', import.meta.url));

/**
 * Young-generation cap for every child (MB per semi-space). A child's live heap is small (~15 MB: the
 * bytes it moves are Buffers, outside the heap), but at Node's default V8 grows the young generation to
 * 32 MB under a copy's allocation rate and keeps it, in every child. The cap was 8 MB while dead download
 * chunks were collected only every part size (5 MiB) read: a smaller young generation then promoted the
 * copy's in-flight request objects and paid for it in mark-compacts (1 MB cost 15% more CPU at the time).
 * With a minor GC every MiB read (child/gc-pacer.ts) that cost is gone, and 2 MB keeps a long-lived child
 * at the size of a young one. Measured on 27 Nov 2026 (bench machine, 2 cores; A/B runs 22:35-22:55 UTC and
 * the full benchmark at 22:57), 8 MB against 2 MB with the 1 MiB pacer: mixed set (300 files, 3.3 GB) peak
 * tree 567-572 → 535 MB at 4 workers and 1,018-1,025 → 940-942 MB at 8, the tree's CPU s 12.9-13.9 →
 * 12.6 at 4 workers and 16.8-17.3 → 15.1-15.2 at 8; one child copying 5 GiB 104-113 → 95-98 MB at the
 * same 400-440 MB/s; 20,013 small files at 4 workers 503-506 → 447-450 MB for 38.4-39.2 → 39.8-43.1 CPU s
 * (the small-file run is the one that pays, at 750-800 files/s). A 1 MB young generation was no flatter
 * and cost small files 9-19% more CPU.
 */
export const CHILD_SEMI_SPACE_MB = 2;

/**
 * V8 flags every child runs with, besides its heap limit.
 * - `--single-threaded-gc`: V8 gives each process GC helper threads sized to the host's CPUs, not to the
 *   container's quota, and parallel scavenges synchronise them; with a child per worker on a few cores
 *   they fight each other and the copy. A child's heap is ~20 MB, so its collections are short on one
 *   thread. Measured on the full benchmark against the default: mixed files at 1 worker 13.8 → 9.5 CPU s
 *   and 274 → 361 MB/s, at 4 workers 18.0 → 12.3 CPU s and 265 → 368 MB/s (+27 MB peak tree); 2 × 5 GiB at
 *   1 worker 42.5 → 22.2 CPU s and 268 → 460 MB/s.
 * - `--expose-gc`: a child's processor collects its dead download chunks itself (child/gc-pacer.ts).
 */
export const CHILD_V8_FLAGS: readonly string[] = [`--max-semi-space-size=${CHILD_SEMI_SPACE_MB}`, '--single-threaded-gc', '--expose-gc'];

export interface SpawnOptions {
  heapMb: number;
  settings: ChildSettings;
  log: Logger;
  /** Extra execArgv for diagnosis (e.g. --cpu-prof); the heap flags always come first. */
  extraExecArgv?: readonly string[];
}

/**
 * glibc malloc settings for every child, unless the operator set their own (mallopt(3); no effect on musl).
 * A child's download chunks and parts come from malloc, and glibc's defaults let it keep freed memory:
 * - `MALLOC_ARENA_MAX=2`: glibc gives threads their own arenas (up to 8 per core), each holding its own
 *   free memory; Node's and V8's helper threads (compiler, libuv pool) need no more than that;
 * - `MALLOC_TRIM_THRESHOLD_`: its default value, but set explicitly it stops glibc raising the mmap and trim
 *   thresholds after a large free, so big freed buffers go back to the OS rather than stay in the heap.
 * Measured on the benchmark's mixed set at 4 workers (5 MiB parts): peak tree 592 → 564 MB, same CPU.
 */
export const CHILD_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' };

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...CHILD_MALLOC_ENV };
  for (const [k, v] of Object.entries(process.env)) {
    // Settings (and any secrets among them) reach the child in the init message, not its environment.
    if (k === 'NODE_OPTIONS' || k.startsWith('SUPERVISOR_')) continue;
    env[k] = v;
  }
  return env;
}

export function spawnChild(options: SpawnOptions): ChildHandle {
  const { settings } = options;
  const execArgv = [`--max-old-space-size=${options.heapMb}`, ...CHILD_V8_FLAGS, ...(options.extraExecArgv ?? [])];
  const proc = fork(CHILD_MAIN_PATH, [], {
    execArgv,
    env: childEnv(),
    // stdout is shared (children write their own pino lines); stderr is piped so V8 OOM reports are seen.
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const log = options.log.child({ childId: settings.childId, childPid: proc.pid });
  // At once, before the child has loaded anything: a child starting up is the kernel's victim too.
  if (proc.pid !== undefined && raiseOomScore(proc.pid) === null) log.debug('oom_score_adj not raised (no /proc here, or refused)');
  const handle = new ChildHandle(settings.childId, proc, log);
  handle.send(message<InitMessage>({ kind: 'init', settings }));
  return handle;
}
