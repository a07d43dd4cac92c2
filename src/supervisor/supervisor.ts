// The supervisor: forks memory-capped children, hands them batches, watches their memory, recycles them
// without losing work, and shuts down cleanly. It never touches file bytes and knows nothing of Drive or
// S3: work comes from a WorkSource and runs in whatever processor module it is given.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { CrashLoopError } from '../errors.js';
import { message, RECYCLE_REASONS } from '../ipc/protocol.js';
import type { BatchMessage, ChildMessage, ItemOutcome, PaceMessage, RecycleReason, ServiceStateMessage, WorkItem } from '../ipc/protocol.js';
import type { JsonObject } from '../ipc/json.js';
import type { SerializedError } from '../ipc/serialized-error.js';
import type { OutageView } from '../ipc/service-signals.js';
import type { Logger } from '../observability/logger.js';
import type { ChildExit, ChildHandle } from './child-handle.js';
import { cgroupMemoryReader } from './cgroup.js';
import type { CgroupMemory } from './cgroup.js';
import { chooseReservation, takeBatch } from './dispatcher.js';
import type { ChildSlot, DispatchLimits } from './dispatcher.js';
import { MemoryGuard } from './memory-guard.js';
import { OutageWatch } from './outage-watch.js';
import type { FailedOutcome, OutageOptions, OutageStop } from './outage-watch.js';
import type { MemorySample } from './memory-guard.js';
import type { MemoryPlan } from './memory-plan.js';
import { RssSampler } from './rss-sampler.js';
import { spawnChild } from './spawn-child.js';
import type { WorkSource } from './work-source.js';

const MB = 1024 * 1024;
const REACTION_SAMPLES = 1000;

export interface SupervisorOptions {
  plan: MemoryPlan;
  processorPath: string;
  processorOptions: JsonObject;
  batchFiles: number;
  batchMb: number;
  maxAttempts: number;
  /** 0: off. */
  maxItemsPerChild: number;
  rssPollMs: number;
  shutdownGraceMs: number;
  startupTimeoutMs: number;
  /** Consecutive children dying before ready that stop the run. */
  crashLoopLimit: number;
  /** Items held in the supervisor's ready queue (bounded memory whatever the tree size). */
  queueLength: number;
  recycleStaggerMs: number;
  logLevel: string;
  log: Logger;
  readCgroup?: () => CgroupMemory | null;
  childExecArgv?: readonly string[];
  /**
   * A failure no other item can get past either (the source refused the credentials): returns why to stop,
   * or null. Such an item is not settled but put back untouched, and the run stops with that reason.
   */
  stopOnFailure?: (error: SerializedError) => string | null;
  /** A service (Drive, S3) found unreachable: dispatch waits for it instead of failing every file. */
  outage?: OutageOptions;
  /** A shared request rate every ready child takes a share of and reports to (drive/shared-pace.ts). */
  pace?: RateSharing;
}

/** A rate shared by several processes: each is pushed its share, and reports how its requests went. */
export interface RateSharing {
  join(id: string, apply: (ratePerSecond: number, resumeAt: number) => void): () => void;
  report(answered: number, refused: number, retryAfterMs: number | null): void;
}

export type { OutageOptions, OutageStop } from './outage-watch.js';

export type RunOutcome = 'completed' | 'interrupted' | 'crash-loop';

export interface RecycleEvent {
  childId: number;
  pid: number;
  reason: RecycleReason;
  /** The child's own pages at the decision, the figure its caps act on. */
  ussBytes: number;
}

export interface SupervisorStats {
  childrenSpawned: number;
  recycles: Record<RecycleReason, number>;
  /** Peak of the tree's charge: supervisor USS + shared pages once + every child's USS. */
  peakChargedBytes: number;
  /** Peak of every process's RSS summed (counts the shared pages once per process). */
  peakTreeRssBytes: number;
  peakCgroupBytes: number;
  peakChildUssBytes: number;
  peakChildRssBytes: number;
  peakSupervisorRssBytes: number;
  /** Poll that decided a recycle → its replacement's ready handshake, for the last 1,000 recycles. */
  replacementReadyMs: number[];
  settled: { done: number; skipped: number; failed: number };
  bytesDone: number;
}

