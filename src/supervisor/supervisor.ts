// The supervisor: forks memory-capped children, hands them batches, watches their memory, recycles them
// without losing work, and shuts down cleanly. It never touches file bytes and knows nothing of Drive or
// S3: work comes from a WorkSource and runs in whatever processor module it is given. This file composes
// the parts — the pool (child-pool.ts), the dispatcher (dispatcher.ts), the memory watch (memory-watch.ts),
// the outage watch — and owns what a child's messages and exit mean: retries, poison items, shutdown.
import { EventEmitter } from 'node:events';
import type { CrashLoopError } from '../errors.js';
import { message, RECYCLE_REASONS } from '../ipc/protocol.js';
import type { ItemOutcome, RecycleReason, ServiceStateMessage, WorkItem } from '../ipc/protocol.js';
import type { JsonObject } from '../ipc/json.js';
import type { SerializedError } from '../ipc/serialized-error.js';
import type { OutageView } from '../ipc/service-signals.js';
import type { Logger } from '../observability/logger.js';
import type { ChildExit, ChildHandle, ChildState } from './child-handle.js';
import { ChildPool, describeExit } from './child-pool.js';
import type { PoolStats, WorkMessage } from './child-pool.js';
import { cgroupMemoryReader } from './cgroup.js';
import type { CgroupMemory } from './cgroup.js';
import { Dispatcher, childrenWanted, isLarge } from './dispatcher.js';
import type { DispatchLimits } from './dispatcher.js';
import { MemoryGuard } from './memory-guard.js';
import type { MemorySample } from './memory-guard.js';
import { MemoryWatch } from './memory-watch.js';
import type { MemoryPeaks } from './memory-watch.js';
import { OutageWatch } from './outage-watch.js';
import type { FailedOutcome, OutageOptions, OutageStop } from './outage-watch.js';
import type { MemoryPlan } from './memory-plan.js';
import { RssSampler } from './rss-sampler.js';
import type { WorkSource } from './work-source.js';
import type { ChildOutput } from './child-output.js';
import { PaceMembers } from './pace-members.js';
import type { RateSharing } from './pace-members.js';

const MB = 1024 * 1024;

export interface SupervisorOptions {
  plan: MemoryPlan;
  processorPath: string;
  processorOptions: JsonObject;
  batchFiles: number;
  batchMb: number;
  /**
   * The buffer bound of an item at the configured part size: items within it share the child's part buffers,
   * so a child is charged at most the plan's childBufferMb for them (DispatchLimits.sharedPool). Absent: summed.
   */
  partBufferItemBytes?: number;
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
  /** Where children's output lines go (the live display prints them above itself); else the supervisor's own streams. */
  childOutput?: ChildOutput;
  /**
   * A failure no other item can get past either (the source refused the credentials): returns why to stop,
   * or null. Such an item is not settled but put back untouched, and the run stops with that reason.
   */
  stopOnFailure?: (error: SerializedError) => string | null;
  /** A service (Drive, S3) found unreachable: dispatch waits for it instead of failing every file. */
  outage?: OutageOptions;
  /** Request rates, one per subject, each child takes a share of and reports to (source/drive/pace-book.ts). */
  pace?: RateSharing;
}

export type { OutageOptions, OutageStop } from './outage-watch.js';
export type { RateSharing } from './pace-members.js';

export type RunOutcome = 'completed' | 'interrupted' | 'crash-loop';

export interface RecycleEvent {
  childId: number;
  pid: number;
  reason: RecycleReason;
  /** The child's own pages at the decision, the figure its caps act on. */
  ussBytes: number;
}

export interface SupervisorStats extends PoolStats, MemoryPeaks {
  settled: { done: number; skipped: number; failed: number };
  bytesDone: number;
}

