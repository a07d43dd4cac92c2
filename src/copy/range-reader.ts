// A large file read as parallel Range requests, one per part (issue 21): one Drive connection carries a few
// tens of MB/s on a real network, so a file read over one stream can never go faster than that. Each part's
// range is written straight into the pooled buffer it is then uploaded from (as the direct media path does for
// one stream); ranges finish out of order, and the parts are handed to the upload, and so to the digest, in
// order. A part that finished ahead waits in its own buffer, which the pool (part-buffers.ts) and so the
// memory plan count: a file holds at most rangeQueueSize() buffers, granted in part order. The child's
// streams are shared by its ranged files (range-stream-budget.ts); each stream asks for its next range a
// round trip before its current one ends, so it holds two connections for that round trip, never a third.
// A failed range is asked again from the first byte it did not deliver.
import { setTimeout as sleep } from 'node:timers/promises';
import { ItemError } from '../errors.js';
import { backoffMs } from '../retry/backoff.js';
import type { RetryBudget } from '../retry/retry-budget.js';
import type { ByteSource } from '../source/byte-source.js';
import { PartBufferPool } from './part-buffers.js';
import { RangeStreamBudget } from './range-stream-budget.js';
import type { StreamShare } from './range-stream-budget.js';
import type { OpenParts, PartDigest, PartSource, ReadPart } from './part-reader.js';

/** Opens bytes [offset, offset + length) of the file. */
export type OpenRange = (offset: number, length: number, signal: AbortSignal) => Promise<ByteSource>;

/** Retries of one range inside an attempt (at most; fewer with --drive-retries), before the attempt fails. */
export const RANGE_RETRIES = 3;
const RANGE_RETRY_BASE_MS = 250;

/**
 * Part buffers one file read as `streams` ranges may hold: one per open range plus the upload queue's parts
 * in flight (--upload-queue-size counts the part being filled; here `streams` are).
 */
export function rangeQueueSize(streams: number, uploadQueueSize: number): number {
  return streams <= 1 ? uploadQueueSize : streams + uploadQueueSize - 1;
}

/**
 * Connections one file read as `streams` ranges may hold: two per stream, for the round trip in which its
 * next range is asked while the current one ends.
 */
export function rangeConnections(streams: number): number {
  return streams <= 1 ? 1 : 2 * streams;
}

/**
 * Connections a child's `concurrency` downloads hold at most when its ranged files share `streams`: those
 * streams' connections, and one for each other file (a ranged file waiting for a stream holds none).
 */
export function childConnections(streams: number, concurrency: number): number {
  return streams <= 1 ? concurrency : rangeConnections(streams) + concurrency - 1;
}

export interface RangeSettings {
  /** --range-streams: ranges one file is read as at once (1, absent: a single stream). */
  rangeStreams?: number | undefined;
  /** --range-cutoff-mb, in bytes: files at or above it are read as ranges. */
  rangeCutoffBytes?: number | undefined;
}

/** Whether a media file of `size` bytes is read as parallel ranges. */
export function readsAsRanges(size: number | null, partSize: number, o: RangeSettings): size is number {
  return (o.rangeStreams ?? 1) > 1 && size !== null && size >= (o.rangeCutoffBytes ?? Number.POSITIVE_INFINITY) && size > partSize;
}

export interface RangeReaderOptions {
  /** The whole file's size. */
  size: number;
  partSize: number;
  /** The first part to read (k + 1 when parts 1..k are in S3 already). */
  firstPartNumber: number;
  streams: number;
  /** Part buffers this file may hold at once (rangeQueueSize). */
  capacity: number;
  open: OpenRange;
  /** Retries of one range, each from the first byte it has not delivered. */
  retries: number;
  /** The file's retries in this child, which each range retry also spends (retry/retry-budget.ts). */
  budget: RetryBudget;
  /** Fed each part whole, in part order. */
  digest: PartDigest | null;
  /** The child's streams, shared by its ranged files (absent: `streams` of this file's own). */
  streamBudget?: RangeStreamBudget | undefined;
}

interface Fetched {
  buffer: Buffer;
  length: number;
}

/** A part taken by a stream: its bytes, its buffer (granted in part order) and, once asked, its request. */
interface Slot {
  partNumber: number;
  offset: number;
  length: number;
  buffer: Promise<Buffer>;
  /** The range's request, sent ahead while the stream still reads the part before (null: not yet sent). */
  opened: Promise<ByteSource> | null;
  /** When its request was sent, to learn the round trip. */
  askedAt: number;
}

