// Batching and memory admission: which ready items go to which child. Items are admitted against the
// child's item budget (soft cap − baseline) by their predicted buffer bound, so a huge file (bigger
// parts) waits for headroom, or runs alone in a child that is kept free for it, instead of breaking a cap.
// A batch takes the subjects (whose Drive quota an item spends) in turn, so one giant Drive does not starve the rest.
// The Dispatcher below applies them to the live children: the ready queue, feeding it, one dispatch per turn.
import { randomUUID } from 'node:crypto';
import { message } from '../ipc/protocol.js';
import type { BatchMessage, WorkItem } from '../ipc/protocol.js';
import type { ChildHandle } from './child-handle.js';
import type { WorkSource } from './work-source.js';

const MB = 1024 * 1024;

export interface DispatchLimits {
  batchFiles: number;
  /** Most source bytes in one batch; a larger file is large: it goes alone, and large files share children (below). */
  batchBytes: number;
  concurrency: number;
  childItemBudgetBytes: number;
  /**
   * A child's items draw their part buffers from one pool (copy/part-buffers.ts): while every item it holds has
   * the configured part size (bound at most `itemBytes`), the child holds at most `childBytes` however many there are.
   */
  sharedPool?: { childBytes: number; itemBytes: number };
}

export interface ChildSlot {
  id: number;
  inFlightCount: number;
  committedBytes: number;
  /** Source bytes of the items it holds: --batch-mb bounds what one child holds, large files aside. */
  inFlightSizeBytes: number;
  /** The largest buffer bound among the items it holds (0: none). */
  largestBufferBytes: number;
  reservedFor: string | null;
}

/** How far past the head of the queue a batch may look for items that fit. */
const LOOKAHEAD = 512;

/** Which subject (whose Drive quota) an item belongs to; dispatch takes subjects in turn. */
export type SubjectOf = (item: WorkItem) => string;

/**
 * How much of the queue's head the round-robin reorders (the rest follows in queue order): a bound on the work
 * per batch whatever --queue-length is; the journal work source already takes the drives in turn (issue 23).
 */
const FAIR_WINDOW = 4096;

/**
 * The indices of the queue's head (FAIR_WINDOW items) in the order a batch considers them: round-robin across
 * subjects (each subject's items in queue order), so one giant Drive queued first does not starve the rest
 * (issue 23). Empty for one subject: queue order, as past the window.
 */
export function fairOrder(queue: readonly WorkItem[], subjectOf: SubjectOf | null): number[] {
  if (subjectOf === null) return [];
  const window = Math.min(queue.length, FAIR_WINDOW);
  const bySubject = new Map<string, number[]>();
  for (let i = 0; i < window; i++) {
    const item = queue[i];
    if (item === undefined) break;
    const subject = subjectOf(item);
    const list = bySubject.get(subject);
    if (list) list.push(i);
    else bySubject.set(subject, [i]);
  }
  if (bySubject.size <= 1) return [];
  const lists = [...bySubject.values()];
  const order: number[] = [];
  for (let round = 0; order.length < window; round++) {
    for (const list of lists) {
      const i = list[round];
      if (i !== undefined) order.push(i);
    }
  }
  return order;
}

/** A file above --batch-mb: it goes in a batch alone, and such files share a child rather than each start one. */
export function isLarge(item: WorkItem, limits: DispatchLimits): boolean {
  return item.sizeBytes > limits.batchBytes;
}

/** Whether `item` fits beside items whose bounds sum to `committed` (the largest `largest`) in the child's budget. */
function fits(committed: number, largest: number, item: WorkItem, limits: DispatchLimits): boolean {
  let charge = committed + item.bufferBytes;
  const pool = limits.sharedPool;
  if (pool && Math.max(largest, item.bufferBytes) <= pool.itemBytes) charge = Math.min(charge, pool.childBytes);
  return charge <= limits.childItemBudgetBytes;
}

