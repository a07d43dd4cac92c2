// Forking one child: an explicit execArgv (never the parent's own flags: fork() copies process.execArgv
// unless told otherwise, and NODE_OPTIONS would smuggle them in through the environment), IPC, and the
// init → ready handshake before any work.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { message } from '../ipc/protocol.js';
import type { ChildSettings, InitMessage } from '../ipc/protocol.js';
import type { Logger } from '../observability/logger.js';
import { ChildHandle } from './child-handle.js';
import type { ChildOutput } from './child-output.js';
import { raiseOomScore } from './oom-score.js';

/**
 * The child entry, resolved from this module's location, never from process.cwd(): the bundle of
 * src/child/main.ts that `npm run build` writes (build/bundle.ts says why).
 */
export const CHILD_MAIN_PATH = fileURLToPath(new URL('../bundle/child-main.js', import.meta.url));

/**
 * Young-generation cap for every child (MB per semi-space): a child's bytes are Buffers outside its ~15 MB
 * heap, and at the default V8 keeps a 32 MB young generation in every child (docs/design.md#the-measurements-behind-the-flags).
 */
export const CHILD_SEMI_SPACE_MB = 2;

/**
 * V8 flags every child runs with, besides its heap limit (docs/design.md#the-measurements-behind-the-flags).
 * - `--single-threaded-gc`: V8 sizes GC helper threads to the host's CPUs, not the container's quota, and
 *   with a child per worker on a few cores they fight each other and the copy.
 * - `--expose-gc`: a child's processor collects its dead download chunks itself (child/gc-pacer.ts).
 */
export const CHILD_V8_FLAGS: readonly string[] = [`--max-semi-space-size=${CHILD_SEMI_SPACE_MB}`, '--single-threaded-gc', '--expose-gc'];

export interface SpawnOptions {
  heapMb: number;
  settings: ChildSettings;
  log: Logger;
  /** Extra execArgv for diagnosis (e.g. --cpu-prof); the heap flags always come first. */
  extraExecArgv?: readonly string[];
  /** Where the child's output lines go; given, its stdout is piped through it too (the live display's). */
  output?: ChildOutput;
}

/**
 * glibc malloc settings for every child, unless the operator set their own (mallopt(3); no effect on musl).
 * A child's download chunks and parts come from malloc, and glibc's defaults let it keep freed memory:
 * - `MALLOC_ARENA_MAX=2`: glibc gives threads their own arenas (up to 8 per core), each holding its own
 *   free memory; Node's and V8's helper threads (compiler, libuv pool) need no more than that;
 * - `MALLOC_TRIM_THRESHOLD_`: its default value, but set explicitly it stops glibc raising the mmap and trim
 *   thresholds after a large free, so big freed buffers go back to the OS rather than stay in the heap.
 * The measurement: docs/design.md#the-measurements-behind-the-flags.
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
    // stdout is shared (children write their own pino lines) unless the supervisor prints them above its
    // live display; stderr is piped so V8 OOM reports are seen.
    stdio: ['ignore', options.output ? 'pipe' : 'inherit', 'pipe', 'ipc'],
  });
  const log = options.log.child({ childId: settings.childId, childPid: proc.pid });
  // At once, before the child has loaded anything: a child starting up is the kernel's victim too.
  if (proc.pid !== undefined && raiseOomScore(proc.pid) === null) log.debug('oom_score_adj not raised (no /proc here, or refused)');
  const handle = new ChildHandle(settings.childId, proc, log, Date.now, options.output);
  handle.send(message<InitMessage>({ kind: 'init', settings }));
  return handle;
}
