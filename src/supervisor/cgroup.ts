// The container's own view of its memory: the cgroup is the truth for the pod (RSS is the truth per child).
// Kubernetes >= 1.28 on cgroup v2 sets memory.oom.group, so one process hitting the limit kills them all.
import { join } from 'node:path';
import { REAL_ROOTS, locateMemoryCgroup, readText } from './cgroup-location.js';
import type { CgroupLocation, CgroupRoots } from './cgroup-location.js';

export interface CgroupMemory {
  version: 1 | 2;
  /** The group read: the one whose limit binds (or the process's own when none has a limit). */
  dir: string;
  /** The smallest hard limit of the process's group and its ancestors, bytes; null when unlimited. */
  limitBytes: number | null;
  /** Charged bytes, page cache included. */
  usageBytes: number;
  /** usage − inactive file pages: what the kubelet calls the working set and evicts on. */
  workingSetBytes: number;
  /** memory.events (v2) or failcnt/oom_control (v1): counts of limit hits and OOM kills. */
  events: { max: number; oom: number; oomKill: number };
}

// cgroup v1 reports "no limit" as a page-rounded LONG_MAX.
const UNLIMITED_V1 = 2 ** 60;

function parseKeyValues(text: string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) out.set(key, Number(value));
  }
  return out;
}

/** One group's own hard limit in bytes; null when unlimited or unreadable. */
function ownLimit(version: 1 | 2, dir: string): number | null {
  const text = readText(join(dir, version === 2 ? 'memory.max' : 'memory.limit_in_bytes'));
  if (text === null || text === 'max') return null;
  const bytes = Number(text);
  return Number.isFinite(bytes) && bytes < UNLIMITED_V1 ? bytes : null;
}

/**
 * The group whose limit binds: the smallest among the process's group and its ancestors (a nested group
 * inherits every limit above it). On a tie the ancestor, whose usage includes the descendant's. v1 also
 * states the effective limit of ancestors above the mount (memory.stat hierarchical_memory_limit); when
 * that is the smallest, the highest visible group stands for the one that holds it.
 */
function bindingGroup(location: CgroupLocation): { dir: string; limitBytes: number | null } {
  const own = location.dirs[0] ?? '';
  let best: { dir: string; limitBytes: number | null } = { dir: own, limitBytes: null };
  for (const dir of location.dirs) {
    const limit = ownLimit(location.version, dir);
    if (limit !== null && (best.limitBytes === null || limit <= best.limitBytes)) best = { dir, limitBytes: limit };
  }
  if (location.version === 1) {
    const hierarchical = parseKeyValues(readText(join(own, 'memory.stat'))).get('hierarchical_memory_limit');
    if (hierarchical !== undefined && hierarchical < UNLIMITED_V1 && (best.limitBytes === null || hierarchical < best.limitBytes)) {
      best = { dir: location.dirs.at(-1) ?? own, limitBytes: hierarchical };
    }
  }
  return best;
}

function readV2(dir: string, limitBytes: number | null): CgroupMemory {
  const usage = Number(readText(join(dir, 'memory.current')) ?? 0);
  const stat = parseKeyValues(readText(join(dir, 'memory.stat')));
  const events = parseKeyValues(readText(join(dir, 'memory.events')));
  return {
    version: 2,
    dir,
    limitBytes,
    usageBytes: usage,
    workingSetBytes: Math.max(0, usage - (stat.get('inactive_file') ?? 0)),
    events: { max: events.get('max') ?? 0, oom: events.get('oom') ?? 0, oomKill: events.get('oom_kill') ?? 0 },
  };
}

function readV1(dir: string, limitBytes: number | null): CgroupMemory {
  const usage = Number(readText(join(dir, 'memory.usage_in_bytes')) ?? 0);
  const stat = parseKeyValues(readText(join(dir, 'memory.stat')));
  const oomControl = parseKeyValues(readText(join(dir, 'memory.oom_control')));
  return {
    version: 1,
    dir,
    limitBytes,
    usageBytes: usage,
    workingSetBytes: Math.max(0, usage - (stat.get('total_inactive_file') ?? 0)),
    events: {
      max: Number(readText(join(dir, 'memory.failcnt')) ?? 0),
      oom: oomControl.get('oom_kill') ?? 0,
      oomKill: oomControl.get('oom_kill') ?? 0,
    },
  };
}

/**
 * A reader of the container's memory cgroup: the smallest limit on this process's group and its ancestors,
 * and the usage and events of the group that holds it; null when there is no memory cgroup (a laptop,
 * macOS). Where the groups are is found once (a process stays in its cgroup, and /proc/self/mountinfo is
 * long); each read then takes only the limits, usage and events, so a resized limit is still seen.
 */
export function cgroupMemoryReader(roots: CgroupRoots = REAL_ROOTS): () => CgroupMemory | null {
  const location = locateMemoryCgroup(roots);
  if (location === null) return () => null;
  return () => {
    const { dir, limitBytes } = bindingGroup(location);
    return location.version === 2 ? readV2(dir, limitBytes) : readV1(dir, limitBytes);
  };
}

/** One reading, for a caller that asks once (the memory plan, tests). */
export function readCgroupMemory(roots: CgroupRoots = REAL_ROOTS): CgroupMemory | null {
  return cgroupMemoryReader(roots)();
}
