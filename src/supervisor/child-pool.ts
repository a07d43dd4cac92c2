// The children: forking them (one at a time, or as many as the outstanding work needs), the start-up
// timeout, the ready handshake, replacements staggered after an exit, and the crash loop that stops
// respawning (piscina's workerFailsDuringBootstrap). What a child's messages and exit mean is the host's.
import { CrashLoopError } from '../errors.js';
import type { ChildMessage, RecycleReason } from '../ipc/protocol.js';
import type { JsonObject } from '../ipc/json.js';
import type { Logger } from '../observability/logger.js';
import type { ChildExit, ChildHandle } from './child-handle.js';
import type { MemoryPlan } from './memory-plan.js';
import { spawnChild } from './spawn-child.js';
import type { ChildOutput } from './child-output.js';

const REACTION_SAMPLES = 1000;

export interface PoolOptions {
  plan: MemoryPlan;
  processorPath: string;
  processorOptions: JsonObject;
  logLevel: string;
  childExecArgv?: readonly string[];
  /** Where children's output lines go (the live display prints them above itself); else the supervisor's own streams. */
  childOutput?: ChildOutput;
  startupTimeoutMs: number;
  /** Consecutive children dying before ready that stop the run. */
  crashLoopLimit: number;
  recycleStaggerMs: number;
}

/** The pool's figures (a part of SupervisorStats). */
export interface PoolStats {
  childrenSpawned: number;
  /** Poll that decided a recycle → its replacement's ready handshake, for the last 1,000 recycles. */
  replacementReadyMs: number[];
}

/** Every child message but the ready handshake, which the pool answers itself. */
export type WorkMessage = Exclude<ChildMessage, { kind: 'ready' }>;

export interface PoolHost {
  message(child: ChildHandle, msg: WorkMessage): void;
  ready(child: ChildHandle, startupMs: number): void;
  /** A child is gone and out of the pool: returns why it went (null: a shutdown). */
  exited(child: ChildHandle, exit: ChildExit): RecycleReason | null;
  /** After an exit's replacement is decided. */
  afterExit(): void;
  crashLoop(error: CrashLoopError): void;
  hasWorkLeft(): boolean;
}

interface PendingReplacement {
  reason: RecycleReason;
  decidedAt: number;
}

export function describeExit(exit: ChildExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
}

export class ChildPool {
  private readonly children = new Map<number, ChildHandle>();
  private nextChildId = 1;
  private pendingSpawns = 0;
  private lastReplacementAt = 0;
  private consecutiveStartupFailures = 0;
  private stopping = false;
  private readonly replacementFor = new Map<number, PendingReplacement>();
  private readonly startupTimers = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly options: PoolOptions,
    private readonly stats: PoolStats,
    private readonly host: PoolHost,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.children.size;
  }

  values(): IterableIterator<ChildHandle> {
    return this.children.values();
  }

  get(id: number): ChildHandle | undefined {
    return this.children.get(id);
  }

  /** No more spawns or replacements; start-up timers are cleared. */
  stop(): void {
    this.stopping = true;
    for (const t of this.startupTimers.values()) clearTimeout(t);
  }

  spawn(replacing: PendingReplacement | null = null): void {
    const childId = this.nextChildId++;
    const plan = this.options.plan;
    const child = spawnChild({
      heapMb: plan.childHeapMb,
      log: this.log,
      extraExecArgv: this.options.childExecArgv ?? [],
      ...(this.options.childOutput ? { output: this.options.childOutput } : {}),
      settings: {
        childId,
        concurrency: plan.childConcurrency,
        processorPath: this.options.processorPath,
        processorOptions: this.options.processorOptions,
        logLevel: this.options.logLevel,
      },
    });
    this.stats.childrenSpawned++;
    this.children.set(childId, child);
    if (replacing) this.replacementFor.set(childId, replacing);
    child.on('message', (msg) => (msg.kind === 'ready' ? this.onReady(child) : this.host.message(child, msg)));
    child.on('exit', (exit) => this.onExit(child, exit));
    const timer = setTimeout(() => {
      if (child.state === 'starting') {
        child.log.error({ timeoutMs: this.options.startupTimeoutMs }, 'child did not say ready in time: killing it');
        child.kill('crash');
      }
    }, this.options.startupTimeoutMs);
    this.startupTimers.set(childId, timer);
  }

  /**
   * Start children up to `workers`, but never more than there are items to give them (queued or in
   * flight): a child costs its start-up CPU and ~60 MB of baseline RSS, so a run of two files on a
   * 16-worker pod starts two. Replacements already scheduled count as children.
   */
  grow(outstanding: number): void {
    const want = Math.min(this.options.plan.workers, outstanding);
    for (let live = this.children.size + this.pendingSpawns; live < want; live++) this.spawn();
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
      if (!this.stopping && this.host.hasWorkLeft()) this.spawn(replacing);
    }, at - now).unref();
  }

  private onReady(child: ChildHandle): void {
    const timer = this.startupTimers.get(child.id);
    if (timer) clearTimeout(timer);
    this.startupTimers.delete(child.id);
    if (!child.ready()) return;
    this.consecutiveStartupFailures = 0;
    const readyAt = child.readyAt ?? Date.now();
    const replacing = this.replacementFor.get(child.id);
    if (replacing) {
      this.replacementFor.delete(child.id);
      // The most recent figures only: a long run recycles many times and stats must stay bounded.
      if (this.stats.replacementReadyMs.length >= REACTION_SAMPLES) this.stats.replacementReadyMs.shift();
      this.stats.replacementReadyMs.push(readyAt - replacing.decidedAt);
    }
    this.host.ready(child, readyAt - child.startedAt);
  }

  private onExit(child: ChildHandle, exit: ChildExit): void {
    this.children.delete(child.id);
    const timer = this.startupTimers.get(child.id);
    if (timer) clearTimeout(timer);
    this.startupTimers.delete(child.id);
    this.replacementFor.delete(child.id);
    const reason = this.host.exited(child, exit);
    if (exit.duringStartup && !this.stopping) {
      this.consecutiveStartupFailures++;
      if (this.consecutiveStartupFailures >= this.options.crashLoopLimit) {
        const excerpt = child.stderrExcerpt;
        this.host.crashLoop(
          new CrashLoopError(`children keep dying during start-up (${this.consecutiveStartupFailures} in a row, last: ${describeExit(exit)}${excerpt ? `: ${excerpt}` : ''}); not respawning`),
        );
        return;
      }
    }
    if (!this.stopping && this.host.hasWorkLeft()) {
      this.scheduleReplacement({ reason: reason ?? 'crash', decidedAt: child.recycleDecidedAt ?? Date.now() });
    }
    this.host.afterExit();
  }
}
