// Per-child RSS, measured from the parent (a stuck child never reports its own).
// pidusage quirks handled here: on Linux it keeps an open fd on /proc/<pid>/stat per pid in its history
// and `clear()` forgets the history without closing those fds; a pid that has died makes the whole
// call reject with ESRCH/ENOENT. So: one call per pid (a dead child cannot hide the others), and a short
// `maxage`, so pidusage's own expiry closes the fd of a pid we stopped asking about.
import pidusage from 'pidusage';

export class RssSampler {
  private readonly maxAgeMs: number;
  /**
   * pidusage reads the clock tick and page size (two `getconf` shell commands) on its first call and keeps
   * them, but every call made before the first returns asks again: sampling 8 new children at once ran 16
   * shell commands (~20 short-lived processes in the benchmark's tree). One call on our own pid first, and
   * the children's calls find them known.
   */
  private warm: Promise<unknown> | null = null;

  constructor(pollMs: number) {
    // Long enough that a live child's fd is reused between polls, short enough that dead ones close soon.
    this.maxAgeMs = Math.max(2000, pollMs * 4);
  }

  /** RSS bytes of a pid, or null when it is gone. */
  async sample(pid: number): Promise<number | null> {
    this.warm ??= pidusage(process.pid).catch(() => undefined);
    await this.warm;
    try {
      const stat = await pidusage(pid, { maxage: this.maxAgeMs });
      return stat.memory;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ESRCH' || code === 'ENOENT' || /No matching pid/.test(String(err))) return null;
      throw err;
    }
  }

  async sampleAll(pids: readonly number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    await Promise.all(
      pids.map(async (pid) => {
        const rss = await this.sample(pid);
        if (rss !== null) out.set(pid, rss);
      }),
    );
    return out;
  }
}
