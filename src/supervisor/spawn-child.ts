// Forking one child: an explicit execArgv (never the parent's own flags: fork() copies process.execArgv
// unless told otherwise, and NODE_OPTIONS would smuggle them in through the environment), IPC, and the
// init → ready handshake before any work.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { message } from '../ipc/protocol.js';
import type { ChildSettings, InitMessage } from '../ipc/protocol.js';
import type { Logger } from '../observability/logger.js';
import { ChildHandle } from './child-handle.js';

/** The child entry, resolved from this module's location, never from process.cwd(). */
export const CHILD_MAIN_PATH = fileURLToPath(new URL('../child/main.js', import.meta.url));

export interface SpawnOptions {
  heapMb: number;
  settings: ChildSettings;
  log: Logger;
  /** Extra execArgv for diagnosis (e.g. --cpu-prof); the heap flag always comes first. */
  extraExecArgv?: readonly string[];
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Settings (and any secrets among them) reach the child in the init message, not its environment.
    if (k === 'NODE_OPTIONS' || k.startsWith('SUPERVISOR_')) continue;
    env[k] = v;
  }
  return env;
}

export function spawnChild(options: SpawnOptions): ChildHandle {
  const { settings } = options;
  const execArgv = [`--max-old-space-size=${options.heapMb}`, ...(options.extraExecArgv ?? [])];
  const proc = fork(CHILD_MAIN_PATH, [], {
    execArgv,
    env: childEnv(),
    // stdout is shared (children write their own pino lines); stderr is piped so V8 OOM reports are seen.
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const log = options.log.child({ childId: settings.childId, childPid: proc.pid });
  const handle = new ChildHandle(settings.childId, proc, log);
  handle.send(message<InitMessage>({ kind: 'init', settings }));
  return handle;
}
