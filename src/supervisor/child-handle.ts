// The parent's view of one child process: its state and the transitions between them (ready, assign, settle,
// drain, kill), what it holds in flight, its last sampled memory, and the two-step kill. A handle never hands work to a process whose exitCode or signalCode is set.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { isChildMessage, describeForeign, message, withCheckedCodes } from '../ipc/protocol.js';
import type { ChildMessage, ParentMessage, RecycleReason, ShutdownMessage, DrainMessage, WorkItem } from '../ipc/protocol.js';
import type { JsonObject } from '../ipc/json.js';
import type { Logger } from '../observability/logger.js';
import { LineBuffer, passThrough } from './child-output.js';
import type { ChildOutput, ChildStream } from './child-output.js';

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

/** A child's stream to `output` line by line; `seen` gets every chunk as it comes. */
function forwardLines(stream: NodeJS.ReadableStream | null | undefined, name: ChildStream, output: ChildOutput, seen?: (chunk: string) => void): void {
  if (!stream) return;
  const lines = new LineBuffer();
  const emit = (text: string): void => {
    if (text !== '') output(name, text);
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    seen?.(chunk);
    emit(lines.push(chunk));
  });
  stream.on('end', () => emit(lines.end()));
}

export class ChildHandle extends EventEmitter<ChildHandleEvents> {
  #state: ChildState = 'starting';
  readonly #inFlight = new Map<string, InFlightItem>();
  #itemsSettled = 0;
  #lastUssBytes = 0;
  #lastRssBytes = 0;
  #peakUssBytes = 0;
  #recycleReason: RecycleReason | null = null;
  #reservedFor: string | null = null;
  #recycleDecidedAt: number | null = null;
  #readyAt: number | null = null;
  readonly startedAt: number;
  private stderrTail = '';
  private heapOom = false;
  private killTimer: NodeJS.Timeout | null = null;
  readonly exited: Promise<ChildExit>;

