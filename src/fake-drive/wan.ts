// A wide-area network in front of a fake server (the fake Drive, the benchmark's index and S3 sink): a
// latency before every response, a body rate per connection, and a fraction of bodies cut mid-way. Loopback
// has none of these, so without them a benchmark only measures CPU (issue 21).
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WanOptions {
  /** Added before every response's headers, in ms (one round trip as the client sees it). */
  latencyMs?: number;
  /** Response-body bytes per second per connection; 0 or absent: unlimited. */
  bytesPerSecond?: number;
  /** Fraction (0-1) of media bodies cut mid-way by a connection reset. */
  dropFraction?: number;
  /** Source of randomness in [0, 1) for drops and where they cut; tests may pin it. */
  random?: () => number;
}

export interface WanStats {
  /** Responses delayed by the latency. */
  delayed: number;
  /** Bodies cut mid-way by a drop. */
  dropped: number;
}

/** A slice of a throttled body: big chunks are split so that the pace is even at any rate. */
const SLICE_BYTES = 16 * 1024;

/** Validate once, up front: a bad setting names itself. */
export function checkWanOptions(o: WanOptions): void {
  const bad = (name: string, v: unknown): never => {
    throw new RangeError(`wan.${name} must be a non-negative number, got ${String(v)}`);
  };
  if (o.latencyMs !== undefined && !(o.latencyMs >= 0)) bad('latencyMs', o.latencyMs);
  if (o.bytesPerSecond !== undefined && !(o.bytesPerSecond >= 0)) bad('bytesPerSecond', o.bytesPerSecond);
  if (o.dropFraction !== undefined && !(o.dropFraction >= 0 && o.dropFraction <= 1)) {
    throw new RangeError(`wan.dropFraction must be between 0 and 1, got ${o.dropFraction}`);
  }
}

export class Wan {
  readonly stats: WanStats = { delayed: 0, dropped: 0 };
  #options: WanOptions;
  // One clock per connection: keep-alive requests on a socket share its rate as on a real link.
  readonly #nextFree = new WeakMap<Socket, number>();

  constructor(options: WanOptions = {}) {
    checkWanOptions(options);
    this.#options = { ...options };
  }

  get options(): Readonly<WanOptions> {
    return this.#options;
  }

  set(options: WanOptions): void {
    checkWanOptions(options);
    this.#options = { ...options };
  }

  /** Wait out the latency before answering (no-op without one). */
  async delay(): Promise<void> {
    const ms = this.#options.latencyMs ?? 0;
    if (ms <= 0) return;
    this.stats.delayed++;
    await sleep(ms);
  }

  /**
   * Whether this body is to be dropped, and after how many of its `length` bytes: null = delivered whole.
   * Cuts somewhere in its first 90 %, never at 0, so the client has started reading when it breaks.
   */
  dropAfter(length: number): number | null {
    const fraction = this.#options.dropFraction ?? 0;
    if (fraction <= 0 || length < 2) return null;
    const random = this.#options.random ?? Math.random;
    if (random() >= fraction) return null;
    this.stats.dropped++;
    return Math.max(1, Math.floor(random() * length * 0.9));
  }

  /** A pass-through that holds the body to the per-connection rate of `socket` (itself when unlimited). */
  throttle(socket: Socket | null): Transform | null {
    const rate = this.#options.bytesPerSecond ?? 0;
    if (rate <= 0 || socket === null) return null;
    const nextFree = this.#nextFree;
    const send = (out: Transform, chunk: Buffer, done: TransformCallback): void => {
      const slice = chunk.subarray(0, SLICE_BYTES);
      const rest = chunk.subarray(slice.length);
      const now = performance.now();
      const start = Math.max(now, nextFree.get(socket) ?? now);
      const end = start + (slice.length / rate) * 1000;
      nextFree.set(socket, end);
      const go = (): void => {
        out.push(slice);
        if (rest.length > 0) send(out, rest, done);
        else done();
      };
      // Under a millisecond of debt is paid with the next slice: timers cannot wait less.
      if (end - now < 1) go();
      else setTimeout(go, end - now);
    };
    return new Transform({
      transform(chunk: Buffer, _encoding, done) {
        send(this, chunk, done);
      },
    });
  }
}
