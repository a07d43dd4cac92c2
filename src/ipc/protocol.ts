// The one IPC protocol between the supervisor and its children, imported by both sides.
// Every message carries a brand and a protocol version; anything else on the channel is foreign and is
// ignored and logged (a stray `process.send` from a dependency must never be taken for work).
import type { JsonObject } from './json.js';
import type { ErrorCode } from '../error-codes.js';
import { checkedCode } from './serialized-error.js';
import type { SerializedError } from './serialized-error.js';

export const PROTOCOL_BRAND = 'drive-s3-supervisor';
// 2: service-state (parent → child), service-unreachable and item-returned (child → parent), issue 20 point 5.
// 3: pace and pace-report name the subject whose pace they are (one pace per Drive user, issue 23).
// 4: pace-leave (parent → child): a child leaves a subject's pace when it holds none of its items (issue 23).
export const PROTOCOL_VERSION = 4;

/** Why a child was recycled. Every recycle is logged and counted with one of these. */
export const RECYCLE_REASONS = ['soft-cap', 'hard-cap', 'heap-oom', 'crash', 'max-items', 'budget'] as const;
export type RecycleReason = (typeof RECYCLE_REASONS)[number];

/** One unit of work. The supervisor schedules it; only the child's processor reads the payload. */
export interface WorkItem {
  id: string;
  /** 1 on the first dispatch; incremented each time a child died while the item had started. */
  attempt: number;
  /** Bytes of the source when known (batching by --batch-mb); 0 when unknown. */
  sizeBytes: number;
  /** Predicted peak buffer bytes while the item runs: the admission bound against a child's caps. */
  bufferBytes: number;
  payload: JsonObject;
  /** The last checkpoint reported for this item, so a new attempt can resume. */
  checkpoint: JsonObject | null;
}

export interface ChildSettings {
  childId: number;
  concurrency: number;
  /** Absolute path of the processor module the child loads (the supervisor core knows nothing of Drive or S3). */
  processorPath: string;
  processorOptions: JsonObject;
  logLevel: string;
}

interface Envelope<K extends string> {
  brand: typeof PROTOCOL_BRAND;
  v: typeof PROTOCOL_VERSION;
  kind: K;
}

// parent → child
export interface InitMessage extends Envelope<'init'> {
  settings: ChildSettings;
}
export interface BatchMessage extends Envelope<'batch'> {
  batchId: string;
  items: WorkItem[];
}
/** Take no new work, finish what you hold, then exit 0. */
export interface DrainMessage extends Envelope<'drain'> {
  reason: RecycleReason;
}
/** Stop now: abort items (their checkpoints stand), flush, exit 0 within graceMs. */
export interface ShutdownMessage extends Envelope<'shutdown'> {
  graceMs: number;
}
/** The supervisor's probe found `service` down (or answering again): items retrying on it hand their file back. */
export interface ServiceStateMessage extends Envelope<'service-state'> {
  service: string;
  down: boolean;
}
/**
 * This child's share of one subject's request rate (source/drive/shared-pace.ts, pace-book.ts), sent before the
 * first batch holding that subject's items and whenever it changes: a push, so no request waits for a round trip.
 */
export interface PaceMessage extends Envelope<'pace'> {
  /** The user whose quota this pace is (source/drive/pace-book.ts OWN_SUBJECT: the run's own identity). */
  subject: string;
  ratePerSecond: number;
  /** Wall-clock ms before which no request is sent (a Retry-After); 0 when none. */
  resumeAt: number;
}
/**
 * This child holds no more of `subject`'s items: it is no longer a member of that pace (the share it last got is
 * now the others'), and reports what it counted for it at once. A later batch of that subject's items joins again.
 */
export interface PaceLeaveMessage extends Envelope<'pace-leave'> {
  subject: string;
}

// child → parent
export interface ReadyMessage extends Envelope<'ready'> {
  childId: number;
  pid: number;
}
export interface ItemStartMessage extends Envelope<'item-start'> {
  batchId: string;
  itemId: string;
}
export interface ItemProgressMessage extends Envelope<'item-progress'> {
  itemId: string;
  /** Bytes read from the source so far in this attempt (including bytes skipped by a resume). */
  bytes: number;
}
export interface ItemCheckpointMessage extends Envelope<'item-checkpoint'> {
  itemId: string;
  checkpoint: JsonObject;
}