interface Deferred {
  promise: Promise<Fetched>;
  resolve: (f: Fetched) => void;
  reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: (f: Fetched) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<Fetched>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Awaited in next(); a failure meanwhile has stopped the others already.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function retryable(err: unknown): boolean {
  return err instanceof ItemError && err.retryable;
}

/**
 * Ask for a stream's next range when what is left of its current one would take no longer than a round
 * trip at the rate it is arriving: the next body then starts as this one ends, instead of one round trip
 * later (measured: docs/design.md#the-measurements-behind-the-flags).
 */
function timeToAskAhead(left: number, got: number, elapsedMs: number, roundTripMs: number): boolean {
  if (got === 0 || elapsedMs <= 0) return false;
  return (left * elapsedMs) / got <= roundTripMs;
}

export class RangeReader implements PartSource {
  private readonly pool: PartBufferPool;
  private readonly lastPart: number;
  private readonly results = new Map<number, Deferred>();
  private readonly opened = new Set<ByteSource>();
  private readonly controller = new AbortController();
  private readonly share: StreamShare;
  private nextLaunch: number;
  private nextYield: number;
  /** Buffers are granted in part order, so the part next() waits for never waits behind a later one. */
  private granted: Promise<unknown> = Promise.resolve();
  /** The round trip of a range request (sent → head), smoothed; 0 until one is seen. */
  private roundTripMs = 0;
  private failure: { err: unknown } | null = null;

  constructor(private readonly o: RangeReaderOptions) {
    this.pool = new PartBufferPool(o.capacity);
    this.lastPart = Math.max(1, Math.ceil(o.size / o.partSize));
    this.nextLaunch = o.firstPartNumber;
    this.nextYield = o.firstPartNumber;
    this.share = (o.streamBudget ?? new RangeStreamBudget(o.streams)).join(() => this.granted_());
  }

  /** Stop every range (the upload failed or was aborted); buffers of parts read but not handed on go back. */
  stop(reason: unknown = new ItemError('upload stopped', true, 'aborted')): void {
    this.failure ??= { err: reason };
    if (!this.controller.signal.aborted) this.controller.abort(reason);
    for (const stream of this.opened) stream.destroy();
    for (const r of this.results.values()) {
      r.promise.then((f) => this.pool.release(f.buffer), () => undefined);
      r.reject(reason);
    }
    this.results.clear();
    this.share.leave();
  }

  private result(partNumber: number): Deferred {
    let r = this.results.get(partNumber);
    if (r === undefined) {
      r = deferred();
      this.results.set(partNumber, r);
    }
    return r;
  }

  /** Parts not yet taken by a stream, and streams this file could still use. */
  private wantsStream(): boolean {
    return !this.failure && this.nextLaunch <= this.lastPart && this.share.open < this.o.streams;
  }

  private launch(): void {
    while (this.wantsStream() && this.share.tryTake()) void this.stream();
  }

  /** A stream handed over by another file that gave one back. */
  private granted_(): void {
    if (this.wantsStream()) void this.stream();
    else this.share.release();
  }

  /** The next part in order, its buffer asked for behind the parts before it. */
  private take(): Slot | null {
    if (this.failure || this.nextLaunch > this.lastPart) return null;
    const partNumber = this.nextLaunch++;
    // Every part has a stream: this file wants no more, and the others' fair shares grow.
    if (this.nextLaunch > this.lastPart) this.share.leave();
    const offset = (partNumber - 1) * this.o.partSize;
    const length = Math.min(this.o.partSize, this.o.size - offset);
    const buffer = this.granted.then(() => this.pool.acquire(length));
    this.granted = buffer.catch(() => undefined);
    return { partNumber, offset, length, buffer, opened: null, askedAt: 0 };
  }

  private ask(slot: Slot, from: number): Promise<ByteSource> {
    const signal = this.controller.signal;
    slot.askedAt = performance.now();
    const opened = this.o.open(slot.offset + from, slot.length - from, signal).then((stream) => {
      const ms = performance.now() - slot.askedAt;
      this.roundTripMs = this.roundTripMs === 0 ? ms : 0.8 * this.roundTripMs + 0.2 * ms;
      if (signal.aborted) {
        stream.destroy();
        throw signal.reason;
      }
      this.opened.add(stream);
      return stream;
    });
    opened.catch(() => undefined);
    return opened;
  }

