// Per-child RSS, measured from the parent (a stuck child never reports its own).
// pidusage quirks handled here: on Linux it keeps an open fd on /proc/<pid>/stat per pid in its history
// and `clear()` forgets the history without closing those fds; a pid that has died makes the whole
// call reject with ESRCH/ENOENT. So: one call per pid (a dead child cannot hide the others), and a short
// `maxage`, so pidusage's own expiry closes the fd of a pid we stopped asking about.
import { readFile } from 'node:fs/promises';
import pidusage from 'pidusage';

/** A child's own pages (USS = Private_Clean + Private_Dirty) from smaps_rollup, or null when unreadable. */
export async function readUssBytes(pid: number): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return null;
  }
  let kb = 0;
  for (const m of text.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB$/gm)) kb += Number(m[1]);
  return kb * 1024;
}

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

  /** Set once smaps_rollup failed for a live pid: charge RSS from then on (non-Linux, old kernels). */
  private ussUnavailable = false;

  /**
   * Bytes the kernel charges a pid for (USS: shared node binary and libs are not counted per child), or its
   * RSS where smaps_rollup is unreadable; null when the pid is gone.
   */
  async sample(pid: number): Promise<number | null> {
    if (!this.ussUnavailable) {
      const uss = await readUssBytes(pid);
      if (uss !== null && uss > 0) return uss;
      const rss = await this.sampleRss(pid);
      if (rss === null) return null;
      this.ussUnavailable = true;
      process.emitWarning('/proc/<pid>/smaps_rollup is unreadable: child memory caps fall back to RSS, which counts shared pages per child');
      return rss;
    }
    return this.sampleRss(pid);
  }

  /** RSS bytes of a pid, or null when it is gone. */
  async sampleRss(pid: number): Promise<number | null> {
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
