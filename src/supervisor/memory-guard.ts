// Each poll: read every child's RSS (pidusage) and the container's cgroup, and decide. Two tiers per
// child — above the soft cap drain it, above the hard cap SIGKILL it — and two lines for the pod: past
// the pause line stop dispatching, past the recycle line kill the largest child. `--max-old-space-size`
// bounds only the V8 heap; file bytes live in Buffers outside it, so RSS is the truth per child.
import type { RecycleReason } from '../ipc/protocol.js';
import type { CgroupMemory } from './cgroup.js';
import type { MemoryPlan } from './memory-plan.js';
import type { RssSampler } from './rss-sampler.js';

const MB = 1024 * 1024;

export interface GuardedChild {
  id: number;
  pid: number;
  state: string;
}

export interface ChildSample {
  id: number;
  pid: number;
  rssBytes: number;
}

export interface MemorySample {
  at: number;
  supervisorRssBytes: number;
  children: ChildSample[];
  treeRssBytes: number;
  /** The container's cgroup; null when there is none with a limit. */
  cgroup: CgroupMemory | null;
  /** The figure held against the budget: tree RSS, or the cgroup working set where higher. */
  podBytes: number;
}

export interface GuardDecision {
  sample: MemorySample;
  kill: { id: number; reason: RecycleReason; rssBytes: number }[];
  drain: { id: number; reason: RecycleReason; rssBytes: number }[];
  paused: boolean;
}

export class MemoryGuard {
  constructor(
    private readonly plan: MemoryPlan,
    private readonly sampler: RssSampler,
    private readonly readCgroup: () => CgroupMemory | null,
  ) {}

  async poll(children: readonly GuardedChild[]): Promise<GuardDecision> {
    const rss = await this.sampler.sampleAll(children.map((c) => c.pid));
    const supervisorRssBytes = process.memoryUsage.rss();
    const samples: ChildSample[] = [];
    for (const c of children) {
      const bytes = rss.get(c.pid);
      if (bytes !== undefined) samples.push({ id: c.id, pid: c.pid, rssBytes: bytes });
    }
    const treeRssBytes = supervisorRssBytes + samples.reduce((s, c) => s + c.rssBytes, 0);
    // The cgroup is the pod only when it has a limit (a container). Without one it is a shared parent
    // group (a laptop, a CI runner) whose usage is mostly other processes': the tree alone is held then.
    const read = this.readCgroup();
    const cgroup = read?.limitBytes != null ? read : null;
    const podBytes = Math.max(treeRssBytes, cgroup?.workingSetBytes ?? 0);
    const sample: MemorySample = { at: Date.now(), supervisorRssBytes, children: samples, treeRssBytes, cgroup, podBytes };
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
      if (c.rssBytes > hard) kill.push({ id: c.id, reason: 'hard-cap', rssBytes: c.rssBytes });
      else if (c.rssBytes > soft && state === 'ready') drain.push({ id: c.id, reason: 'soft-cap', rssBytes: c.rssBytes });
    }
    if (sample.podBytes > this.plan.recycleAtMb * MB && kill.length === 0) {
      const candidates = sample.children.filter((c) => {
        const state = stateOf.get(c.id);
        return state !== 'terminating' && state !== 'exited';
      });
      const largest = candidates.sort((a, b) => b.rssBytes - a.rssBytes)[0];
      if (largest) kill.push({ id: largest.id, reason: 'budget', rssBytes: largest.rssBytes });
    }
    return { sample, kill, drain, paused: sample.podBytes > this.plan.pauseAtMb * MB };
  }
}
