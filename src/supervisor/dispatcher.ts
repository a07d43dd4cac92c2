// Batching and memory admission: which ready items go to which child. Items are admitted against the
// child's item budget (soft cap − baseline) by their predicted buffer bound, so a huge file (bigger
// parts) waits for headroom, or runs alone in a child that is kept free for it, instead of breaking a cap.
import type { WorkItem } from '../ipc/protocol.js';

export interface DispatchLimits {
  batchFiles: number;
  batchBytes: number;
  concurrency: number;
  childItemBudgetBytes: number;
}

export interface ChildSlot {
  id: number;
  inFlightCount: number;
  committedBytes: number;
  /** Source bytes of the items it holds: --batch-mb bounds what one child holds, so big files spread out. */
  inFlightSizeBytes: number;
  reservedFor: string | null;
}

/** How far past the head of the queue a batch may look for items that fit. */
const LOOKAHEAD = 512;

function fits(committed: number, item: WorkItem, limits: DispatchLimits): boolean {
  return committed + item.bufferBytes <= limits.childItemBudgetBytes;
}

/**
 * Take a batch for one child out of `queue` (mutated). A child with nothing in flight accepts any item,
 * alone if it is over the budget; a child reserved for an item takes only that item.
 */
export function takeBatch(queue: WorkItem[], child: ChildSlot, limits: DispatchLimits): WorkItem[] {
  if (child.inFlightCount >= limits.concurrency) return [];
  if (child.reservedFor !== null) {
    const idx = queue.findIndex((i) => i.id === child.reservedFor);
    if (idx < 0) return []; // the reservation is stale; the caller clears it
    const item = queue[idx];
    if (item === undefined) return [];
    if (child.inFlightCount > 0 && !fits(child.committedBytes, item, limits)) return [];
    queue.splice(idx, 1);
    return [item];
  }
  const batch: WorkItem[] = [];
  let committed = child.committedBytes;
  let bytes = child.inFlightSizeBytes;
  for (let i = 0; i < queue.length && i < LOOKAHEAD + batch.length && batch.length < limits.batchFiles; ) {
    const item = queue[i];
    if (item === undefined) break;
    const empty = child.inFlightCount === 0 && batch.length === 0;
    const sizeOk = (child.inFlightCount === 0 && batch.length === 0) || bytes + item.sizeBytes <= limits.batchBytes;
    if (sizeOk && (fits(committed, item, limits) || empty)) {
      queue.splice(i, 1);
      batch.push(item);
      committed += item.bufferBytes;
      bytes += item.sizeBytes;
      // An item over the budget runs alone.
      if (!fits(0, item, limits)) break;
      continue;
    }
    i++;
  }
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
  if (withSlot.some((c) => c.inFlightCount === 0 || fits(c.committedBytes, head, limits))) return null;
  let best: ChildSlot | null = null;
  for (const c of children) {
    if (c.reservedFor !== null) continue;
    if (best === null || c.committedBytes < best.committedBytes) best = c;
  }
  return best;
}
