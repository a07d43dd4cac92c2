// The container's own view of its memory: the cgroup is the truth for the pod (RSS is the truth per child).
// Kubernetes >= 1.28 on cgroup v2 sets memory.oom.group, so one process hitting the limit kills them all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupMemory {
  version: 1 | 2;
  /** The hard limit in bytes; null when unlimited. */
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

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    // Absent files are normal (no cgroup, another version, a restricted /sys): the caller falls back.
    return null;
  }
}

function parseKeyValues(text: string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) out.set(key, Number(value));
  }
  return out;
}

/** The cgroup v2 directory of this process: /proc/self/cgroup "0::/path", under /sys/fs/cgroup. */
function v2Dir(root: string): string | null {
  const self = readText('/proc/self/cgroup');
  const line = self?.split('\n').find((l) => l.startsWith('0::'));
  const candidates = [line ? join(root, line.slice(3)) : null, root];
  for (const dir of candidates) {
    if (dir !== null && readText(join(dir, 'memory.current')) !== null) return dir;
  }
  return null;
}

function readV2(dir: string): CgroupMemory {
  const max = readText(join(dir, 'memory.max'));
  const usage = Number(readText(join(dir, 'memory.current')) ?? 0);
  const stat = parseKeyValues(readText(join(dir, 'memory.stat')));
  const events = parseKeyValues(readText(join(dir, 'memory.events')));
  return {
    version: 2,
    limitBytes: max === null || max === 'max' ? null : Number(max),
    usageBytes: usage,
    workingSetBytes: Math.max(0, usage - (stat.get('inactive_file') ?? 0)),
    events: { max: events.get('max') ?? 0, oom: events.get('oom') ?? 0, oomKill: events.get('oom_kill') ?? 0 },
  };
}

function readV1(dir: string): CgroupMemory | null {
  const limitText = readText(join(dir, 'memory.limit_in_bytes'));
  const usageText = readText(join(dir, 'memory.usage_in_bytes'));
  if (limitText === null || usageText === null) return null;
  const limit = Number(limitText);
  const usage = Number(usageText);
  const stat = parseKeyValues(readText(join(dir, 'memory.stat')));
  const oomControl = parseKeyValues(readText(join(dir, 'memory.oom_control')));
  return {
    version: 1,
    limitBytes: limit >= UNLIMITED_V1 ? null : limit,
    usageBytes: usage,
    workingSetBytes: Math.max(0, usage - (stat.get('total_inactive_file') ?? 0)),
    events: {
      max: Number(readText(join(dir, 'memory.failcnt')) ?? 0),
      oom: oomControl.get('oom_kill') ?? 0,
      oomKill: oomControl.get('oom_kill') ?? 0,
    },
  };
}

/** Read the container's memory cgroup; null when there is none (a laptop, macOS). */
export function readCgroupMemory(root = '/sys/fs/cgroup'): CgroupMemory | null {
  const dir = v2Dir(root);
  if (dir !== null) return readV2(dir);
  return readV1(join(root, 'memory'));
}