  constructor(
    readonly id: number,
    private readonly proc: ChildProcess,
    readonly log: Logger,
    private readonly now: () => number = Date.now,
    output: ChildOutput = passThrough,
  ) {
    super();
    this.startedAt = now();
    proc.on('message', (raw: unknown) => {
      if (!isChildMessage(raw)) {
        log.warn({ foreign: describeForeign(raw) }, 'ignored a foreign message from a child');
        return;
      }
      const unknown = (code: unknown): void => log.warn({ kind: raw.kind, code: String(code).slice(0, 80) }, 'a child sent an unknown error code: read as "error"');
      this.emit('message', withCheckedCodes(raw, unknown));
    });
    // Pass the child's stderr through (stack traces, V8 fatal errors) and keep a tail for diagnosis;
    // its stdout too when it is piped (spawn-child.ts): its pino lines, whole.
    forwardLines(proc.stdout, 'stdout', output);
    forwardLines(proc.stderr, 'stderr', output, (chunk) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
      if (HEAP_OOM_TEXT.test(chunk)) this.heapOom = true;
    });
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        const duringStartup = this.#state === 'starting';
        this.#state = 'exited';
        const heapOom = this.heapOom || (signal === 'SIGABRT' && this.#recycleReason === null) || code === 134;
        const exit: ChildExit = { code, signal, heapOom, duringStartup };
        this.emit('exit', exit);
        resolve(exit);
      });
    });
    // An IPC write to a dying child fails with EPIPE/ERR_IPC_CHANNEL_CLOSED: the exit handler does the rest.
    proc.on('error', (err) => log.warn({ err }, 'child process error'));
  }

  get state(): ChildState {
    return this.#state;
  }

  /** Items settled by this child (for --max-items-per-child). */
  get itemsSettled(): number {
    return this.#itemsSettled;
  }

  /** The last sample of this child's own pages (what its caps act on) and of its RSS. */
  get lastUssBytes(): number {
    return this.#lastUssBytes;
  }

  get lastRssBytes(): number {
    return this.#lastRssBytes;
  }

  get peakUssBytes(): number {
    return this.#peakUssBytes;
  }

  /** Why this child is being recycled, once decided; null while it is healthy. */
  get recycleReason(): RecycleReason | null {
    return this.#recycleReason;
  }

  /** When the recycle was decided (for the reaction-time figure: decision → replacement ready). */
  get recycleDecidedAt(): number | null {
    return this.#recycleDecidedAt;
  }

  get readyAt(): number | null {
    return this.#readyAt;
  }

  /** Set while the child is kept free of new work so that a large item can run alone in it. */
  get reservedFor(): string | null {
    return this.#reservedFor;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  inFlightItems(): IterableIterator<Readonly<InFlightItem>> {
    return this.#inFlight.values();
  }

  inFlightItem(itemId: string): Readonly<InFlightItem> | undefined {
    return this.#inFlight.get(itemId);
  }

  /** Source bytes of the items it holds, and bytes read of them so far. */
  get inFlightSizeBytes(): number {
    let sum = 0;
    for (const f of this.#inFlight.values()) sum += f.item.sizeBytes;
    return sum;
  }

  get inFlightReadBytes(): number {
    let sum = 0;
    for (const f of this.#inFlight.values()) sum += f.bytes;
    return sum;
  }

  // ---- transitions ------------------------------------------------------------------------------

  /** The ready handshake: starting → ready. False when it came late (the child is no longer starting). */
  ready(): boolean {
    if (this.#state !== 'starting') return false;
    this.#state = 'ready';
    this.#readyAt = this.now();
    return true;
  }

  /** A batch handed to this child: its items are in flight, and a reservation it fulfils is spent. */
  assign(batchId: string, items: readonly WorkItem[]): void {
    for (const item of items) {
      this.#inFlight.set(item.id, { item, batchId, started: false, bytes: 0 });
      if (item.id === this.#reservedFor) this.#reservedFor = null;
    }
  }

  /** The child said item-start: a death from now on counts as an attempt. */
  started(itemId: string): void {
    const f = this.#inFlight.get(itemId);
    if (f) f.started = true;
  }

  progress(itemId: string, bytes: number): InFlightItem | undefined {
    const f = this.#inFlight.get(itemId);
    if (f) f.bytes = bytes;
    return f;
  }

  checkpoint(itemId: string, checkpoint: JsonObject): InFlightItem | undefined {
    const f = this.#inFlight.get(itemId);
    if (f) f.item = { ...f.item, checkpoint };
    return f;
  }

  /** The child's result for an item it holds: no longer in flight, and counted as settled by it. */
  settle(itemId: string): WorkItem | undefined {
    const f = this.#inFlight.get(itemId);
    if (!f) return undefined;
    this.#inFlight.delete(itemId);
    this.#itemsSettled++;
    return f.item;
  }

  /** The child gave an item back unfinished (held for an outage): no longer in flight, not settled. */
  release(itemId: string): WorkItem | undefined {
    const f = this.#inFlight.get(itemId);
    if (!f) return undefined;
    this.#inFlight.delete(itemId);
    return f.item;
  }

  /** Everything it still held, emptied (at its exit, for the caller to put back or settle). */
  releaseAll(): InFlightItem[] {
    const all = [...this.#inFlight.values()];
    this.#inFlight.clear();
    return all;
  }

  observe(ussBytes: number, rssBytes: number): void {
    this.#lastUssBytes = ussBytes;
    this.#lastRssBytes = rssBytes;
    this.#peakUssBytes = Math.max(this.#peakUssBytes, ussBytes);
  }

  reserve(itemId: string): void {
    this.#reservedFor = itemId;
  }

  /** Drop a reservation whose item is no longer waiting (requeued elsewhere, shutdown). */
  dropReservationUnless(waiting: (itemId: string) => boolean): void {
    if (this.#reservedFor !== null && !waiting(this.#reservedFor)) this.#reservedFor = null;
  }

  /** A recycle may be decided now: alive, not already being killed, and a drain not already decided. */
  canRecycle(how: 'drain' | 'kill'): boolean {
    if (!this.alive || this.#state === 'terminating') return false;
    // A draining child may still grow past its hard cap: a kill escalates the drain.
    return how === 'kill' || this.#recycleReason === null;
  }

  /** Soft recycle, ready → draining: no new work; the child finishes what it holds and exits 0. */
  drain(reason: RecycleReason): void {
    if (this.#state !== 'ready') return;
    this.#state = 'draining';
    this.#recycleReason = reason;
    this.#recycleDecidedAt = this.now();
    this.send(message<DrainMessage>({ kind: 'drain', reason }));
  }

  /** Hard recycle, → terminating: SIGKILL at once. */
  kill(reason: RecycleReason): void {
    if (!this.alive) return;
    this.#recycleReason = reason;
    this.#recycleDecidedAt = this.now();
    this.#state = 'terminating';
    this.proc.kill('SIGKILL');
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null && this.#state !== 'exited';
  }

  /** Ready, not recycling, not reserved: may be given new items. */
  get acceptsWork(): boolean {
    return this.#state === 'ready' && this.alive && this.proc.connected;
  }

  get committedBufferBytes(): number {
    let sum = 0;
    for (const f of this.#inFlight.values()) sum += f.item.bufferBytes;
    return sum;
  }

  get largestBufferBytes(): number {
    let max = 0;
    for (const f of this.#inFlight.values()) max = Math.max(max, f.item.bufferBytes);
    return max;
  }

  /** In-flight items `pick` chooses (the supervisor counts its large files). */
  countInFlight(pick: (item: WorkItem) => boolean): number {
    let n = 0;
    for (const f of this.#inFlight.values()) if (pick(f.item)) n++;
    return n;
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

  /** Two-step stop: ask over IPC, SIGTERM, then SIGKILL after the grace period. Idempotent. */
  terminate(graceMs: number): Promise<ChildExit> {
    if (this.alive && this.#state !== 'terminating') {
      this.#state = 'terminating';
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
