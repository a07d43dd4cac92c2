// The retries one file may spend inside a child (--drive-retries), shared by every request it sends: the copy's
// attempt loop and a range's re-open draw from the same count, so one part or one range is sent at most
// retries + 1 times per child, and the supervisor's file-level attempts multiply only that (docs/design.md, Retries).

export class RetryBudget {
  private used = 0;

  constructor(readonly max: number) {}

  /** Spend one retry; false once `max` are spent (the caller then gives up with its error). */
  take(): boolean {
    if (this.used >= this.max) return false;
    this.used += 1;
    return true;
  }

  get spent(): number {
    return this.used;
  }
}
