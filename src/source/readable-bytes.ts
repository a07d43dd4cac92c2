// A Node Readable (node:http's IncomingMessage, gaxios's body, behind download.ts's guard) as a ByteSource:
// its chunks are copied into the caller's buffer, and what a chunk has beyond that buffer waits for the next
// read. The Readable is read through its async iterator only, so its errors reach the caller's read.
import type { Readable } from 'node:stream';
import { ItemError } from '../errors.js';
import type { ByteSource } from './byte-source.js';

function binary(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new ItemError('upload source yielded a non-binary chunk', false, 'source-not-binary');
}

export class ReadableBytes implements ByteSource {
  readonly chunked = true;
  private readonly chunks: AsyncIterator<unknown>;
  // The rest of one chunk (≤ one socket read), counted in the memory plan by DOWNLOAD_BUFFER_BYTES (source/drive/download.ts).
  private carry: Buffer | null = null;
  private ended = false;
  private failure: { err: unknown } | null = null;

  constructor(private readonly stream: Readable) {
    this.chunks = stream[Symbol.asyncIterator]();
  }

  async more(): Promise<boolean> {
    this.carry ??= await this.nextChunk();
    return this.carry !== null;
  }

  async readInto(target: Buffer, onBytes?: (view: Buffer) => void): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      const chunk = this.carry ?? (await this.nextChunk());
      this.carry = null;
      if (chunk === null) break;
      const take = Math.min(chunk.length, target.length - filled);
      const region = target.subarray(filled, filled + take);
      chunk.copy(region, 0, 0, take);
      filled += take;
      onBytes?.(region);
      if (take < chunk.length) this.carry = chunk.subarray(take);
    }
    return filled;
  }

  destroy(): void {
    this.carry = null;
    this.stream.destroy();
  }

  /** The next non-empty chunk, or null at the end; a failure is thrown again to every later read. */
  private async nextChunk(): Promise<Buffer | null> {
    if (this.failure) throw this.failure.err;
    try {
      while (!this.ended) {
        const r = await this.chunks.next();
        if (r.done === true) this.ended = true;
        else {
          const chunk = binary(r.value);
          if (chunk.length > 0) return chunk;
        }
      }
      return null;
    } catch (err) {
      this.failure = { err };
      throw err;
    }
  }
}