export interface ChildView {
  id: number;
  pid: number;
  state: string;
  ussBytes: number;
  rssBytes: number;
  inFlight: number;
}

interface SupervisorEvents {
  sample: [MemorySample];
  recycle: [RecycleEvent];
  'child-ready': [{ childId: number; pid: number; startupMs: number }];
  'item-settled': [{ item: WorkItem; outcome: ItemOutcome }];
  /** Every result a child sends, settled or not (a failed attempt that is retried, or held for an outage). */
  'item-result': [{ item: WorkItem; outcome: ItemOutcome }];
  'item-progress': [{ item: WorkItem; bytes: number }];
  paused: [boolean];
  /** `since`: when the first failure blaming the service was seen (epoch ms). */
  outage: [{ service: string; down: boolean; since: number }];
}


interface PendingReplacement {
  reason: RecycleReason;
  decidedAt: number;
}

function emptyRecycles(): Record<RecycleReason, number> {
  return Object.fromEntries(RECYCLE_REASONS.map((r) => [r, 0])) as Record<RecycleReason, number>;
}

function describeExit(exit: ChildExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly children = new Map<number, ChildHandle>();
  private readonly queue: WorkItem[] = [];
  private readonly guard: MemoryGuard;
  private readonly limits: DispatchLimits;
  private readonly log: Logger;
  private nextChildId = 1;
  private pendingSpawns = 0;
  private lastReplacementAt = 0;
  private consecutiveStartupFailures = 0;
  private stopping = false;
  private paused = false;
  private dispatchScheduled = false;
  private waitingForWork = false;
  private polling = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private finish: ((outcome: RunOutcome) => void) | null = null;
  private fatal: Error | null = null;
  private shutdownPromise: Promise<void> | null = null;
  private readonly replacementFor = new Map<number, PendingReplacement>();
  private readonly startupTimers = new Map<number, NodeJS.Timeout>();
  private readonly leavePace = new Map<number, () => void>();
  private readonly outages: OutageWatch | null;
  outageStop: OutageStop | null = null;
  readonly stats: SupervisorStats = {
    childrenSpawned: 0,
    recycles: emptyRecycles(),
    peakChargedBytes: 0,
    peakTreeRssBytes: 0,
    peakCgroupBytes: 0,
    peakChildUssBytes: 0,
    peakChildRssBytes: 0,
    peakSupervisorRssBytes: 0,
    replacementReadyMs: [],
    settled: { done: 0, skipped: 0, failed: 0 },
    bytesDone: 0,
  };
  lastSample: MemorySample | null = null;

  constructor(
    private readonly source: WorkSource,
    private readonly options: SupervisorOptions,
  ) {
    super();
    this.log = options.log;
    const plan = options.plan;
    this.guard = new MemoryGuard(plan, new RssSampler(options.rssPollMs), options.readCgroup ?? cgroupMemoryReader());
    this.outages = options.outage ? this.watchOutages(options.outage) : null;
    this.limits = {
      batchFiles: options.batchFiles,
      batchBytes: options.batchMb * MB,
      concurrency: plan.childConcurrency,
      childItemBudgetBytes: plan.childItemBudgetMb * MB,
    };
  }

  get plan(): MemoryPlan {
    return this.options.plan;
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Bytes read so far by items still in flight (progress reports), for live throughput figures. */
  inFlightBytes(): number {
    let sum = 0;
    for (const c of this.children.values()) for (const f of c.inFlight.values()) sum += f.bytes;
    return sum;
  }

  /** The outage watch for the listing's requests; null when no outage options were given. */
  serviceHealth(): OutageView | null {
    const watch = this.outages;
    if (!watch) return null;
    return {
      unreachable: (service) => watch.report(service),
      downSignal: (service) => watch.signals.downSignal(service),
      whenUp: (service, signal) => watch.signals.whenUp(service, signal),
    };
  }

  childViews(): ChildView[] {
    return [...this.children.values()].map((c) => ({
      id: c.id,
      pid: c.pid,
      state: c.state,
      ussBytes: c.lastUssBytes,
      rssBytes: c.lastRssBytes,
      inFlight: c.inFlight.size,
    }));
  }

  /** Run until the source is exhausted and every item is settled, or until shutdown. */
  async run(): Promise<RunOutcome> {
    const done = new Promise<RunOutcome>((resolve) => (this.finish = resolve));
    // One child at once, so its start-up overlaps the source's first work (the listing's first page);
    // the rest as work asks for them (grow).
    if (this.plan.workers > 0) this.spawn(null);
    this.pollTimer = setInterval(() => void this.poll(), this.options.rssPollMs);
    this.feed();
    const outcome = await done;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.fatal) throw this.fatal;
    return outcome;
  }

  /** Stop dispatching, let children checkpoint within the grace period, kill what remains. Idempotent. */
  shutdown(reason: string): Promise<void> {
    this.shutdownPromise ??= this.stopAll(reason, 'interrupted');
    return this.shutdownPromise;
  }

  private async stopAll(reason: string, outcome: RunOutcome): Promise<void> {
    this.stopping = true;
    this.log.info({ reason, children: this.children.size }, 'supervisor stopping');
    for (const t of this.startupTimers.values()) clearTimeout(t);
    const exits = [...this.children.values()].map(async (child) => {
      try {
        await child.terminate(this.options.shutdownGraceMs);
      } catch (err) {
        this.log.error({ err, childId: child.id }, 'error while stopping a child');
      }
    });
    await Promise.all(exits);
    // Items still queued here go back to the source untouched: the next run picks them up.
    for (const item of this.queue.splice(0)) this.source.requeue(item, { countAttempt: false, reason });
    this.outages?.close(reason);
    this.finish?.(outcome);
  }

  // ---- children -------------------------------------------------------------------------------

  private spawn(replacing: PendingReplacement | null): void {
    const childId = this.nextChildId++;
    const child = spawnChild({
      heapMb: this.plan.childHeapMb,
      log: this.log,
      extraExecArgv: this.options.childExecArgv ?? [],
      settings: {
        childId,
        concurrency: this.plan.childConcurrency,
        processorPath: this.options.processorPath,
        processorOptions: this.options.processorOptions,
        logLevel: this.options.logLevel,
      },
    });
    this.stats.childrenSpawned++;
    this.children.set(childId, child);
    if (replacing) this.replacementFor.set(childId, replacing);
    child.on('message', (msg) => this.onMessage(child, msg));
    child.on('exit', (exit) => this.onExit(child, exit));
    const timer = setTimeout(() => {
      if (child.state === 'starting') {
        child.log.error({ timeoutMs: this.options.startupTimeoutMs }, 'child did not say ready in time: killing it');
        child.killNow('crash');
      }
    }, this.options.startupTimeoutMs);
    this.startupTimers.set(childId, timer);
  }

  private scheduleReplacement(replacing: PendingReplacement): void {
    const now = Date.now();
    // Stagger replacements (a gap per replacement plus jitter) so children never all restart at once.
    const stagger = this.options.recycleStaggerMs;
    const at = Math.max(now, this.lastReplacementAt + stagger) + Math.random() * (stagger / 2);
    this.lastReplacementAt = at;
    this.pendingSpawns++;
    setTimeout(() => {
      this.pendingSpawns--;
      if (!this.stopping && this.hasWorkLeft()) this.spawn(replacing);
    }, at - now).unref();
  }

  /**
   * Start children up to `workers`, but never more than there are items to give them (queued or in
   * flight): a child costs its start-up CPU and ~60 MB of baseline RSS, so a run of two files on a
   * 16-worker pod starts two. Replacements already scheduled count as children.
   */
  private grow(): void {
    if (this.stopping || this.fatal) return;
    let outstanding = this.queue.length;
    for (const c of this.children.values()) outstanding += c.inFlight.size;
    const want = Math.min(this.plan.workers, outstanding);
    for (let live = this.children.size + this.pendingSpawns; live < want; live++) this.spawn(null);
  }

  private hasWorkLeft(): boolean {
    if (this.queue.length > 0 || !this.source.isExhausted() || this.outages?.holding === true) return true;
    for (const c of this.children.values()) if (c.inFlight.size > 0) return true;
    return false;
  }

  private onMessage(child: ChildHandle, msg: ChildMessage): void {
    switch (msg.kind) {
      case 'ready':
        return this.onReady(child);
      case 'item-start': {
        const f = child.inFlight.get(msg.itemId);
        if (f) f.started = true;
        return;
      }
      case 'item-progress': {
        const f = child.inFlight.get(msg.itemId);
        if (!f) return;
        f.bytes = msg.bytes;
        this.source.progress?.(f.item, msg.bytes);
        this.emit('item-progress', { item: f.item, bytes: msg.bytes });
        return;
      }
      case 'item-checkpoint': {
        const f = child.inFlight.get(msg.itemId);
        if (!f) return;
        f.item = { ...f.item, checkpoint: msg.checkpoint };
        this.source.checkpoint(f.item, msg.checkpoint);
        return;
      }
      case 'item-result':
        return this.onResult(child, msg.itemId, msg.outcome);
      case 'service-unreachable':
        child.log.debug({ itemId: msg.itemId, service: msg.service, code: msg.code }, 'a request failed as unreachable: probing the service');
        void this.outages?.report(msg.service);
        return;
      case 'item-returned':
        return this.onReturned(child, msg.itemId, msg.service);
      case 'pace-report':
        this.options.pace?.report(msg.answered, msg.refused, msg.retryAfterMs);
        return;
      case 'fatal':
        child.log.error({ error: msg.error }, 'child reported a fatal error');
        return;
    }
  }

  private onReady(child: ChildHandle): void {
    const timer = this.startupTimers.get(child.id);
    if (timer) clearTimeout(timer);
    this.startupTimers.delete(child.id);
    if (child.state !== 'starting') return;
    child.state = 'ready';
    child.readyAt = Date.now();
    this.consecutiveStartupFailures = 0;
    const startupMs = child.readyAt - child.startedAt;
    const replacing = this.replacementFor.get(child.id);
    if (replacing) {
      this.replacementFor.delete(child.id);
      // The most recent figures only: a long run recycles many times and stats must stay bounded.
      if (this.stats.replacementReadyMs.length >= REACTION_SAMPLES) this.stats.replacementReadyMs.shift();
      this.stats.replacementReadyMs.push(child.readyAt - replacing.decidedAt);
    }
    child.log.info({ startupMs }, 'child ready');
    for (const service of this.outages?.downServices() ?? []) child.send(message<ServiceStateMessage>({ kind: 'service-state', service, down: true }));
    this.emit('child-ready', { childId: child.id, pid: child.pid, startupMs });
    if (this.stopping) {
      void child.terminate(this.options.shutdownGraceMs);
      return;
    }
    // Its share goes out before its first batch (IPC keeps the order).
    const pace = this.options.pace;
    if (pace) {
      // A terminating child may have closed its end already: a share sent then is an EPIPE warning, not news.
      const leave = pace.join(`child ${child.id}`, (ratePerSecond, resumeAt) => {
        if (child.state !== 'terminating') child.send(message<PaceMessage>({ kind: 'pace', ratePerSecond, resumeAt }));
      });
      this.leavePace.set(child.id, leave);
    }
    this.scheduleDispatch();
  }

  private onResult(child: ChildHandle, itemId: string, outcome: ItemOutcome): void {
    const f = child.inFlight.get(itemId);
    if (!f) {
      child.log.warn({ itemId }, 'result for an item this child does not hold: ignored');
      return;
    }
    child.inFlight.delete(itemId);
    child.itemsSettled++;
    const item = f.item;
    this.emit('item-result', { item, outcome });
    const stop = outcome.status === 'failed' ? (this.options.stopOnFailure?.(outcome.error) ?? null) : null;
    if (stop !== null) {
      this.source.requeue(item, { countAttempt: false, reason: stop });
      void this.shutdown(stop);
    } else if (outcome.status === 'failed') {
      if (this.outages?.take(item, outcome) !== true) this.afterFailure(item, outcome);
    } else {
      this.settle(item, outcome);
    }
    const max = this.options.maxItemsPerChild;
    if (max > 0 && child.itemsSettled >= max && child.state === 'ready') this.recycle(child, 'max-items', 'drain');
    this.feed();
    this.scheduleDispatch();
    this.checkDone();
  }

  /** The child stopped retrying because we hold `service` down: back to the source, no attempt counted. */
  private onReturned(child: ChildHandle, itemId: string, service: string): void {
    const f = child.inFlight.get(itemId);
    if (!f) return;
    child.inFlight.delete(itemId);
    this.source.requeue(f.item, { countAttempt: false, reason: `${service} unreachable` });
    this.feed();
    this.scheduleDispatch();
    this.checkDone();
  }

  private settle(item: WorkItem, outcome: ItemOutcome): void {
    this.stats.settled[outcome.status]++;
    if (outcome.status === 'done') this.stats.bytesDone += outcome.bytes;
    this.source.settle(item, outcome);
    this.emit('item-settled', { item, outcome });
  }

  private onExit(child: ChildHandle, exit: ChildExit): void {
    this.children.delete(child.id);
    this.leavePace.get(child.id)?.();
    this.leavePace.delete(child.id);
    const timer = this.startupTimers.get(child.id);
    if (timer) clearTimeout(timer);
    this.startupTimers.delete(child.id);
    this.replacementFor.delete(child.id);
    const graceful = this.stopping || (child.recycleReason !== null && child.recycleReason !== 'hard-cap' && child.recycleReason !== 'budget' && exit.code === 0);
    let reason: RecycleReason | null = child.recycleReason;
    if (reason === null && !this.stopping) {
      reason = exit.heapOom ? 'heap-oom' : 'crash';
      this.countRecycle(child, reason, child.lastUssBytes);
    }
    const level = graceful ? 'info' : 'warn';
    child.log[level](
      { exit: describeExit(exit), reason, inFlight: child.inFlight.size, duringStartup: exit.duringStartup, stderr: graceful ? undefined : child.stderrExcerpt || undefined },
      'child exited',
    );
    this.requeueInFlight(child, exit, reason);
    if (exit.duringStartup && !this.stopping) {
      this.consecutiveStartupFailures++;
      if (this.consecutiveStartupFailures >= this.options.crashLoopLimit) {
        this.fatal = new CrashLoopError(
          `children keep dying during start-up (${this.consecutiveStartupFailures} in a row, last: ${describeExit(exit)}${child.stderrExcerpt ? `: ${child.stderrExcerpt}` : ''}); not respawning`,
        );
        this.log.error({ err: this.fatal }, 'crash loop: stopping the run');
        void this.shutdown('crash-loop');
        return;
      }
    }
    if (!this.stopping && this.hasWorkLeft()) {
      this.scheduleReplacement({ reason: reason ?? 'crash', decidedAt: child.recycleDecidedAt ?? Date.now() });
    }
    this.feed();
    this.scheduleDispatch();
    this.checkDone();
  }

  private requeueInFlight(child: ChildHandle, exit: ChildExit, reason: RecycleReason | null): void {
    for (const f of child.inFlight.values()) {
      const item = f.item;
      if (this.stopping || !f.started) {
        this.source.requeue(item, { countAttempt: false, reason: this.stopping ? 'shutdown' : 'child exited before starting it' });
      } else if (item.attempt >= this.options.maxAttempts) {
        const message = `poison item: in flight during ${item.attempt} child deaths (last: ${reason ?? 'exit'}, ${describeExit(exit)})`;
        child.log.error({ itemId: item.id, attempt: item.attempt }, message);
        this.settle(item, { status: 'failed', error: { name: 'PoisonItemError', message, code: 'poison', retryable: false }, detail: {} });
      } else {
        this.source.requeue(item, { countAttempt: true, reason: `child ${reason ?? 'exit'}` });
      }
    }
    child.inFlight.clear();
  }

  private countRecycle(child: ChildHandle, reason: RecycleReason, ussBytes: number): void {
    this.stats.recycles[reason]++;
    this.emit('recycle', { childId: child.id, pid: child.pid, reason, ussBytes });
  }

  private recycle(child: ChildHandle, reason: RecycleReason, how: 'drain' | 'kill'): void {
    if (!child.alive || child.state === 'terminating') return;
    // A draining child may still grow past its hard cap: the kill escalates the drain (counted again).
    if (child.recycleReason !== null && how === 'drain') return;
    child.recycleDecidedAt = Date.now();
    child.recycleReason = null;
    this.countRecycle(child, reason, child.lastUssBytes);
    child.log.warn(
      { reason, how, ussMb: Math.round(child.lastUssBytes / MB), rssMb: Math.round(child.lastRssBytes / MB), softMb: this.plan.childSoftMb, hardMb: this.plan.childHardMb, inFlight: child.inFlight.size },
      `recycling child (${reason})`,
    );
    if (how === 'drain') child.drain(reason);
    else child.killNow(reason);
  }

  // ---- memory -----------------------------------------------------------------------------------

  private async poll(): Promise<void> {
    if (this.polling) return; // a slow /proc read must not stack polls
    this.polling = true;
    try {
      const live = [...this.children.values()].filter((c) => c.alive && c.pid > 0);
      const decision = await this.guard.poll(live.map((c) => ({ id: c.id, pid: c.pid, state: c.state })));
      const s = decision.sample;
      this.lastSample = s;
      for (const cs of s.children) {
        const child = this.children.get(cs.id);
        if (!child) continue;
        child.lastUssBytes = cs.ussBytes;
        child.lastRssBytes = cs.rssBytes;
        child.peakUssBytes = Math.max(child.peakUssBytes, cs.ussBytes);
        this.stats.peakChildUssBytes = Math.max(this.stats.peakChildUssBytes, cs.ussBytes);
        this.stats.peakChildRssBytes = Math.max(this.stats.peakChildRssBytes, cs.rssBytes);
      }
      this.stats.peakChargedBytes = Math.max(this.stats.peakChargedBytes, s.chargedBytes);
      this.stats.peakTreeRssBytes = Math.max(this.stats.peakTreeRssBytes, s.treeRssBytes);
      this.stats.peakSupervisorRssBytes = Math.max(this.stats.peakSupervisorRssBytes, s.supervisorRssBytes);
      this.stats.peakCgroupBytes = Math.max(this.stats.peakCgroupBytes, s.cgroup?.usageBytes ?? 0);
      if (!this.stopping) {
        for (const k of decision.kill) {
          const child = this.children.get(k.id);
          if (child) this.recycle(child, k.reason, 'kill');
        }
        for (const d of decision.drain) {
          const child = this.children.get(d.id);
          if (child) this.recycle(child, d.reason, 'drain');
        }
      }
      if (decision.paused !== this.paused) {
        this.paused = decision.paused;
        this.log.warn({ podMb: Math.round(s.podBytes / MB), pauseAtMb: this.plan.pauseAtMb }, decision.paused ? 'pod memory past the pause line: dispatch paused' : 'pod memory back under the pause line: dispatch resumed');
        this.emit('paused', this.paused);
        if (!this.paused) this.scheduleDispatch();
      }
      this.emit('sample', s);
    } catch (err) {
      this.log.error({ err }, 'memory poll failed');
    } finally {
      this.polling = false;
    }
  }

  // ---- failures ---------------------------------------------------------------------------------

  private watchOutages(options: OutageOptions): OutageWatch {
    return new OutageWatch(options, {
      requeueUncounted: (item, reason) => this.source.requeue(item, { countAttempt: false, reason }),
      failedOnItsOwn: (item, outcome) => this.afterFailure(item, outcome),
      changed: (service, down, since) => {
        for (const c of this.children.values()) c.send(message<ServiceStateMessage>({ kind: 'service-state', service, down }));
        this.emit('outage', { service, down, since });
      },
      answered: () => {
        this.feed();
        this.scheduleDispatch();
        this.checkDone();
      },
      stop: (stop) => {
        this.outageStop = stop;
        void this.shutdown(`${stop.service} unreachable for ${Math.round(stop.sinceMs / 1000)} s`);
      },
    }, this.log);
  }

  /** The usual path of a failed file: another attempt while it has some, else failed. */
  private afterFailure(item: WorkItem, outcome: FailedOutcome): void {
    if (outcome.error.retryable && item.attempt < this.options.maxAttempts && !this.stopping) {
      this.log.warn({ itemId: item.id, attempt: item.attempt, error: outcome.error.message }, 'item failed, will retry');
      this.source.requeue(item, { countAttempt: true, reason: outcome.error.message });
    } else {
      this.settle(item, outcome);
    }
  }

  // ---- dispatch ---------------------------------------------------------------------------------

  /** Keep the bounded ready queue topped up from the source; wait for it when it has nothing now. */
  private feed(): void {
    if (this.stopping) return;
    const room = this.options.queueLength - this.queue.length;
    if (room > this.options.queueLength / 2) this.queue.push(...this.source.take(room));
    this.grow();
    if (this.queue.length === 0 && !this.source.isExhausted() && !this.waitingForWork) {
      this.waitingForWork = true;
      void this.source.waitForWork().then(() => {
        this.waitingForWork = false;
        this.feed();
        this.scheduleDispatch();
        this.checkDone();
      });
    }
  }

  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.stopping || this.paused || this.outages?.active === true) return;
    const open = [...this.children.values()].filter((c) => c.acceptsWork);
    for (const c of open) {
      // A reservation whose item left the queue (requeued elsewhere, shutdown) is stale.
      if (c.reservedFor !== null && !this.queue.some((i) => i.id === c.reservedFor)) c.reservedFor = null;
    }
    open.sort((a, b) => a.inFlight.size - b.inFlight.size);
    let sent = 0;
    for (const child of open) {
      const batch = takeBatch(this.queue, this.slot(child), this.limits);
      if (batch.length === 0) continue;
      if (child.reservedFor !== null && batch.some((i) => i.id === child.reservedFor)) child.reservedFor = null;
      const batchId = randomUUID();
      for (const item of batch) child.inFlight.set(item.id, { item, batchId, started: false, bytes: 0 });
      if (!child.send(message<BatchMessage>({ kind: 'batch', batchId, items: batch }))) {
        // The child is going away; its exit handler will requeue these.
        child.log.warn({ batchId, items: batch.length }, 'could not send batch');
      }
      sent += batch.length;
    }
    const head = this.queue[0];
    if (head && sent > 0) {
      const reserve = chooseReservation(head, open.map((c) => this.slot(c)), this.limits);
      const child = reserve ? this.children.get(reserve.id) : undefined;
      if (child) {
        child.reservedFor = head.id;
        child.log.info({ itemId: head.id, bufferMb: Math.round(head.bufferBytes / MB) }, 'keeping this child free for a large item');
      }
    }
    if (sent > 0) this.feed();
  }

  private slot(child: ChildHandle): ChildSlot {
    let inFlightSizeBytes = 0;
    for (const f of child.inFlight.values()) inFlightSizeBytes += f.item.sizeBytes;
    return { id: child.id, inFlightCount: child.inFlight.size, committedBytes: child.committedBufferBytes, inFlightSizeBytes, reservedFor: child.reservedFor };
  }

  private checkDone(): void {
    if (this.stopping || this.shutdownPromise) return;
    if (this.hasWorkLeft()) return;
    this.shutdownPromise = this.stopAll('completed', 'completed');
  }
}
