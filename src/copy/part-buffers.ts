// Part buffers: the memory of a copy. Two bounds hold at once:
// - per upload, `queueSize` buffers (the one being filled counts): when all are filled or in flight the
//   reader stops pulling and the download's backpressure holds the rest upstream;
// - per process, `limit` buffers shared by every upload in it (--child-part-buffers): a child copying
//   `concurrency` files no longer needs concurrency × queueSize part buffers at once. An upload that holds
//   more than one buffer gives a released one back to the process when another upload is waiting for its
//   first, so a long file cannot keep the others waiting while it streams.
// Buffers are reused rather than reallocated (a shelf of spare part-size buffers, within the same limit), so
// the bound holds without waiting for the garbage collector, which frees external memory late: a child
// copying many mid-sized files in a row otherwise carried tens of MB of dead part buffers.

class ProcessBudget {
  limit = Number.POSITIVE_INFINITY;
  partSize = 0;
  /** Buffers handed out and not given back. */
  private held = 0;
  private readonly shelf: Buffer[] = [];
  private readonly waiters: (() => void)[] = [];

  configure(partSize: number, limit: number): void {
    this.partSize = partSize;
    this.limit = limit;
    this.shelf.length = 0;
  }

  /** Another upload waits for a buffer. */
  get contended(): boolean {
    return this.waiters.length > 0;
  }

  /** A buffer of at least `length` bytes, counted against the limit; waits (in order) while it is reached. */
  async take(length: number): Promise<Buffer> {
    while (this.held >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.held += 1;
    const spare = length <= this.partSize ? this.shelf.pop() : undefined;
    // allocUnsafeSlow: a dedicated allocation, not a slice of Node's shared 8 KiB pool.
    return spare ?? Buffer.allocUnsafeSlow(length);
  }

  give(buffer: Buffer): void {
    this.held -= 1;
    // Keep standard part buffers for the next upload, as long as kept + held stay within the limit.
    if (buffer.length === this.partSize && this.held + this.shelf.length < this.limit) this.shelf.push(buffer);
    this.waiters.shift()?.();
  }
}

const processBudget = new ProcessBudget();

/**
 * Bound and reuse the part buffers of every upload in this process: at most `limit` at once, spares kept
 * only at `partSize` (the copy children call this once; elsewhere there is no process-wide limit).
 */
export function limitPartBuffers(partSize: number, limit: number): void {
  processBudget.configure(partSize, limit);
}

/** One upload's buffers: at most `capacity` at once, drawn from the process budget. */
export class PartBufferPool {
  private held = 0;
  private readonly waiters: { length: number; resolve: (buffer: Buffer | null) => void }[] = [];

  constructor(private readonly capacity: number) {}

  /** A buffer of at least `length` bytes; waits while this upload holds `capacity`, or the process its limit. */
  async acquire(length: number): Promise<Buffer> {
    if (this.held >= this.capacity) {
      // A released buffer is handed over directly (null: it went back to the process; take one from there).
      const handed = await new Promise<Buffer | null>((resolve) => this.waiters.push({ length, resolve }));
      if (handed !== null) return handed;
    }
    this.held += 1;
    try {
      return await processBudget.take(length);
    } catch (err) {
      this.held -= 1;
      throw err;
    }
  }

  release(buffer: Buffer): void {
    const waiter = this.waiters.shift();
    // Hand it to this upload's next part, unless another upload waits for a buffer and this one keeps another.
    if (waiter !== undefined && buffer.length >= waiter.length && !(processBudget.contended && this.held > 1)) {
      waiter.resolve(buffer);
      return;
    }
    this.held -= 1;
    processBudget.give(buffer);
    waiter?.resolve(null);
  }
}
