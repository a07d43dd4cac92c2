// Each poll: read every child's USS and RSS (smaps_rollup) and the container's cgroup, and decide. Two
// tiers per child, on what the kernel charges it (USS) — above the soft cap drain it, above the hard cap
// SIGKILL it — and two lines for the pod: past the pause line stop dispatching, past the recycle line kill
// the largest child. `--max-old-space-size` bounds only the V8 heap; file bytes live in Buffers outside it,
// so the process's own pages are the truth per child. docs/design.md#what-the-kernel-charges has the measurements.
import type { RecycleReason } from '../ipc/protocol.js';
import type { ChildState } from './child-handle.js';
import type { CgroupMemory } from './cgroup.js';
import type { MemoryPlan } from './memory-plan.js';
import { readSmapsRollup } from './rss-sampler.js';
import type { RssSampler } from './rss-sampler.js';

const MB = 1024 * 1024;

export interface GuardedChild {
  id: number;
  pid: number;
  state: ChildState;
}

export interface ChildSample {
  id: number;
  pid: number;
  /** Pages charged to this child alone: what its caps act on. */
  ussBytes: number;
  /** USS plus the pages it shares (the node binary, libraries), which the kernel charges once for all. */
  rssBytes: number;
}

export interface MemorySample {
  at: number;
  supervisorRssBytes: number;
  supervisorUssBytes: number;
  children: ChildSample[];
  /** The largest RSS − USS among the processes: the shared pages, charged once. */
  sharedBytes: number;
  /** Supervisor USS + the shared pages once + every child's USS: what the kernel charges the tree. */
  chargedBytes: number;
  /** Every process's RSS summed: counts the shared pages once per process (shown, never held). */
  treeRssBytes: number;
  /** The container's cgroup; null when there is none with a limit. */
  cgroup: CgroupMemory | null;
  /** The figure held against the budget: the tree's charge, or the cgroup working set where higher. */
  podBytes: number;
}

export interface GuardAction {
  id: number;
  reason: RecycleReason;
  ussBytes: number;
}

export interface GuardDecision {
  sample: MemorySample;
  kill: GuardAction[];
  drain: GuardAction[];
  paused: boolean;
}

/** The tree's figures from each process's USS and RSS: shared pages counted once, not once per process. */
export function treeFigures(supervisor: { ussBytes: number; rssBytes: number }, children: readonly ChildSample[]): Pick<MemorySample, 'sharedBytes' | 'chargedBytes' | 'treeRssBytes'> {
  let sharedBytes = supervisor.rssBytes - supervisor.ussBytes;
  let chargedBytes = supervisor.ussBytes;
  let treeRssBytes = supervisor.rssBytes;
  for (const c of children) {
    sharedBytes = Math.max(sharedBytes, c.rssBytes - c.ussBytes);
    chargedBytes += c.ussBytes;
    treeRssBytes += c.rssBytes;
  }
  return { sharedBytes, chargedBytes: chargedBytes + sharedBytes, treeRssBytes };
}

export class MemoryGuard {
  constructor(
    private readonly plan: MemoryPlan,
    private readonly sampler: RssSampler,
    private readonly readCgroup: () => CgroupMemory | null,
  ) {}

  async poll(children: readonly GuardedChild[]): Promise<GuardDecision> {
    const [memory, own] = await Promise.all([this.sampler.sampleAll(children.map((c) => c.pid)), readSmapsRollup(process.pid)]);
    const supervisorRssBytes = own?.rssBytes ?? process.memoryUsage.rss();
    const supervisorUssBytes = own?.ussBytes ?? supervisorRssBytes;
    const samples: ChildSample[] = [];
    for (const c of children) {
      const m = memory.get(c.pid);
      if (m !== undefined) samples.push({ id: c.id, pid: c.pid, ussBytes: m.ussBytes, rssBytes: m.rssBytes });
    }
    const tree = treeFigures({ ussBytes: supervisorUssBytes, rssBytes: supervisorRssBytes }, samples);
    // The cgroup is the pod only when it has a limit (a container). Without one it is a shared parent
    // group (a laptop, a CI runner) whose usage is mostly other processes': the tree alone is held then.
    const read = this.readCgroup();
    const cgroup = read?.limitBytes != null ? read : null;
    const podBytes = Math.max(tree.chargedBytes, cgroup?.workingSetBytes ?? 0);
    const sample: MemorySample = { at: Date.now(), supervisorRssBytes, supervisorUssBytes, children: samples, ...tree, cgroup, podBytes };
    return this.decide(sample, children);
  }

  decide(sample: MemorySample, children: readonly GuardedChild[]): GuardDecision {
    const hard = this.plan.childHardMb * MB;
    const soft = this.plan.childSoftMb * MB;
    const kill: GuardDecision['kill'] = [];
    const drain: GuardDecision['drain'] = [];
    const stateOf = new Map(children.map((c) => [c.id, c.state]));
    for (const c of sample.children) {
      const state = stateOf.get(c.id);
      if (state === 'terminating' || state === 'exited') continue;
      if (c.ussBytes > hard) kill.push({ id: c.id, reason: 'hard-cap', ussBytes: c.ussBytes });
      else if (c.ussBytes > soft && state === 'ready') drain.push({ id: c.id, reason: 'soft-cap', ussBytes: c.ussBytes });
    }
    if (sample.podBytes > this.plan.recycleAtMb * MB && kill.length === 0) {
      const candidates = sample.children.filter((c) => {
        const state = stateOf.get(c.id);
        return state !== 'terminating' && state !== 'exited';
      });
      const largest = candidates.sort((a, b) => b.ussBytes - a.ussBytes)[0];
      if (largest) kill.push({ id: largest.id, reason: 'budget', ussBytes: largest.ussBytes });
    }
    return { sample, kill, drain, paused: sample.podBytes > this.plan.pauseAtMb * MB };
  }
}
