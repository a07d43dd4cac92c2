// The parent's view of one child process: its state, what it holds in flight, its last sampled RSS,
// and the two-step kill. A handle never hands work to a process whose exitCode or signalCode is set.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { isChildMessage, describeForeign, message } from '../ipc/protocol.js';
import type { ChildMessage, ParentMessage, RecycleReason, ShutdownMessage, DrainMessage, WorkItem } from '../ipc/protocol.js';
import type { Logger } from '../observability/logger.js';

export type ChildState = 'starting' | 'ready' | 'draining' | 'terminating' | 'exited';

export interface InFlightItem {
  item: WorkItem;
  batchId: string;
  /** The child said item-start: a death now counts as an attempt. */
  started: boolean;
  bytes: number;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** V8 said "heap out of memory" on stderr, or the process aborted the way V8's OOM handler does. */
  heapOom: boolean;
  /** Died before its ready handshake. */
  duringStartup: boolean;
}

interface ChildHandleEvents {
  message: [ChildMessage];
  exit: [ChildExit];
}

// V8's fatal OOM prints this and aborts (SIGABRT, or exit code 134 through a shell).
const HEAP_OOM_TEXT = /heap out of memory|Allocation failed - JavaScript heap|Reached heap limit/;
const STDERR_TAIL_CHARS = 2000;

export class ChildHandle extends EventEmitter<ChildHandleEvents> {
  state: ChildState = 'starting';
  readonly inFlight = new Map<string, InFlightItem>();
  itemsSettled = 0;
  /** The last sample of this child's own pages (what its caps act on) and of its RSS. */
  lastUssBytes = 0;
  lastRssBytes = 0;
  peakUssBytes = 0;
  /** Why this child is being recycled, once decided; null while it is healthy. */
  recycleReason: RecycleReason | null = null;
  /** Set while the child is kept free of new work so that a large item can run alone in it. */
  reservedFor: string | null = null;
  /** When the recycle was decided (for the reaction-time figure: decision → replacement ready). */
  recycleDecidedAt: number | null = null;
  readonly startedAt = Date.now();
  readyAt: number | null = null;
  private stderrTail = '';
  private heapOom = false;
  private killTimer: NodeJS.Timeout | null = null;
  readonly exited: Promise<ChildExit>;

  constructor(
    readonly id: number,
    private readonly proc: ChildProcess,
    readonly log: Logger,
  ) {
    super();
    proc.on('message', (raw: unknown) => {
      if (!isChildMessage(raw)) {
        log.warn({ foreign: describeForeign(raw) }, 'ignored a foreign message from a child');
        return;
      }
      this.emit('message', raw);
    });
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      // Pass the child's stderr through (stack traces, V8 fatal errors) and keep a tail for diagnosis.
      process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
      if (HEAP_OOM_TEXT.test(chunk)) this.heapOom = true;
    });
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        const duringStartup = this.state === 'starting';
        this.state = 'exited';
        const heapOom = this.heapOom || (signal === 'SIGABRT' && this.recycleReason === null) || code === 134;
        const exit: ChildExit = { code, signal, heapOom, duringStartup };
        this.emit('exit', exit);
        resolve(exit);
      });
    });
    // An IPC write to a dying child fails with EPIPE/ERR_IPC_CHANNEL_CLOSED: the exit handler does the rest.
    proc.on('error', (err) => log.warn({ err }, 'child process error'));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null && this.state !== 'exited';
  }

  /** Ready, not recycling, not reserved: may be given new items. */
  get acceptsWork(): boolean {
    return this.state === 'ready' && this.alive && this.proc.connected;
  }

  get committedBufferBytes(): number {
    let sum = 0;
    for (const f of this.inFlight.values()) sum += f.item.bufferBytes;
    return sum;
  }

  get stderrExcerpt(): string {
    return this.stderrTail.trim().split('\n').slice(-3).join(' | ');
  }

  send(msg: ParentMessage): boolean {
    if (!this.alive || !this.proc.connected) return false;
    try {
      return this.proc.send(msg);
    } catch (err) {
      this.log.warn({ err, kind: msg.kind }, 'could not send to child');
      return false;
    }
  }

  /** Soft recycle: no new work; the child finishes what it holds and exits 0. */
  drain(reason: RecycleReason): void {
    if (this.state !== 'ready') return;
    this.state = 'draining';
    this.recycleReason = reason;
    this.send(message<DrainMessage>({ kind: 'drain', reason }));
  }

  /** Hard recycle: SIGKILL at once. */
  killNow(reason: RecycleReason): void {
    if (!this.alive) return;
    this.recycleReason ??= reason;
    this.state = 'terminating';
    this.proc.kill('SIGKILL');
  }

  /** Two-step stop: ask over IPC, SIGTERM, then SIGKILL after the grace period. Idempotent. */
  terminate(graceMs: number): Promise<ChildExit> {
    if (this.alive && this.state !== 'terminating') {
      this.state = 'terminating';
      const asked = this.send(message<ShutdownMessage>({ kind: 'shutdown', graceMs }));
      if (!asked) this.proc.kill('SIGTERM');
      this.killTimer = setTimeout(() => {
        if (this.alive) {
          this.log.warn({ graceMs }, 'child did not stop within its grace period: SIGKILL');
          this.proc.kill('SIGKILL');
        }
      }, graceMs);
    }
    return this.exited;
  }
}
