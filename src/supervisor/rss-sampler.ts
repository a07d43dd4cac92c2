// Per-process memory, measured from the parent (a stuck child never reports its own): the pages the
// kernel charges to the process alone (USS) and its RSS, which also counts pages it shares with others.
// pidusage (the RSS fallback where smaps_rollup is unreadable) quirks handled here: on Linux it keeps an
// open fd on /proc/<pid>/stat per pid in its history and `clear()` forgets the history without closing
// those fds; a pid that has died makes the whole call reject with ESRCH/ENOENT. So: one call per pid (a
// dead child cannot hide the others), and a short `maxage`, so pidusage's own expiry closes the fd of a
// pid we stopped asking about.
import { readFile } from 'node:fs/promises';
import pidusage from 'pidusage';

/** What one process holds: its own pages (USS) and its resident set (RSS = USS + pages it shares). */
export interface ProcessMemory {
  /** Private_Clean + Private_Dirty: charged to this process alone. Equal to rssBytes where unreadable. */
  ussBytes: number;
  rssBytes: number;
}

/** A process's USS and RSS from /proc/PID/smaps_rollup, or null when unreadable (gone, non-Linux, old kernel). */
export async function readSmapsRollup(pid: number): Promise<ProcessMemory | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return null;
  }
  let ussKb = 0;
  let rssKb = 0;
  for (const m of text.matchAll(/^(Rss|Private_Clean|Private_Dirty):\s+(\d+) kB$/gm)) {
    if (m[1] === 'Rss') rssKb += Number(m[2]);
    else ussKb += Number(m[2]);
  }
  return { ussBytes: ussKb * 1024, rssBytes: rssKb * 1024 };
}

/** A child's own pages (USS = Private_Clean + Private_Dirty) from smaps_rollup, or null when unreadable. */
export async function readUssBytes(pid: number): Promise<number | null> {
  return (await readSmapsRollup(pid))?.ussBytes ?? null;
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

  /**
   * Whether smaps_rollup can be read here, found once on our own pid: a child's unreadable or empty one
   * then means it is gone (a zombie's is empty), never that the whole run should fall back to RSS.
   */
  private smapsReadable: Promise<boolean> | null = null;

  /**
   * A pid's USS and RSS (the caps act on USS: the shared node binary and libraries are charged once, not
   * per child), or its RSS as both where smaps_rollup is unreadable (non-Linux, old kernels); null when
   * the pid is gone.
   */
  async sample(pid: number): Promise<ProcessMemory | null> {
    this.smapsReadable ??= readSmapsRollup(process.pid).then((own) => {
      const readable = own !== null && own.rssBytes > 0;
      if (!readable) process.emitWarning('/proc/<pid>/smaps_rollup is unreadable: child memory caps fall back to RSS, which counts shared pages per child');
      return readable;
    });
    if (await this.smapsReadable) {
      const read = await readSmapsRollup(pid);
      return read !== null && read.rssBytes > 0 ? read : null;
    }
    const rss = await this.sampleRss(pid);
    return rss === null ? null : { ussBytes: rss, rssBytes: rss };
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

  async sampleAll(pids: readonly number[]): Promise<Map<number, ProcessMemory>> {
    const out = new Map<number, ProcessMemory>();
    await Promise.all(
      pids.map(async (pid) => {
        const memory = await this.sample(pid);
        if (memory !== null) out.set(pid, memory);
      }),
    );
    return out;
  }
}
