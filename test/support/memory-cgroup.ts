// A real memory cgroup for a test, made under this process's own group: v1 as root (mkdir under the memory
// controller's mount), v2 where the group is delegated to us (memory in its cgroup.subtree_control).
// Processes are born inside it through a shell that writes its own pid to cgroup.procs and then execs, so
// every process it forks is charged to the group from its first page.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { locateMemoryCgroup } from '../../src/supervisor/cgroup-location.js';
import { errorMessage } from '../../src/errors.js';
import { until } from './within.js';
import type { Launcher } from './e2e.js';

export interface TestCgroup {
  version: 1 | 2;
  dir: string;
  /** Command and arguments that run `command args` inside this group. */
  wrap: Launcher;
  /** A group inside this one, without a limit of its own. */
  child(name: string): TestCgroup;
  /** OOM kills in this group: v1 memory.oom_control oom_kill, v2 memory.events oom_kill. */
  oomKills(): number;
  /** The most memory ever charged to the group (v1 memory.max_usage_in_bytes, v2 memory.peak), or null. */
  peakBytes(): number | null;
  /** SIGKILL whatever is still inside (processes this test started there), wait until empty, rmdir. */
  remove(): Promise<void>;
}

function readValue(dir: string, file: string, key?: string): number | null {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch {
    return null;
  }
  if (key === undefined) return Number(text.trim());
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return line === undefined ? null : Number(line.slice(key.length + 1));
}

function pidsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter((l) => l.trim() !== '').map(Number);
  } catch {
    return [];
  }
}

function open(version: 1 | 2, dir: string): TestCgroup {
  const children: TestCgroup[] = [];
  return {
    version,
    dir,
    // $0 is the group's directory: the shell moves itself in, then becomes the command.
    wrap: (command, args) => ['/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args]],
    child(name) {
      const sub = join(dir, name);
      mkdirSync(sub);
      const c = open(version, sub);
      children.push(c);
      return c;
    },
    oomKills: () => (version === 1 ? readValue(dir, 'memory.oom_control', 'oom_kill') : readValue(dir, 'memory.events', 'oom_kill')) ?? 0,
    peakBytes: () => readValue(dir, version === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak'),
    async remove() {
      for (const c of children) await c.remove();
      for (const pid of pidsIn(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          // Exited between the read and the kill: nothing left to stop.
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
      await until(() => pidsIn(dir).length === 0, 10_000, `the processes of ${dir} to exit`);
      rmdirSync(dir);
    },
  };
}

/**
 * A group named `name-<pid>` with a hard limit, or the reason (one line) why none can be made here: not
 * root, no memory cgroup, a read-only or undelegated hierarchy.
 */
export function makeMemoryCgroup(name: string, limitBytes: number): TestCgroup | string {
  const own = locateMemoryCgroup();
  if (own === null) return 'no memory cgroup on this machine';
  if (own.version === 1 && process.getuid?.() !== 0) return 'cgroup v1 memory groups need root';
  const parent = own.dirs[0] ?? '';
  const dir = join(parent, `${name}-${process.pid}`);
  try {
    mkdirSync(dir);
  } catch (err) {
    return `cannot make a memory cgroup under ${parent}: ${errorMessage(err)}`;
  }
  const group = open(own.version, dir);
  try {
    if (own.version === 2) {
      // A delegated v2 group needs the memory controller enabled for its children.
      if (readValue(dir, 'memory.max') === null) writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory');
      writeFileSync(join(dir, 'memory.max'), String(limitBytes));
      if (readValue(dir, 'memory.swap.max') !== null) writeFileSync(join(dir, 'memory.swap.max'), '0');
    } else {
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
    }
  } catch (err) {
    rmdirSync(dir);
    return `cannot set a memory limit on ${dir}: ${errorMessage(err)}`;
  }
  return group;
}
