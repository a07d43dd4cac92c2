// Cuts a Readable into part-sized buffers drawn from a fixed pool. The pool is the memory bound: when all
// `queueSize` buffers are filled or in flight, the reader stops pulling and the source's backpressure
// holds the rest upstream. Buffers are reused rather than reallocated, so the bound holds without waiting
// for the garbage collector, and chunks are copied in (no Buffer.concat, which would double a part).
import type { Readable } from 'node:stream';
import { ItemError } from '../errors.js';

/** An incremental hash fed every byte read, in order, each update within one part (never across a boundary). */
export interface PartDigest {
  update(data: Uint8Array): void;
}

/**
 * Part buffers kept between uploads in this process. Without it every upload allocates its own part
 * buffers and leaves them to the garbage collector, which frees external memory late: a child copying many
 * mid-sized files in a row carried tens of MB of dead part buffers. Only buffers of the configured part size
 * are kept, at most `limit` of them (concurrency × parts in flight: what the memory plan already counts).
 */
const spare = { buffers: [] as Buffer[], limit: 0, partSize: 0 };

export function keepSparePartBuffers(partSize: number, limit: number): void {
  spare.partSize = partSize;
  spare.limit = limit;
  spare.buffers.length = Math.min(spare.buffers.length, limit);
}

function takeSpare(length: number): Buffer | null {
  return length <= spare.partSize ? (spare.buffers.pop() ?? null) : null;
}

/** Shelve a buffer this pool no longer needs; false when it is not a standard part buffer or the shelf is full. */
function shelve(buffer: Buffer): boolean {
  if (buffer.length !== spare.partSize || spare.buffers.length >= spare.limit) return false;
  spare.buffers.push(buffer);
  return true;
}

export class PartBufferPool {
  private readonly free: Buffer[] = [];
  private allocated = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  /** A buffer of at least `length` bytes; waits while `capacity` buffers are out. */
  async acquire(length: number): Promise<Buffer> {
    for (;;) {
      const index = this.free.findIndex((b) => b.length >= length);
      if (index >= 0) return this.free.splice(index, 1)[0] as Buffer;
      if (this.free.length > 0) {
        // Only smaller buffers are free: drop one to make room for the right size.
        this.free.pop();
        this.allocated -= 1;
      }
      if (this.allocated < this.capacity) {
        this.allocated += 1;
        // allocUnsafeSlow: a dedicated allocation, not a slice of Node's shared 8 KiB pool.
        return takeSpare(length) ?? Buffer.allocUnsafeSlow(length);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  release(buffer: Buffer): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined && shelve(buffer)) {
      // Nobody in this upload waits for it: it leaves the pool for the next upload in this process.
      this.allocated -= 1;
      return;
    }
    this.free.push(buffer);
    waiter?.();
  }
}

export interface ReadPart {
  partNumber: number;
  /** The part's bytes: a view of a pooled buffer, valid until release(). */
  data: Buffer;
  /** No more bytes follow this part. */
  last: boolean;
  release(): void;
}

export interface PartReaderOptions {
  partSize: number;
  queueSize: number;
  /** Bytes the source will yield, when known: checked exactly, and used to size a short final part. */
  expectedBytes: number | null;
  /** 1 for a fresh upload; k+1 when parts 1..k were uploaded before. */
  firstPartNumber: number;
  digest: PartDigest | null;
}

export class PartReader {
  private readonly pool: PartBufferPool;
  private readonly iterator: AsyncIterator<unknown>;
  private carry: Buffer | null = null;
  private ended = false;
  private nextPartNumber: number;
  bytesRead = 0;

  constructor(
    source: Readable,
    private readonly opts: PartReaderOptions,
  ) {
    this.pool = new PartBufferPool(opts.queueSize);
    this.iterator = source[Symbol.asyncIterator]();
    this.nextPartNumber = opts.firstPartNumber;
  }

  private async nextChunk(): Promise<Buffer | null> {
    if (this.carry) {
      const chunk = this.carry;
      this.carry = null;
      return chunk;
    }
    for (;;) {
      if (this.ended) return null;
      const r = await this.iterator.next();
      if (r.done) {
        this.ended = true;
        return null;
      }
      const value: unknown = r.value;
      const chunk = Buffer.isBuffer(value) ? value : typeof value === 'string' ? Buffer.from(value) : value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : null;
      if (chunk === null) throw new ItemError('upload source yielded a non-binary chunk', false, 'source-not-binary');
      if (chunk.length > 0) return chunk;
    }
  }

  private remaining(): number | null {
    return this.opts.expectedBytes === null ? null : this.opts.expectedBytes - this.bytesRead;
  }

  private sizeMismatch(actual: string): ItemError {
    return new ItemError(`source yielded ${actual} than the expected ${this.opts.expectedBytes ?? 0} bytes`, true, 'source-size-mismatch');
  }

  /**
   * The next part, or null once the source is exhausted. The first part of a fresh upload is always
   * returned, even when empty (a zero-byte object is still an object).
   */
  async next(): Promise<ReadPart | null> {
    const partNumber = this.nextPartNumber;
    const first = await this.nextChunk();
    if (first === null && partNumber !== 1) {
      const remaining = this.remaining();
      if (remaining !== null && remaining > 0) throw this.sizeMismatch('fewer bytes');
      return null;
    }
    if (first !== null) this.carry = first;

    const remaining = this.remaining();
    if (remaining !== null && remaining === 0 && first !== null) throw this.sizeMismatch('more bytes');
    const target = remaining === null ? this.opts.partSize : Math.min(this.opts.partSize, remaining);
    const buffer = await this.pool.acquire(target);
    let filled = 0;
    try {
      while (filled < target) {
        const chunk = await this.nextChunk();
        if (chunk === null) break;
        const take = Math.min(chunk.length, target - filled);
        chunk.copy(buffer, filled, 0, take);
        this.opts.digest?.update(chunk.subarray(0, take));
        if (take < chunk.length) this.carry = chunk.subarray(take);
        filled += take;
      }
      this.bytesRead += filled;
      const left = this.remaining();
      let last: boolean;
      if (left !== null) {
        if (filled < target) throw this.sizeMismatch('fewer bytes');
        last = left === 0;
        if (last) {
          const extra = await this.nextChunk();
          if (extra !== null) throw this.sizeMismatch('more bytes');
        }
      } else if (filled < target) {
        last = true;
      } else {
        // Peek one chunk: it decides whether this full part was the last (single PutObject for part 1).
        const peek = await this.nextChunk();
        last = peek === null;
        if (peek !== null) this.carry = peek;
      }
      this.nextPartNumber += 1;
      let released = false;
      return {
        partNumber,
        data: buffer.subarray(0, filled),
        last,
        release: () => {
          if (released) return;
          released = true;
          this.pool.release(buffer);
        },
      };
    } catch (err) {
      this.pool.release(buffer);
      throw err;
    }
  }
}