/**
 * Children the outstanding work asks for: one per file, but large files `concurrency` to a child, since their
 * parts come from the child's one pool of buffers and a child more costs its baseline (issue 21: 4 × 1 GiB at
 * 4 files in flight ran in 4 children at 460 MB of tree, rclone in 200; docs/design.md#the-measurements-behind-the-flags).
 */
export function childrenWanted(files: number, large: number, concurrency: number): number {
  return files - large + Math.ceil(large / Math.max(1, concurrency));
}

/**
 * Take a batch for one child out of `queue` (mutated). A child with nothing in flight accepts any item,
 * alone if it is over the budget; a child reserved for an item takes only that item.
 */
export function takeBatch(queue: WorkItem[], child: ChildSlot, limits: DispatchLimits, subjectOf: SubjectOf | null = null): WorkItem[] {
  if (child.inFlightCount >= limits.concurrency) return [];
  if (child.reservedFor !== null) {
    const idx = queue.findIndex((i) => i.id === child.reservedFor);
    if (idx < 0) return []; // the reservation is stale; the caller clears it
    const item = queue[idx];
    if (item === undefined) return [];
    if (child.inFlightCount > 0 && !fits(child.committedBytes, child.largestBufferBytes, item, limits)) return [];
    queue.splice(idx, 1);
    return [item];
  }
  const batch: WorkItem[] = [];
  const taken: number[] = [];
  let committed = child.committedBytes;
  let largest = child.largestBufferBytes;
  let bytes = child.inFlightSizeBytes;
  const order = fairOrder(queue, subjectOf);
  // `p - taken.length` counts the items passed over: at most LOOKAHEAD of them.
  for (let p = 0; p < queue.length && p - taken.length < LOOKAHEAD && batch.length < limits.batchFiles; p++) {
    const i = p < order.length ? order[p] : p;
    const item = i === undefined ? undefined : queue[i];
    if (i === undefined || item === undefined) break;
    const empty = child.inFlightCount === 0 && batch.length === 0;
    // A large file goes in a batch of its own, to an idle child or beside the files a child holds.
    const sizeOk = empty || bytes + item.sizeBytes <= limits.batchBytes || (batch.length === 0 && isLarge(item, limits));
    if (sizeOk && (fits(committed, largest, item, limits) || empty)) {
      taken.push(i);
      batch.push(item);
      committed += item.bufferBytes;
      largest = Math.max(largest, item.bufferBytes);
      bytes += item.sizeBytes;
      // An item over the budget runs alone; a large one is a batch of its own.
      if (!fits(0, 0, item, limits) || isLarge(item, limits)) break;
    }
  }
  for (const i of [...taken].sort((a, b) => b - a)) queue.splice(i, 1);
  return batch;
}

/**
 * When the head of the queue fits nowhere while other items keep passing it, keep the least loaded
 * child free for it. Returns the child to reserve, or null.
 */
export function chooseReservation(head: WorkItem, children: readonly ChildSlot[], limits: DispatchLimits): ChildSlot | null {
  if (children.some((c) => c.reservedFor === head.id)) return null;
  // Children that are merely busy are no reason: only a free slot that the head's buffer does not fit is.
  const withSlot = children.filter((c) => c.inFlightCount < limits.concurrency);
  if (withSlot.length === 0) return null;
  if (withSlot.some((c) => c.inFlightCount === 0 || fits(c.committedBytes, c.largestBufferBytes, head, limits))) return null;
  let best: ChildSlot | null = null;
  for (const c of children) {
    if (c.reservedFor !== null) continue;
    if (best === null || c.committedBytes < best.committedBytes) best = c;
  }
  return best;
}

