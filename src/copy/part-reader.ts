// Cuts a ByteSource (source/byte-source.ts) into part-sized buffers drawn from a bounded pool
// (part-buffers.ts): when none is free the reader stops reading and the source's backpressure holds the rest
// upstream. Each part buffer is filled by the source itself (a direct body writes socket reads into it, a
// Readable's chunks are copied in): no Buffer.concat, which would double a part.
import { ItemError } from '../errors.js';
import type { ByteSource } from '../source/byte-source.js';
import { PartBufferPool } from './part-buffers.js';

/** An incremental hash fed every byte read, in order, each update within one part (never across a boundary). */
export interface PartDigest {
  update(data: Uint8Array): void;
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
  /** The upload failed or was aborted: stop reading (a read waiting rejects) and let the source go. */
  stop(): void;
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
  private ended = false;
  private nextPartNumber: number;
  bytesRead = 0;

  constructor(
    private readonly source: ByteSource,
    private readonly opts: PartReaderOptions,
  ) {
    this.pool = new PartBufferPool(opts.queueSize);
    this.nextPartNumber = opts.firstPartNumber;
  }

  stop(): void {
    this.source.destroy();
  }

  /** Whether another byte follows (a short read already said it does not). */
  private async more(): Promise<boolean> {
    return !this.ended && (await this.source.more());
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
    try {
      // One call fills the part (short only at the source's end).
      const filled = await this.source.readInto(buffer.subarray(0, target), (view) => this.opts.digest?.update(view));
      if (filled < target) this.ended = true;
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