export interface ChildView {
  id: number;
  pid: number;
  state: ChildState;
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


function emptyRecycles(): Record<RecycleReason, number> {
  return Object.fromEntries(RECYCLE_REASONS.map((r) => [r, 0])) as Record<RecycleReason, number>;
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly pool: ChildPool;
  private readonly dispatcher: Dispatcher;
  private readonly limits: DispatchLimits;
  private readonly memory: MemoryWatch;
  private readonly log: Logger;
  private stopping = false;
  private finish: ((outcome: RunOutcome) => void) | null = null;
  private fatal: Error | null = null;
  private shutdownPromise: Promise<void> | null = null;
  /** Which subjects' paces each child is a member of; null without rate sharing. */
  private readonly paceMembers: PaceMembers | null;
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

  constructor(
    private readonly source: WorkSource,
    private readonly options: SupervisorOptions,
  ) {
    super();
    this.log = options.log;
    const plan = options.plan;
    this.outages = options.outage ? this.watchOutages(options.outage) : null;
    this.pool = new ChildPool(options, this.stats, {
      message: (child, msg) => this.onMessage(child, msg),
      ready: (child, startupMs) => this.onReady(child, startupMs),
      exited: (child, exit) => this.onExit(child, exit),
      afterExit: () => this.kick(),
      crashLoop: (error) => this.onCrashLoop(error),
      hasWorkLeft: () => this.hasWorkLeft(),
    }, this.log);
    const pace = options.pace;
    this.paceMembers = pace ? new PaceMembers(pace) : null;
    const limits: DispatchLimits = {
      batchFiles: options.batchFiles,
      batchBytes: options.batchMb * MB,
      concurrency: plan.childConcurrency,
      childItemBudgetBytes: plan.childItemBudgetMb * MB,
      ...(options.partBufferItemBytes === undefined ? {} : { sharedPool: { childBytes: plan.childBufferMb * MB, itemBytes: options.partBufferItemBytes } }),
    };
    this.limits = limits;
    this.dispatcher = new Dispatcher(source, limits, options.queueLength, {
      openChildren: () => [...this.pool.values()].filter((c) => c.acceptsWork),
      held: () => this.stopping || this.memory.paused || this.outages?.active === true,
      stopping: () => this.stopping,
      grow: () => this.grow(),
      workArrived: () => this.kick(),
      beforeBatch: (child, items) => this.paceMembers?.join(child, items),
    }, pace ? (item) => pace.subjectOf(item) : null);
    const guard = new MemoryGuard(plan, new RssSampler(options.rssPollMs), options.readCgroup ?? cgroupMemoryReader());
    this.memory = new MemoryWatch(plan, guard, this.stats, {
      children: () => this.pool.values(),
      child: (id) => this.pool.get(id),
      stopping: () => this.stopping,
      sampled: (sample) => this.emit('sample', sample),
      recycled: (child, reason, ussBytes) => this.emit('recycle', { childId: child.id, pid: child.pid, reason, ussBytes }),
      pausedChanged: (paused) => {
        this.emit('paused', paused);
        if (!paused) this.dispatcher.schedule();
      },
    }, this.log);
  }

  get plan(): MemoryPlan {
    return this.options.plan;
  }

  get queueDepth(): number {
    return this.dispatcher.depth;
  }

  get isPaused(): boolean {
    return this.memory.paused;
  }

  get lastSample(): MemorySample | null {
    return this.memory.lastSample;
  }

  /** Bytes read so far by items still in flight (progress reports), for live throughput figures. */
  inFlightBytes(): number {
    let sum = 0;
    for (const c of this.pool.values()) sum += c.inFlightReadBytes;
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
    return [...this.pool.values()].map((c) => ({
      id: c.id,
      pid: c.pid,
      state: c.state,
      ussBytes: c.lastUssBytes,
      rssBytes: c.lastRssBytes,
      inFlight: c.inFlightCount,
    }));
  }

  /** Run until the source is exhausted and every item is settled, or until shutdown. */
  async run(): Promise<RunOutcome> {
    const done = new Promise<RunOutcome>((resolve) => (this.finish = resolve));
    // One child at once, so its start-up overlaps the source's first work (the listing's first page);
    // the rest as work asks for them (grow).
    if (this.plan.workers > 0) this.pool.spawn();
    this.memory.start(this.options.rssPollMs);
    this.dispatcher.feed();
    const outcome = await done;
    this.memory.stop();
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
    this.log.info({ reason, children: this.pool.size }, 'supervisor stopping');
    this.pool.stop();
    const exits = [...this.pool.values()].map(async (child) => {
      try {
        await child.terminate(this.options.shutdownGraceMs);
      } catch (err) {
        this.log.error({ err, childId: child.id }, 'error while stopping a child');
      }
    });
    await Promise.all(exits);
    // Items still queued here go back to the source untouched: the next run picks them up.
    for (const item of this.dispatcher.drainQueue()) this.source.requeue(item, { countAttempt: false, reason });
    this.outages?.close(reason);
    this.finish?.(outcome);
  }

  /** Something moved (a result, an exit, new work): top the queue up, dispatch, and see whether the run is done. */
  private kick(): void {
    this.dispatcher.feed();
    this.dispatcher.schedule();
    this.checkDone();
  }

  // ---- children -------------------------------------------------------------------------------

  private grow(): void {
    if (this.stopping || this.fatal) return;
    let files = this.dispatcher.depth;
    let large = this.dispatcher.largeDepth;
    for (const c of this.pool.values()) {
      files += c.inFlightCount;
      large += c.countInFlight((item) => isLarge(item, this.limits));
    }
    this.pool.grow(childrenWanted(files, large, this.limits.concurrency));
  }

  private hasWorkLeft(): boolean {
    if (this.dispatcher.depth > 0 || !this.source.isExhausted() || this.outages?.holding === true) return true;
    for (const c of this.pool.values()) if (c.inFlightCount > 0) return true;
    return false;
  }

  private onMessage(child: ChildHandle, msg: WorkMessage): void {
    switch (msg.kind) {
      case 'item-start':
        return child.started(msg.itemId);
      case 'item-progress': {
        const f = child.progress(msg.itemId, msg.bytes);
        if (!f) return;
        this.source.progress?.(f.item, msg.bytes);
        this.emit('item-progress', { item: f.item, bytes: msg.bytes });
        return;
      }
      case 'item-checkpoint': {
        const f = child.checkpoint(msg.itemId, msg.checkpoint);
        if (f) this.source.checkpoint(f.item, msg.checkpoint);
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
        this.options.pace?.report(msg.subject, msg.answered, msg.refused, msg.retryAfterMs);
        return;
      case 'fatal':
        child.log.error({ error: msg.error }, 'child reported a fatal error');
        return;
    }
  }

  private onReady(child: ChildHandle, startupMs: number): void {
    child.log.info({ startupMs }, 'child ready');
    for (const service of this.outages?.downServices() ?? []) child.send(message<ServiceStateMessage>({ kind: 'service-state', service, down: true }));
    this.emit('child-ready', { childId: child.id, pid: child.pid, startupMs });
    if (this.stopping) {
      void child.terminate(this.options.shutdownGraceMs);
      return;
    }
    this.dispatcher.schedule();
  }

  private onResult(child: ChildHandle, itemId: string, outcome: ItemOutcome): void {
    const item = child.settle(itemId);
    if (!item) {
      child.log.warn({ itemId }, 'result for an item this child does not hold: ignored');
      return;
    }
    this.paceMembers?.released(child, item);
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
    if (max > 0 && child.itemsSettled >= max && child.state === 'ready') this.memory.recycle(child, 'max-items', 'drain');
    this.kick();
  }

  /** The child stopped retrying because we hold `service` down: back to the source, no attempt counted. */
  private onReturned(child: ChildHandle, itemId: string, service: string): void {
    const item = child.release(itemId);
    if (!item) return;
    this.paceMembers?.released(child, item);
    this.source.requeue(item, { countAttempt: false, reason: `${service} unreachable` });
    this.kick();
  }

  private settle(item: WorkItem, outcome: ItemOutcome): void {
    this.stats.settled[outcome.status]++;
    if (outcome.status === 'done') this.stats.bytesDone += outcome.bytes;
    this.source.settle(item, outcome);
    this.emit('item-settled', { item, outcome });
  }

  /** A child left the pool: why, logged, and what it held put back or settled. */
  private onExit(child: ChildHandle, exit: ChildExit): RecycleReason | null {
    this.paceMembers?.exited(child);
    const graceful = this.stopping || (child.recycleReason !== null && child.recycleReason !== 'hard-cap' && child.recycleReason !== 'budget' && exit.code === 0);
    let reason: RecycleReason | null = child.recycleReason;
    if (reason === null && !this.stopping) {
      reason = exit.heapOom ? 'heap-oom' : 'crash';
      this.memory.count(child, reason, child.lastUssBytes);
    }
    const level = graceful ? 'info' : 'warn';
    child.log[level](
      { exit: describeExit(exit), reason, inFlight: child.inFlightCount, duringStartup: exit.duringStartup, stderr: graceful ? undefined : child.stderrExcerpt || undefined },
      'child exited',
    );
    this.requeueInFlight(child, exit, reason);
    return reason;
  }

  private onCrashLoop(error: CrashLoopError): void {
    this.fatal = error;
    this.log.error({ err: error }, 'crash loop: stopping the run');
    void this.shutdown('crash-loop');
  }

  private requeueInFlight(child: ChildHandle, exit: ChildExit, reason: RecycleReason | null): void {
    for (const f of child.releaseAll()) {
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
  }

  // ---- failures ---------------------------------------------------------------------------------

  private watchOutages(options: OutageOptions): OutageWatch {
    return new OutageWatch(options, {
      requeueUncounted: (item, reason) => this.source.requeue(item, { countAttempt: false, reason }),
      failedOnItsOwn: (item, outcome) => this.afterFailure(item, outcome),
      changed: (service, down, since) => {
        for (const c of this.pool.values()) c.send(message<ServiceStateMessage>({ kind: 'service-state', service, down }));
        this.emit('outage', { service, down, since });
      },
      answered: () => this.kick(),
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

  private checkDone(): void {
    if (this.stopping || this.shutdownPromise) return;
    if (this.hasWorkLeft()) return;
    this.shutdownPromise = this.stopAll('completed', 'completed');
  }
}
