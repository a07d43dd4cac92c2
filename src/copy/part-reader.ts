// Cuts a Readable into part-sized buffers drawn from a bounded pool (part-buffers.ts): when none is free the
// reader stops pulling and the source's backpressure holds the rest upstream. Chunks are copied in (no
// Buffer.concat, which would double a part). A source that can write into a buffer it is given (a
// DirectSource: Drive media read off the socket, net/direct-body.ts) fills the part buffer itself, with
// no chunk in between.
import type { Readable } from 'node:stream';
import { ItemError } from '../errors.js';
import { PartBufferPool } from './part-buffers.js';

/** An incremental hash fed every byte read, in order, each update within one part (never across a boundary). */
export interface PartDigest {
  update(data: Uint8Array): void;
}

/** A Readable that can also write its next bytes straight into a buffer it is given. */
export interface DirectSource {
  /** Bytes still to come. */
  readonly remaining: number;
  /** Fill `target` from its start (fewer bytes only at the end, 0 after it); `onBytes` sees each region as it lands. */
  readInto(target: Buffer, onBytes?: (view: Buffer) => void): Promise<number>;
}

/** `source` as a DirectSource, or null when it can only be read chunk by chunk. */
export function directSource(source: Readable): DirectSource | null {
  const s = source as Partial<DirectSource>;
  return typeof s.readInto === 'function' && typeof s.remaining === 'number' ? (source as unknown as DirectSource) : null;
}

export interface ReadPart {
  partNumber: number;
  /** The part's bytes: a view of a pooled buffer, valid until release(). */
  data: Buffer;
  /** No more bytes follow this part. */
  last: boolean;
  release(): void;
}

/** Where an upload takes its parts from, in part-number order: a PartReader, or parallel ranges (range-reader.ts). */
export interface PartSource {
  next(): Promise<ReadPart | null>;
}

/** Makes an upload's PartSource once the engine knows where it starts (after the checkpoint is checked). */
export type OpenParts = (at: { firstPartNumber: number; offset: number }) => PartSource;

export interface PartReaderOptions {
  partSize: number;
  queueSize: number;
  /** Bytes the source will yield, when known: checked exactly, and used to size a short final part. */
  expectedBytes: number | null;
  /** 1 for a fresh upload; k+1 when parts 1..k were uploaded before. */
  firstPartNumber: number;
  digest: PartDigest | null;
}

export class PartReader implements PartSource {
  private readonly pool: PartBufferPool;
  private readonly iterator: AsyncIterator<unknown> | null;
  private readonly direct: DirectSource | null;
  private carry: Buffer | null = null;
  private ended = false;
  private nextPartNumber: number;
  bytesRead = 0;

  constructor(
    source: Readable,
    private readonly opts: PartReaderOptions,
  ) {
    this.pool = new PartBufferPool(opts.queueSize);
    this.direct = directSource(source);
    // Only one way of reading a source: its async iterator would pull chunks the direct reads never see.
    this.iterator = this.direct ? null : source[Symbol.asyncIterator]();
    this.nextPartNumber = opts.firstPartNumber;
  }

  private async nextChunk(): Promise<Buffer | null> {
    if (this.carry) {
      const chunk = this.carry;
      this.carry = null;
      return chunk;
    }
    for (;;) {
      if (this.ended || !this.iterator) return null;
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

  /**
   * Whether another byte follows: a direct source knows without reading; a chunked one is read one chunk
   * ahead, kept in `carry` for the next part.
   */
  private async more(): Promise<boolean> {
    if (this.carry) return true;
    if (this.direct) return !this.ended && this.direct.remaining > 0;
    this.carry = await this.nextChunk();
    return this.carry !== null;
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
    const exhausted = !(await this.more());
    if (exhausted && partNumber !== 1) {
      const remaining = this.remaining();
      if (remaining !== null && remaining > 0) throw this.sizeMismatch('fewer bytes');
      return null;
    }

    const remaining = this.remaining();
    if (remaining !== null && remaining === 0 && !exhausted) throw this.sizeMismatch('more bytes');
    const target = remaining === null ? this.opts.partSize : Math.min(this.opts.partSize, remaining);
    const buffer = await this.pool.acquire(target);
    let filled = 0;
    try {
      if (this.direct) {
        // One call fills the part (short only at the source's end); a direct source is never read ahead
        // (more() asks it), so nothing is carried.
        filled = await this.direct.readInto(buffer.subarray(0, target), (view) => this.opts.digest?.update(view));
        if (filled < target) this.ended = true;
      }
      while (!this.direct && filled < target) {
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
        if (last && (await this.more())) throw this.sizeMismatch('more bytes');
      } else if (filled < target) {
        last = true;
      } else {
        // Whether this full part was the last decides a single PutObject for part 1.
        last = !(await this.more());
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
