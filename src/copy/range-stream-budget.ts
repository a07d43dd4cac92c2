// A child's range streams (--range-streams), shared by the large files it reads as ranges at once (issue 21):
// a file copied alone opens all of them, two share them half and half, and the total never passes the budget,
// so the memory plan counts the budget once per child, not once per file (docs/design.md, Memory). A file
// above its fair share gives a stream back, between two ranges, when another file waits for one.

/** One ranged file's hold on the budget. */
export interface StreamShare {
  /** A stream if one is free now (its holder calls release() when done); false: wait for onGrant. */
  tryTake(): boolean;
  /** Between two ranges: whether this file should give its stream to another that waits (then it has). */
  yieldToOthers(): boolean;
  /** A stream's range loop has ended: the stream goes to a file that waits, or back to the budget. */
  release(): void;
  /** The file is done with ranges (read, failed or stopped): it waits for nothing more. */
  leave(): void;
  /** Streams this file holds now. */
  readonly open: number;
}

interface Member {
  open: number;
  waiting: boolean;
  /** A stream was handed to this file while it waited: it starts a range loop on it. */
  onGrant: () => void;
}

export class RangeStreamBudget {
  private held = 0;
  private readonly members = new Set<Member>();
  /** Streams held at once, all files together: the most ever seen (tests read it). */
  peak = 0;

  constructor(readonly total: number) {}

  /** Join as a file read as ranges; `onGrant` is called with a stream already counted for it. */
  join(onGrant: () => void): StreamShare {
    const m: Member = { open: 0, waiting: false, onGrant };
    this.members.add(m);
    const take = (): void => {
      this.held += 1;
      m.open += 1;
      this.peak = Math.max(this.peak, this.held);
    };
    return {
      tryTake: () => {
        if (this.held < this.total) {
          take();
          return true;
        }
        m.waiting = true;
        return false;
      },
      yieldToOthers: () => {
        const waiter = this.waiterFor(m);
        if (waiter === null || m.open <= this.fairShare()) return false;
        m.open -= 1;
        this.handTo(waiter);
        return true;
      },
      release: () => {
        m.open -= 1;
        const waiter = this.waiterFor(m);
        if (waiter !== null) this.handTo(waiter);
        else this.held -= 1;
      },
      leave: () => {
        m.waiting = false;
        this.members.delete(m);
      },
      get open() {
        return m.open;
      },
    };
  }

  private fairShare(): number {
    return Math.max(1, Math.floor(this.total / Math.max(1, this.members.size)));
  }

  /** The waiting file with the fewest streams, other than `self`. */
  private waiterFor(self: Member): Member | null {
    let best: Member | null = null;
    for (const m of this.members) if (m !== self && m.waiting && (best === null || m.open < best.open)) best = m;
    return best;
  }

  /** The stream stays counted in `held`; it changes hands. */
  private handTo(m: Member): void {
    m.open += 1;
    m.waiting = false;
    m.onGrant();
  }
}
