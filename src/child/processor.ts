// The contract between the generic child runtime and the work it runs. The supervisor core never imports
// a processor: it only passes the module path, so Drive and S3 stay out of the core.
import type { ErrorCode } from '../error-codes.js';
import type { JsonObject } from '../ipc/json.js';
import type { ItemOutcome, WorkItem } from '../ipc/protocol.js';
import type { Logger } from '../observability/logger.js';

/**
 * The supervisor's view of the services an item talks to (issue 20 point 5): a retry loop reports an
 * unreachable failure at once (the supervisor probes) and stops retrying when the probe finds the service down.
 */
export interface ServiceHealth {
  /** A request to `service` failed as unreachable (`code`: the failure's reason code). */
  unreachable(service: string, code: ErrorCode): void;
  /** Aborted while the supervisor holds `service` down (a fresh signal once it answers again). */
  downSignal(service: string): AbortSignal;
}

export interface ItemContext {
  /** Aborted on shutdown: stop promptly; checkpoints already reported stand. */
  signal: AbortSignal;
  /** Report bytes read so far in this attempt (throttled by the runtime). */
  progress(bytes: number): void;
  /** Report resumable state (a completed multipart part, say); sent to the supervisor at once. */
  checkpoint(state: JsonObject): void;
  log: Logger;
  /** Absent where no supervisor watches the services (a processor driven directly by a test). */
  services?: ServiceHealth;
}

export interface Processor {
  process(item: WorkItem, ctx: ItemContext): Promise<ItemOutcome>;
  /** A new share of one subject's request rate (see PaceMessage). */
  pace?(subject: string, ratePerSecond: number, resumeAt: number): void;
  close?(): Promise<void>;
}

export interface ProcessorInit {
  childId: number;
  options: JsonObject;
  log: Logger;
  /** Report how one paced request went; the runtime batches these to the supervisor's shared pace (absent outside a child). */
  reportPace?: (subject: string, refused: boolean, retryAfterMs: number | null) => void;
}

/** A processor module's default export. */
export type ProcessorFactory = (init: ProcessorInit) => Promise<Processor> | Processor;