export type ItemOutcome =
  | { status: 'done'; bytes: number; detail: JsonObject }
  | { status: 'skipped'; reason: string; detail: JsonObject }
  /** detail: what the attempt did before it failed (copy/copy-item.ts: the bytes a resume read again). */
  | { status: 'failed'; error: SerializedError; detail: JsonObject };

export interface ItemResultMessage extends Envelope<'item-result'> {
  batchId: string;
  itemId: string;
  outcome: ItemOutcome;
}
/** A request of this item to `service` failed as unreachable (refused, reset, timeout, 5xx); it retries meanwhile. */
export interface ServiceUnreachableMessage extends Envelope<'service-unreachable'> {
  itemId: string;
  service: string;
  /** The failure's reason code (error-codes.ts). */
  code: ErrorCode;
}
/** Handed back unfinished because the supervisor said `service` is down: not a failure, no attempt counted. */
export interface ItemReturnedMessage extends Envelope<'item-returned'> {
  batchId: string;
  itemId: string;
  service: string;
}
/** Paced requests answered and refused for the rate since the last report (refusals are reported at once). */
export interface PaceReportMessage extends Envelope<'pace-report'> {
  /** Whose pace these requests were paced by. */
  subject: string;
  answered: number;
  refused: number;
  /** The longest Retry-After among the refusals, or null. */
  retryAfterMs: number | null;
}
export interface FatalMessage extends Envelope<'fatal'> {
  error: SerializedError;
}

export type ParentMessage = InitMessage | BatchMessage | DrainMessage | ShutdownMessage | ServiceStateMessage | PaceMessage | PaceLeaveMessage;
export type ChildMessage =
  | ReadyMessage
  | ItemStartMessage
  | ItemProgressMessage
  | ItemCheckpointMessage
  | ItemResultMessage
  | ServiceUnreachableMessage
  | ItemReturnedMessage
  | PaceReportMessage
  | FatalMessage;

type Body<M extends Envelope<string>> = Omit<M, 'brand' | 'v'>;

/** Stamp a message body with the brand and version. */
export function message<M extends ParentMessage | ChildMessage>(body: Body<M>): M {
  return { brand: PROTOCOL_BRAND, v: PROTOCOL_VERSION, ...body } as M;
}

const PARENT_KINDS: ReadonlySet<string> = new Set<ParentMessage['kind']>(['init', 'batch', 'drain', 'shutdown', 'service-state', 'pace', 'pace-leave']);
const CHILD_KINDS: ReadonlySet<string> = new Set<ChildMessage['kind']>([
  'ready',
  'item-start',
  'item-progress',
  'item-checkpoint',
  'item-result',
  'service-unreachable',
  'item-returned',
  'pace-report',
  'fatal',
]);

function isBranded(value: unknown, kinds: ReadonlySet<string>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return m.brand === PROTOCOL_BRAND && m.v === PROTOCOL_VERSION && typeof m.kind === 'string' && kinds.has(m.kind);
}

/** True for a message of this protocol version that the parent may send. Both processes run the same build. */
export function isParentMessage(value: unknown): value is ParentMessage {
  return isBranded(value, PARENT_KINDS);
}

export function isChildMessage(value: unknown): value is ChildMessage {
  return isBranded(value, CHILD_KINDS);
}

/**
 * The message with every reason code it carries checked against the list (error-codes.ts): the brand says
 * who sent it, not that its codes are ours; an unknown one is told to `onUnknown` and read as 'error'.
 */
export function withCheckedCodes(m: ChildMessage, onUnknown: (code: unknown) => void): ChildMessage {
  const check = (code: unknown): ErrorCode => checkedCode(code, onUnknown);
  switch (m.kind) {
    case 'item-result':
      return m.outcome.status === 'failed' ? { ...m, outcome: { ...m.outcome, error: { ...m.outcome.error, code: check(m.outcome.error.code) } } } : m;
    case 'fatal':
      return { ...m, error: { ...m.error, code: check(m.error.code) } };
    case 'service-unreachable':
      return { ...m, code: check(m.code) };
    default:
      return m;
  }
}

/** A short, secret-free description of a foreign message for the log. */
export function describeForeign(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  const m = value as Record<string, unknown>;
  const brand = typeof m.brand === 'string' ? m.brand : '-';
  const v = typeof m.v === 'number' ? String(m.v) : '-';
  const kind = typeof m.kind === 'string' ? m.kind : '-';
  return `brand=${brand} v=${v} kind=${kind}`;
}