  /** One stream: parts in turn, each next range asked for before the current one ends. */
  private async stream(): Promise<void> {
    let slot = this.take();
    let ahead: Slot | null = null;
    let handedOver = false;
    try {
      while (slot !== null) {
        ahead = null;
        const f = await this.fetch(slot, () => {
          if (ahead !== null || this.failure) return;
          ahead = this.take();
          if (ahead !== null) ahead.opened = this.ask(ahead, 0);
        });
        if (this.failure) {
          this.pool.release(f.buffer);
          break;
        }
        this.result(slot.partNumber).resolve(f);
        const next: Slot | null = ahead;
        ahead = null;
        // Between two ranges a file above its share gives the stream to one that waits (never with a range asked ahead).
        handedOver = next === null && this.share.yieldToOthers();
        slot = next ?? (handedOver ? null : this.take());
      }
    } catch (err) {
      this.stop(err);
    } finally {
      if (ahead !== null) this.abandon(ahead);
      if (!handedOver) this.share.release();
    }
  }

  /** A part taken but not to be read (the file stopped): its buffer and its request go back. */
  private abandon(slot: Slot): void {
    slot.buffer.then((b) => this.pool.release(b), () => undefined);
    slot.opened?.then((stream) => {
      this.opened.delete(stream);
      stream.destroy();
    }, () => undefined);
  }

  private async fetch(slot: Slot, askAhead: () => void): Promise<Fetched> {
    const { offset, length } = slot;
    const signal = this.controller.signal;
    let buffer: Buffer | null = null;
    try {
      buffer = await slot.buffer;
      let filled = 0;
      let failures = 0;
      while (filled < length) {
        if (signal.aborted) throw signal.reason;
        try {
          const stream = await (slot.opened ?? this.ask(slot, filled));
          slot.opened = null;
          try {
            const from = filled;
            const bodyAt = performance.now();
            // Each region counted as it lands, so that a read broken half-way still says how far it got.
            const got = await stream.readInto(buffer.subarray(from, length), (view) => {
              filled += view.length;
              if (timeToAskAhead(length - filled, filled - from, performance.now() - bodyAt, this.roundTripMs)) askAhead();
            });
            if (got === 0) throw new ItemError(`range at byte ${offset + from} ended with nothing read`, true, 'truncated');
          } finally {
            this.opened.delete(stream);
            stream.destroy();
          }
        } catch (err) {
          slot.opened = null;
          if (signal.aborted || !retryable(err) || ++failures > this.o.retries || !this.o.budget.take()) throw err;
          // A backoff (the one rule, retry/backoff.ts), then the range is asked again from its first missing byte.
          await sleep(backoffMs(failures, { retryAfterMs: null }, { baseMs: RANGE_RETRY_BASE_MS }), undefined, { signal });
        }
      }
      return { buffer, length };
    } catch (err) {
      if (buffer !== null) this.pool.release(buffer);
      throw err;
    }
  }

  async next(): Promise<ReadPart | null> {
    if (this.failure) throw this.failure.err;
    if (this.nextYield > this.lastPart) return null;
    this.launch();
    const partNumber = this.nextYield;
    let got: Fetched;
    try {
      got = await this.result(partNumber).promise;
    } catch (err) {
      // The first failure is the cause; the others only saw the stop it made.
      throw (this.failure as { err: unknown } | null)?.err ?? err;
    }
    this.results.delete(partNumber);
    this.nextYield += 1;
    this.launch();
    const data = got.buffer.subarray(0, got.length);
    this.o.digest?.update(data);
    let released = false;
    return {
      partNumber,
      data,
      last: partNumber === this.lastPart,
      release: () => {
        if (released) return;
        released = true;
        this.pool.release(got.buffer);
      },
    };
  }
}

/** An upload's parts read as ranges, opened where the engine resumes (it stops them when the upload ends early). */
export function rangeParts(o: Omit<RangeReaderOptions, 'firstPartNumber'>, onReader?: (reader: RangeReader) => void): OpenParts {
  return ({ firstPartNumber }) => {
    const reader = new RangeReader({ ...o, firstPartNumber });
    onReader?.(reader);
    return reader;
  };
}
