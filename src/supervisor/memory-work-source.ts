// An in-memory WorkSource: for tests, the demo's smoke paths and library users with a fixed item list.
import type { JsonObject } from '../ipc/json.js';
import type { ItemOutcome, WorkItem } from '../ipc/protocol.js';
import type { WorkSource } from './work-source.js';

export interface SettledRecord {
  item: WorkItem;
  outcome: ItemOutcome;
}

export class MemoryWorkSource implements WorkSource {
  private readonly pending: WorkItem[];
  private closed: boolean;
  private waiters: (() => void)[] = [];
  readonly settled = new Map<string, SettledRecord>();
  /** Every settle call, so tests can prove "exactly once". */
  readonly settleCalls: SettledRecord[] = [];
  readonly requeues: { id: string; countAttempt: boolean; reason: string }[] = [];
  readonly checkpoints = new Map<string, JsonObject>();

  constructor(items: WorkItem[] = [], options: { open?: boolean } = {}) {
    this.pending = [...items];
    this.closed = !options.open;
  }

  /** Add items while running (open sources only). */
  push(items: WorkItem[]): void {
    this.pending.push(...items);
    this.wake();
  }

  /** No more pushes will come. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  take(max: number): WorkItem[] {
    return this.pending.splice(0, max);
  }

  isExhausted(): boolean {
    return this.closed && this.pending.length === 0;
  }

  waitForWork(): Promise<void> {
    if (this.pending.length > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  settle(item: WorkItem, outcome: ItemOutcome): void {
    const record = { item, outcome };
    this.settled.set(item.id, record);
    this.settleCalls.push(record);
  }

  requeue(item: WorkItem, options: { countAttempt: boolean; reason: string }): void {
    this.requeues.push({ id: item.id, ...options });
    const checkpoint = this.checkpoints.get(item.id) ?? item.checkpoint;
    this.pending.push({ ...item, attempt: options.countAttempt ? item.attempt + 1 : item.attempt, checkpoint });
    this.wake();
  }

  checkpoint(item: WorkItem, state: JsonObject): void {
    this.checkpoints.set(item.id, state);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
