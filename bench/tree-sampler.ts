// Samples the RSS of a whole process tree (a root pid and all its descendants) from /proc every few tens of
// milliseconds: /proc/<pid>/stat gives ppid and RSS pages for every process, the tree is rebuilt each tick
// so children forked (and recycled) mid-run are counted. Also reads the cgroup's memory usage when present
// (it includes the benchmark's own servers, so it is context, not the figure we judge). Beside the summed
// RSS, the tree's charge: every process's own pages (USS, smaps_rollup) plus the pages they share once,
// which is what the kernel charges and what the memory plan budgets (docs/design.md#what-the-kernel-charges).
import { readdirSync, readFileSync } from 'node:fs';
import { CHILD_MAIN_PATH } from '../src/supervisor/spawn-child.js';

const PAGE = 4096;

export type Role = 'root' | 'child' | 'other';

export interface PidSeries {
  pid: number;
  role: Role;
  /** [ms since start, RSS bytes] */
  points: [number, number][];
  peak: number;
}

export interface TreeSamples {
  intervalMs: number;
  samples: number;
  /** [ms since start, tree RSS bytes] */
  tree: [number, number][];
  peakTree: number;
  /** Peak of the tree's charge: Σ USS + the largest RSS − USS once. */
  peakCharged: number;
  /** [ms since start, the tree's charge] */
  charged: [number, number][];
  peakRoot: number;
  peakChild: number;
  cgroupPeak: number | null;
  perPid: PidSeries[];
  /** [ms since start, bytes received by the sink] — throughput over time, when a sink poller is given. */
  sinkBytes: [number, number][];
  /**
   * CPU seconds (user + system) the tree used: each process's last sampled utime + stime, summed. A process
   * that lived less than one interval, or its last interval, is missed, so this is a slight undercount.
   */
  cpuSeconds: number;
  /** The same, split by role (root: the tool's own process; child: our copy children; other: anything else). */
  cpuSecondsByRole: Record<string, number>;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

/** CPU seconds (user + system) a live process has used so far, or null once it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  const s = readStat(pid);
  return s ? s.cpuTicks / CLK_TCK : null;
}

function readStat(pid: number): { ppid: number; rss: number; cpuTicks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after "pid (comm) ": state ppid … utime(11) stime(12) … rss(21), counted from 0.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), rss: Number(fields[21]) * PAGE, cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null; // gone between readdir and read
  }
}

/** A process's own pages (USS) and its RSS from smaps_rollup, or null when unreadable. */
function readOwnPages(pid: number): { uss: number; rss: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
  } catch {
    return null;
  }
  let uss = 0;
  let rss = 0;
  for (const m of text.matchAll(/^(Rss|Private_Clean|Private_Dirty):\s+(\d+) kB$/gm)) {
    if (m[1] === 'Rss') rss += Number(m[2]) * 1024;
    else uss += Number(m[2]) * 1024;
  }
  return rss > 0 ? { uss, rss } : null;
}

function roleOf(pid: number, rootPid: number): Role {
  if (pid === rootPid) return 'root';
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    return cmd.includes(CHILD_MAIN_PATH) ? 'child' : 'other';
  } catch {
    return 'other';
  }
}

function readCgroupBytes(): number | null {
  for (const path of ['/sys/fs/cgroup/memory.current', '/sys/fs/cgroup/memory/memory.usage_in_bytes']) {
    try {
      return Number(readFileSync(path, 'utf8').trim());
    } catch {
      // try the next layout
    }
  }
  return null;
}

export class TreeSampler {
  private readonly start = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly sinkTimer: NodeJS.Timeout | null;
  private readonly series = new Map<number, PidSeries>();
  private readonly cpuTicks = new Map<number, number>();
  private readonly out: TreeSamples;

  constructor(
    private readonly rootPid: number,
    intervalMs: number,
    sinkBytes: (() => Promise<number>) | null,
  ) {
    this.out = { intervalMs, samples: 0, tree: [], peakTree: 0, peakCharged: 0, charged: [], peakRoot: 0, peakChild: 0, cgroupPeak: null, perPid: [], sinkBytes: [], cpuSeconds: 0, cpuSecondsByRole: {} };
    this.tick();
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.sinkTimer = sinkBytes
      ? setInterval(() => {
          const t = Date.now() - this.start;
          sinkBytes().then(
            (b) => this.out.sinkBytes.push([t, b]),
            () => undefined, // a poll lost to a busy sink is just a missing point
          );
        }, 250)
      : null;
  }

  private tick(): void {
    const t = Date.now() - this.start;
    const parent = new Map<number, number>();
    const rss = new Map<number, number>();
    const ticks = new Map<number, number>();
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      const s = readStat(pid);
      if (!s) continue;
      parent.set(pid, s.ppid);
      rss.set(pid, s.rss);
      ticks.set(pid, s.cpuTicks);
    }
    if (!rss.has(this.rootPid)) return;
    const kids = new Map<number, number[]>();
    for (const [pid, ppid] of parent) {
      const list = kids.get(ppid) ?? [];
      list.push(pid);
      kids.set(ppid, list);
    }
    let total = 0;
    let own = 0;
    let shared = 0;
    const stack = [this.rootPid];
    while (stack.length > 0) {
      const pid = stack.pop() as number;
      const bytes = rss.get(pid) ?? 0;
      total += bytes;
      const pages = readOwnPages(pid);
      own += pages?.uss ?? bytes;
      shared = Math.max(shared, pages ? pages.rss - pages.uss : 0);
      this.cpuTicks.set(pid, ticks.get(pid) ?? 0);
      let s = this.series.get(pid);
      if (!s) {
        s = { pid, role: roleOf(pid, this.rootPid), points: [], peak: 0 };
        this.series.set(pid, s);
      } else if (s.role === 'other') {
        // A fork shows its parent's command line until it execs: a child seen that early was taken for
        // 'other' for good, its CPU and peak left out of the children's (one of 8 children, in a full run).
        s.role = roleOf(pid, this.rootPid);
      }
      s.points.push([t, bytes]);
      s.peak = Math.max(s.peak, bytes);
      if (s.role === 'root') this.out.peakRoot = Math.max(this.out.peakRoot, bytes);
      if (s.role === 'child') this.out.peakChild = Math.max(this.out.peakChild, bytes);
      for (const k of kids.get(pid) ?? []) stack.push(k);
    }
    this.out.samples++;
    this.out.tree.push([t, total]);
    this.out.peakTree = Math.max(this.out.peakTree, total);
    this.out.charged.push([t, own + shared]);
    this.out.peakCharged = Math.max(this.out.peakCharged, own + shared);
    const cg = readCgroupBytes();
    if (cg !== null) this.out.cgroupPeak = Math.max(this.out.cgroupPeak ?? 0, cg);
  }

  stop(): TreeSamples {
    clearInterval(this.timer);
    if (this.sinkTimer) clearInterval(this.sinkTimer);
    this.out.perPid = [...this.series.values()];
    let ticks = 0;
    const byRole: Record<string, number> = {};
    for (const [pid, t] of this.cpuTicks) {
      ticks += t;
      const role = this.series.get(pid)?.role ?? 'other';
      byRole[role] = (byRole[role] ?? 0) + t / CLK_TCK;
    }
    this.out.cpuSeconds = ticks / CLK_TCK;
    this.out.cpuSecondsByRole = byRole;
    return this.out;
  }
}