/** What the dispatch loop needs of the rest of the supervisor. */
export interface DispatchHost {
  /** The children that may be given work now (ready, alive, connected). */
  openChildren(): ChildHandle[];
  /** Dispatch is held (stopping, memory paused, a service down). */
  held(): boolean;
  stopping(): boolean;
  /** Start children for the work now outstanding. */
  grow(): void;
  /** Work arrived after a wait: feed, dispatch, check whether the run is done. */
  workArrived(): void;
  /** Just before `items` are sent to `child` (its share of each subject's pace goes first). */
  beforeBatch(child: ChildHandle, items: readonly WorkItem[]): void;
}

/** The bounded ready queue, topped up from the source and handed out in batches by the rules above. */
export class Dispatcher {
  private readonly queue: WorkItem[] = [];
  /** Large files (isLarge) in the queue. */
  private large = 0;
  private scheduled = false;
  private waitingForWork = false;

  constructor(
    private readonly source: WorkSource,
    private readonly limits: DispatchLimits,
    private readonly queueLength: number,
    private readonly host: DispatchHost,
    /** Null: one subject, queue order. */
    private readonly subjectOf: SubjectOf | null = null,
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  /** Large files (isLarge) among the queued. */
  get largeDepth(): number {
    return this.large;
  }

  /** Empty the queue (at shutdown: its items go back to the source untouched). */
  drainQueue(): WorkItem[] {
    this.large = 0;
    return this.queue.splice(0);
  }

  private countLarge(items: readonly WorkItem[]): number {
    let n = 0;
    for (const item of items) if (isLarge(item, this.limits)) n++;
    return n;
  }

  /** Keep the ready queue topped up from the source; wait for it when it has nothing now. */
  feed(): void {
    if (this.host.stopping()) return;
    const room = this.queueLength - this.queue.length;
    if (room > this.queueLength / 2) {
      const taken = this.source.take(room);
      this.large += this.countLarge(taken);
      this.queue.push(...taken);
    }
    this.host.grow();
    if (this.queue.length === 0 && !this.source.isExhausted() && !this.waitingForWork) {
      this.waitingForWork = true;
      void this.source.waitForWork().then(() => {
        this.waitingForWork = false;
        this.host.workArrived();
      });
    }
  }

  /** One dispatch on the next turn, however many events asked for it. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.host.held()) return;
    const open = this.host.openChildren();
    // A reservation whose item left the queue (requeued elsewhere, shutdown) is stale.
    for (const c of open) c.dropReservationUnless((id) => this.queue.some((i) => i.id === id));
    open.sort((a, b) => a.inFlightCount - b.inFlightCount);
    let sent = 0;
    // Rounds until nothing more goes out: a large file is a batch of its own, and a child may take several.
    for (let round = -1; round !== sent; ) {
      round = sent;
      for (const child of open) {
        const batch = takeBatch(this.queue, slotOf(child), this.limits, this.subjectOf);
        if (batch.length === 0) continue;
        this.large -= this.countLarge(batch);
        const batchId = randomUUID();
        child.assign(batchId, batch);
        this.host.beforeBatch(child, batch);
        if (!child.send(message<BatchMessage>({ kind: 'batch', batchId, items: batch }))) {
          // The child is going away; its exit handler will requeue these.
          child.log.warn({ batchId, items: batch.length }, 'could not send batch');
        }
        sent += batch.length;
      }
    }
    const head = this.queue[0];
    if (head && sent > 0) {
      const reserve = chooseReservation(head, open.map(slotOf), this.limits);
      const child = reserve ? open.find((c) => c.id === reserve.id) : undefined;
      if (child) {
        child.reserve(head.id);
        child.log.info({ itemId: head.id, bufferMb: Math.round(head.bufferBytes / MB) }, 'keeping this child free for a large item');
      }
    }
    if (sent > 0) this.feed();
  }
}

function slotOf(child: ChildHandle): ChildSlot {
  return { id: child.id, inFlightCount: child.inFlightCount, committedBytes: child.committedBufferBytes, largestBufferBytes: child.largestBufferBytes, inFlightSizeBytes: child.inFlightSizeBytes, reservedFor: child.reservedFor };
}
