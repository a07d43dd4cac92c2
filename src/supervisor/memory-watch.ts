// Memory from the parent, every poll: sample the children and the pod (MemoryGuard), keep the peaks, and act
// on the guard's decision: drain a child over its soft cap, kill one over its hard cap or the largest past
// the pod's recycle line, and hold dispatch past the pause line. A stuck child never reports its own memory.
import type { RecycleReason } from '../ipc/protocol.js';
import type { Logger } from '../observability/logger.js';
import type { ChildHandle } from './child-handle.js';
import type { MemoryGuard, MemorySample } from './memory-guard.js';
import type { MemoryPlan } from './memory-plan.js';

const MB = 1024 * 1024;

/** The peaks a poll raises (a part of SupervisorStats). */
export interface MemoryPeaks {
  recycles: Record<RecycleReason, number>;
  /** Peak of the tree's charge: supervisor USS + shared pages once + every child's USS. */
  peakChargedBytes: number;
  /** Peak of every process's RSS summed (counts the shared pages once per process). */
  peakTreeRssBytes: number;
  peakCgroupBytes: number;
  peakChildUssBytes: number;
  peakChildRssBytes: number;
  peakSupervisorRssBytes: number;
}

export interface MemoryWatchHost {
  children(): Iterable<ChildHandle>;
  child(id: number): ChildHandle | undefined;
  stopping(): boolean;
  sampled(sample: MemorySample): void;
  recycled(child: ChildHandle, reason: RecycleReason, ussBytes: number): void;
  pausedChanged(paused: boolean): void;
}

export class MemoryWatch {
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private pausedNow = false;
  lastSample: MemorySample | null = null;

  constructor(
    private readonly plan: MemoryPlan,
    private readonly guard: MemoryGuard,
    private readonly peaks: MemoryPeaks,
    private readonly host: MemoryWatchHost,
    private readonly log: Logger,
  ) {}

  get paused(): boolean {
    return this.pausedNow;
  }

  start(pollMs: number): void {
    this.timer = setInterval(() => void this.poll(), pollMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Count a recycle (or a death) and tell the host. */
  count(child: ChildHandle, reason: RecycleReason, ussBytes: number): void {
    this.peaks.recycles[reason]++;
    this.host.recycled(child, reason, ussBytes);
  }

  /** Drain or kill a child for `reason`, unless a recycle already under way makes it moot. */
  recycle(child: ChildHandle, reason: RecycleReason, how: 'drain' | 'kill'): void {
    if (!child.canRecycle(how)) return;
    this.count(child, reason, child.lastUssBytes);
    child.log.warn(
      { reason, how, ussMb: Math.round(child.lastUssBytes / MB), rssMb: Math.round(child.lastRssBytes / MB), softMb: this.plan.childSoftMb, hardMb: this.plan.childHardMb, inFlight: child.inFlightCount },
      `recycling child (${reason})`,
    );
    if (how === 'drain') child.drain(reason);
    else child.kill(reason);
  }

  async poll(): Promise<void> {
    if (this.polling) return; // a slow /proc read must not stack polls
    this.polling = true;
    try {
      const live = [...this.host.children()].filter((c) => c.alive && c.pid > 0);
      const decision = await this.guard.poll(live.map((c) => ({ id: c.id, pid: c.pid, state: c.state })));
      const s = decision.sample;
      this.lastSample = s;
      const peaks = this.peaks;
      for (const cs of s.children) {
        const child = this.host.child(cs.id);
        if (!child) continue;
        child.observe(cs.ussBytes, cs.rssBytes);
        peaks.peakChildUssBytes = Math.max(peaks.peakChildUssBytes, cs.ussBytes);
        peaks.peakChildRssBytes = Math.max(peaks.peakChildRssBytes, cs.rssBytes);
      }
      peaks.peakChargedBytes = Math.max(peaks.peakChargedBytes, s.chargedBytes);
      peaks.peakTreeRssBytes = Math.max(peaks.peakTreeRssBytes, s.treeRssBytes);
      peaks.peakSupervisorRssBytes = Math.max(peaks.peakSupervisorRssBytes, s.supervisorRssBytes);
      peaks.peakCgroupBytes = Math.max(peaks.peakCgroupBytes, s.cgroup?.usageBytes ?? 0);
      if (!this.host.stopping()) {
        for (const k of decision.kill) {
          const child = this.host.child(k.id);
          if (child) this.recycle(child, k.reason, 'kill');
        }
        for (const d of decision.drain) {
          const child = this.host.child(d.id);
          if (child) this.recycle(child, d.reason, 'drain');
        }
      }
      if (decision.paused !== this.pausedNow) {
        this.pausedNow = decision.paused;
        this.log.warn({ podMb: Math.round(s.podBytes / MB), pauseAtMb: this.plan.pauseAtMb }, decision.paused ? 'pod memory past the pause line: dispatch paused' : 'pod memory back under the pause line: dispatch resumed');
        this.host.pausedChanged(this.pausedNow);
      }
      this.host.sampled(s);
    } catch (err) {
      this.log.error({ err }, 'memory poll failed');
    } finally {
      this.polling = false;
    }
  }
}
