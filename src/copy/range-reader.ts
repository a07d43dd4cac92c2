// A large file read as parallel Range requests, one per part (issue 21): one Drive connection carries a few
// tens of MB/s on a real network, so a file read over one stream can never go faster than that. Each part's
// range is written straight into the pooled buffer it is then uploaded from (as the direct media path does for
// one stream); ranges finish out of order, and the parts are handed to the upload, and so to the digest, in
// order. A part that finished ahead waits in its own buffer, which the pool (part-buffers.ts) and so the
// memory plan count: at most `streams` ranges are open, and a file holds at most rangeQueueSize() buffers.
// A failed range is asked again from the first byte it did not deliver.
import { setTimeout as sleep } from 'node:timers/promises';
import { ItemError } from '../errors.js';
import { backoffMs } from '../retry/backoff.js';
import type { RetryBudget } from '../retry/retry-budget.js';
import type { ByteSource } from '../source/byte-source.js';
import { PartBufferPool } from './part-buffers.js';
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
}

interface Fetched {
  buffer: Buffer;
  length: number;
}

function retryable(err: unknown): boolean {
  return err instanceof ItemError && err.retryable;
}

export class RangeReader implements PartSource {
  private readonly pool: PartBufferPool;
  private readonly lastPart: number;
  private readonly fetches = new Map<number, Promise<Fetched>>();
  private readonly opened = new Set<ByteSource>();
  private readonly controller = new AbortController();
  private nextLaunch: number;
  private nextYield: number;
  private failure: { err: unknown } | null = null;

  constructor(private readonly o: RangeReaderOptions) {
    this.pool = new PartBufferPool(o.capacity);
    this.lastPart = Math.max(1, Math.ceil(o.size / o.partSize));
    this.nextLaunch = o.firstPartNumber;
    this.nextYield = o.firstPartNumber;
  }

  /** Stop every range (the upload failed or was aborted); buffers of parts read but not handed on go back. */
  stop(reason: unknown = new ItemError('upload stopped', true, 'aborted')): void {
    this.failure ??= { err: reason };
    if (!this.controller.signal.aborted) this.controller.abort(reason);
    for (const stream of this.opened) stream.destroy();
    for (const fetch of this.fetches.values()) fetch.then((f) => this.pool.release(f.buffer), () => undefined);
    this.fetches.clear();
  }

  private launch(): void {
    while (!this.failure && this.nextLaunch <= this.lastPart && this.nextLaunch < this.nextYield + this.o.streams) {
      const partNumber = this.nextLaunch++;
      const fetch = this.fetch(partNumber);
      // Awaited in next(); a failure meanwhile has stopped the others already.
      fetch.catch(() => undefined);
      this.fetches.set(partNumber, fetch);
    }
  }

  private async fetch(partNumber: number): Promise<Fetched> {
    const offset = (partNumber - 1) * this.o.partSize;
    const length = Math.min(this.o.partSize, this.o.size - offset);
    const buffer = await this.pool.acquire(length);
    const signal = this.controller.signal;
    try {
      let filled = 0;
      let failures = 0;
      while (filled < length) {
        if (signal.aborted) throw signal.reason;
        try {
          const stream = await this.o.open(offset + filled, length - filled, signal);
          this.opened.add(stream);
          try {
            const from = filled;
            // Each region counted as it lands, so that a read broken half-way still says how far it got.
            const got = await stream.readInto(buffer.subarray(from, length), (view) => (filled += view.length));
            if (got === 0) throw new ItemError(`range at byte ${offset + from} ended with nothing read`, true, 'truncated');
          } finally {
            this.opened.delete(stream);
            stream.destroy();
          }
        } catch (err) {
          if (signal.aborted || !retryable(err) || ++failures > this.o.retries || !this.o.budget.take()) throw err;
          // A backoff (the one rule, retry/backoff.ts), then the range is asked again from its first missing byte.
          await sleep(backoffMs(failures, { retryAfterMs: null }, { baseMs: RANGE_RETRY_BASE_MS }), undefined, { signal });
        }
      }
      return { buffer, length };
    } catch (err) {
      this.pool.release(buffer);
      this.stop(err);
      throw err;
    }
  }

  async next(): Promise<ReadPart | null> {
    if (this.failure) throw this.failure.err;
    if (this.nextYield > this.lastPart) return null;
    this.launch();
    const partNumber = this.nextYield;
    const fetch = this.fetches.get(partNumber);
    if (fetch === undefined) throw new ItemError(`range reader lost part ${partNumber}`, false, 'internal');
    let got: Fetched;
    try {
      got = await fetch;
    } catch (err) {
      // The first failure is the cause; the others only saw the stop it made.
      throw (this.failure as { err: unknown } | null)?.err ?? err;
    }
    this.fetches.delete(partNumber);
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
