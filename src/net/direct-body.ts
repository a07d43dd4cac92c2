// A response body framed by Content-Length, read off a MediaConnection straight into the caller's buffers.
//
// Why: through node:http each socket read is a new Buffer, copied by its parser and again into a part buffer;
// reading into the part buffer halves the CPU and leaves no dead chunks for the GC (docs/design.md#the-measurements-behind-the-flags).
// readInto() is that path, the only one: with more(), chunked and destroy() the body is a ByteSource
// (source/byte-source.ts) by its shape, checked where source/drive/download.ts returns it as one (net/ imports
// no source module: test/child-bundle.test.ts).
//
// Bytes that land outside the caller's buffer (the part of the body that came with the head, the first read
// after a pause, what TLS still delivers after one) wait in the connection's queue and are copied out from
// there; a read goes straight into the caller's buffer only while that queue is empty.
import type { ConnectionReader, MediaConnection } from './media-connection.js';
import { NetError } from './net-error.js';

interface Fill {
  target: Buffer;
  filled: number;
  onBytes: (view: Buffer) => void;
  resolve: (n: number) => void;
  reject: (err: Error) => void;
}

export class DirectBody implements ConnectionReader {
  /** Bytes land in the caller's buffer, not in chunks (child/gc-pacer.ts). */
  readonly chunked = false;
  /** Body bytes handed to the caller so far. */
  private taken = 0;
  private fill: Fill | null = null;
  private view: Buffer | null = null;
  private failure: Error | null = null;
  private released = false;

  /**
   * The connection's queued bytes (what came with the head) are the body's first. `release` gets the
   * connection back once the body was read to its end (to pool it, or close it when the server said so).
   */
  constructor(
    private readonly conn: MediaConnection,
    readonly length: number,
    private readonly idleMs: number,
    private readonly release: (conn: MediaConnection) => void,
  ) {
    conn.attach(this);
    if (!this.checkLength()) return;
    this.maybeRelease();
  }

  /** Bytes not yet delivered to the caller. */
  get remaining(): number {
    return this.length - this.taken;
  }

  /** Whether another body byte follows (known from Content-Length, nothing is read). */
  more(): Promise<boolean> {
    return Promise.resolve(this.remaining > 0);
  }

  /**
   * Fill `target` from its start with the next body bytes; resolves with how many (fewer than target.length
   * only at the body's end, 0 after it). `onBytes` sees each region as it lands, in order, within `target`.
   */
  readInto(target: Buffer, onBytes: (view: Buffer) => void = () => undefined): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.fill) return Promise.reject(new Error('DirectBody.readInto: a read is already waiting'));
    const fill: Fill = { target, filled: 0, onBytes, resolve: () => undefined, reject: () => undefined };
    this.drain(fill);
    this.maybeRelease();
    if (fill.filled === target.length || this.remaining === 0) return Promise.resolve(fill.filled);
    return new Promise<number>((resolve, reject) => {
      fill.resolve = resolve;
      fill.reject = reject;
      this.fill = fill;
      this.conn.watchIdle(this.idleMs);
      this.conn.socket.resume();
    });
  }

  // ConnectionReader: the socket's side.

  target(): Buffer | null {
    const fill = this.fill;
    const left = this.length - this.taken;
    this.view = fill && fill.filled < fill.target.length && left > 0 ? fill.target.subarray(fill.filled, fill.filled + Math.min(fill.target.length - fill.filled, left)) : null;
    return this.view;
  }

  data(n: number, landed: boolean): void {
    const fill = this.fill;
    if (landed && fill && this.view) {
      fill.onBytes(this.view.subarray(0, n));
      fill.filled += n;
      this.taken += n;
    } else {
      if (!this.checkLength()) return;
      if (fill) this.drain(fill);
    }
    this.maybeRelease();
    if (fill && (fill.filled === fill.target.length || this.remaining === 0)) {
      this.fill = null;
      // Once released, the timer is the pool's idle timer (or the connection is closed): not ours to clear.
      if (!this.released) this.conn.watchIdle(0);
      fill.resolve(fill.filled);
    }
  }

  wants(): boolean {
    return this.fill !== null;
  }

  ended(err: Error | null, timedOut: boolean): void {
    // Every byte is here (some still queued): the server closing afterwards takes nothing from this body.
    if (this.taken + this.conn.pending === this.length) return;
    if (timedOut) this.fail(new NetError(`no bytes from Drive for ${this.idleMs / 1000} s`, 'timeout'));
    else this.fail(new NetError(`download closed after ${this.taken + this.conn.pending} of ${this.length} bytes${err ? `: ${err.message}` : ''}`, 'connection-reset'));
  }

  /** Stop before the end (the upload gave up): the connection is mid-response and cannot be reused; a read waiting rejects. */
  destroy(): void {
    this.fail(new NetError('download destroyed', 'connection-reset'));
  }

  /** More bytes than Content-Length announced mean the framing cannot be trusted: fail. */
  private checkLength(): boolean {
    if (this.taken + this.conn.pending <= this.length) return true;
    this.fail(new NetError(`response body longer than its Content-Length (${this.length})`, 'connection-reset'));
    return false;
  }

  private drain(fill: Fill): void {
    for (;;) {
      const chunk = this.conn.take(fill.target.length - fill.filled);
      if (chunk === null) return;
      const region = fill.target.subarray(fill.filled, fill.filled + chunk.length);
      chunk.copy(region);
      fill.filled += chunk.length;
      this.taken += chunk.length;
      fill.onBytes(region);
    }
  }

  /** Every byte taken: the connection goes back (nothing more of this response can arrive on it). */
  private maybeRelease(): void {
    if (this.released || this.taken !== this.length) return;
    this.released = true;
    this.conn.attach(null);
    this.release(this.conn);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    if (!this.released) {
      this.released = true;
      this.conn.attach(null);
      this.conn.destroy();
    }
    this.failPending(err);
  }

  private failPending(err: Error): void {
    this.failure ??= err;
    const fill = this.fill;
    this.fill = null;
    fill?.reject(err);
  }
}
