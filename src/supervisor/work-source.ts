// The supervisor's only view of where work comes from and where results go. The journal implements it
// for real runs; tests use the in-memory one. Nothing here knows about Drive or S3.
import type { JsonObject } from '../ipc/json.js';
import type { ItemOutcome, WorkItem } from '../ipc/protocol.js';

export interface WorkSource {
  /** Up to `max` items ready to run. Taken items belong to the supervisor until settled or requeued. */
  take(max: number): WorkItem[];
  /** True once no item will ever be offered again (listing finished, nothing pending). */
  isExhausted(): boolean;
  /** Resolves when take() may return something new (or the source became exhausted). */
  waitForWork(): Promise<void>;
  settle(item: WorkItem, outcome: ItemOutcome): void;
  /** Back to pending. countAttempt: the item had started when its child died. */
  requeue(item: WorkItem, options: { countAttempt: boolean; reason: string }): void;
  checkpoint(item: WorkItem, state: JsonObject): void;
  progress?(item: WorkItem, bytes: number): void;
}
