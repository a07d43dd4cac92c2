// Progress for people: on a TTY a live block on stderr (files and bytes, MB/s, ETA, each child's own
// memory (USS) against its caps, recycles); elsewhere a pino line every --progress-interval-s with the same figures.
import type { Logger } from './logger.js';
import { formatBytes, formatDuration, mb } from './format.js';
import type { ChildView } from '../supervisor/supervisor.js';
import type { MemoryPlan } from '../supervisor/memory-plan.js';
import type { RecycleReason } from '../ipc/protocol.js';
import type { SyncView } from './sync-status.js';

export interface ProgressSnapshot {
  phase: 'listing' | 'copying';
  listingComplete: boolean;
  filesTotal: number;
  filesDone: number;
  filesSkipped: number;
  filesFailed: number;
  bytesTotal: number;
  bytesDone: number;
  children: ChildView[];
  recycles: Record<RecycleReason, number>;
  /** What the kernel charges the tree (shared pages once) and the tree's summed RSS. */
  chargedBytes: number;
  treeRssBytes: number;
  paused: boolean;
  /** A service the supervisor holds unreachable (dispatch paused, probing), and for how long; null when none. */
  outage: { service: string; downMs: number } | null;
  /** The shared Drive pace (source/drive/shared-pace.ts), when there is one. */
  drivePace?: DrivePaceView;
  /** The incremental sync's lag, pending files and last pass (sync-status.ts), when a run has one. */
  sync?: SyncView;
}

/** The sync row: the lag first (what an operator watches under --watch), then what is left and the last pass. */
export function syncLine(v: SyncView): string {
  const lag = v.lagS === null ? 'lag ? (no pass completed yet)' : `lag ${formatDuration(v.lagS * 1000)}`;
  const now = v.running === null ? 'between passes' : `${v.running} pass, ${v.pending} to apply`;
  const last = v.last === null ? '' : `  last ${v.last.kind}: ${v.last.new} new, ${v.last.changed} changed, ${v.last.moved} moved, ${v.last.deleted} deleted`;
  return `sync ${lag}  ${now}${last}`;
}

export interface DrivePaceView {
  /** Users with a pace of their own (source/drive/pace-book.ts): 1 in a one-drive run. */
  subjects: number;
  /** Requests per second now, summed over the users, and each user's ceiling (--drive-tps). */
  rate: number;
  ceiling: number;
  answered: number;
  /** Requests refused for the rate (403 rate-limit reasons, 429). */
  refused: number;
}

function paceRow(p: DrivePaceView): string {
  // Each user has a pace of its own under the one ceiling (--drive-tps); the row stays within 80 columns.
  const who = p.subjects > 1 ? ` for ${p.subjects} users (≤${p.ceiling} each)` : ` (ceiling ${p.ceiling})`;
  return `drive pace ${p.rate.toFixed(1)} req/s${who}  refused for the rate ${p.refused} (${refusedShare(p)})`;
}

function refusedShare(p: DrivePaceView): string {
  const all = p.answered + p.refused;
  return all === 0 ? '0%' : `${((100 * p.refused) / all).toFixed(1)}%`;
}

/** What the live block needs of a terminal. */
export interface LiveTerminal {
  columns: number;
  write: (text: string) => boolean;
}

export interface ProgressOptions {
  mode: 'tty' | 'log' | 'off';
  intervalMs: number;
  plan: MemoryPlan;
  log: Logger;
  snapshot: () => ProgressSnapshot;
  /** Where the live block is drawn (stderr unless a test gives another terminal). */
  out?: LiveTerminal;
}

/** The widest a live line may be on a terminal of `columns`: one short of it, so no row ever wraps. */
export function fitLine(line: string, columns: number): string {
  return line.length < columns ? line : line.slice(0, Math.max(1, columns - 1));
}

/** A rate over a sliding window, so MB/s and the ETA follow what is happening now. */
class Rate {
  private points: { t: number; v: number }[] = [];
  constructor(private readonly windowMs: number) {}
  push(v: number, t = Date.now()): number {
    this.points.push({ t, v });
    while (this.points.length > 2 && (this.points[0]?.t ?? t) < t - this.windowMs) this.points.shift();
    const first = this.points[0];
    if (!first || t === first.t) return 0;
    return ((v - first.v) * 1000) / (t - first.t);
  }
}

export class ProgressReporter {
  private timer: NodeJS.Timeout | null = null;
  private readonly bytesRate = new Rate(15_000);
  private readonly filesRate = new Rate(15_000);
  private drawnLines = 0;
  // The rows of the last draw, so the block can be drawn again under a line printed above it.
  private drawnRows = '';
  private drawnRowCount = 0;

  constructor(private readonly options: ProgressOptions) {}

  start(): void {
    if (this.options.mode === 'off') return;
    const every = this.options.mode === 'tty' ? 500 : this.options.intervalMs;
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.options.mode === 'tty') this.tick();
    if (this.options.mode === 'tty') this.drawnLines = 0;
  }

  /**
   * Print above the live block: erase it, write, and draw it again below, so a log line (the supervisor's
   * or a child's) lands whole above the block, never inside it.
   */
  above(write: () => void): void {
    const drawn = this.drawnLines > 0;
    this.clearBlock();
    write();
    if (!drawn) return;
    (this.options.out ?? process.stderr).write(this.drawnRows);
    this.drawnLines = this.drawnRowCount;
  }

  /** One update now (the timer's work; public so a test draws without waiting for it). */
  tick(): void {
    const s = this.options.snapshot();
    const settled = s.filesDone + s.filesSkipped + s.filesFailed;
    const bps = this.bytesRate.push(s.bytesDone);
    const fps = this.filesRate.push(settled);
    const remaining = s.bytesTotal - s.bytesDone;
    const etaMs = s.listingComplete && bps > 0 ? (remaining / bps) * 1000 : NaN;
    if (this.options.mode === 'log') {
      this.options.log.info(
        {
          progress: {
            phase: s.phase,
            files: { settled, total: s.filesTotal, done: s.filesDone, skipped: s.filesSkipped, failed: s.filesFailed },
            bytes: { done: s.bytesDone, total: s.bytesTotal },
            mbPerS: Number((bps / 1024 / 1024).toFixed(2)),
            filesPerS: Number(fps.toFixed(1)),
            etaS: Number.isFinite(etaMs) ? Math.round(etaMs / 1000) : null,
            listingComplete: s.listingComplete,
            chargedMb: mb(s.chargedBytes),
            treeRssMb: mb(s.treeRssBytes),
            children: s.children.map((c) => ({ id: c.id, ussMb: mb(c.ussBytes), rssMb: mb(c.rssBytes), state: c.state, inFlight: c.inFlight })),
            recycles: s.recycles,
            paused: s.paused,
            outage: s.outage === null ? null : { service: s.outage.service, downS: Math.round(s.outage.downMs / 1000) },
            ...(s.sync ? { sync: s.sync } : {}),
            ...(s.drivePace ? { drivePace: { subjects: s.drivePace.subjects, rate: Number(s.drivePace.rate.toFixed(1)), ceiling: s.drivePace.ceiling, refused: s.drivePace.refused } } : {}),
          },
        },
        'progress',
      );
      return;
    }
    this.draw(s, settled, bps, fps, etaMs);
  }

  /** Erase the live block so a log line lands on a clean row; the next tick draws it again below. */
  clearBlock(): void {
    if (this.options.mode !== 'tty' || this.drawnLines === 0) return;
    (this.options.out ?? process.stderr).write(`\x1b[${this.drawnLines}A\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(s: ProgressSnapshot, settled: number, bps: number, fps: number, etaMs: number): void {
    const out = this.options.out ?? process.stderr;
    const columns = out.columns > 0 ? out.columns : 80;
    const plan = this.options.plan;
    const total = s.listingComplete ? String(s.filesTotal) : `${s.filesTotal}+ (listing)`;
    const pct = s.bytesTotal > 0 ? ` ${((100 * s.bytesDone) / s.bytesTotal).toFixed(1)}%` : '';
    const recycles = Object.entries(s.recycles).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
    const lines = [
      ...(s.outage === null ? [] : [`paused: ${s.outage.service} unreachable for ${Math.round(s.outage.downMs / 1000)}s (probing; --outage-timeout-s stops the run)`]),
      `files ${settled}/${total} (done ${s.filesDone}, skipped ${s.filesSkipped}, failed ${s.filesFailed})  ${fps.toFixed(1)} files/s`,
      `bytes ${formatBytes(s.bytesDone)} / ${formatBytes(s.bytesTotal)}${pct}  ${(bps / 1024 / 1024).toFixed(1)} MB/s  ETA ${formatDuration(etaMs)}`,
      `memory: charged ${mb(s.chargedBytes)} MB (tree RSS ${mb(s.treeRssBytes)} MB) of budget ${plan.budgetMb} MB${s.paused ? '  [dispatch paused]' : ''}  recycles: ${recycles}`,
      ...(s.sync ? [syncLine(s.sync)] : []),
      ...(s.drivePace ? [paceRow(s.drivePace)] : []),
      ...s.children.map((c) => {
        // The bar gives way first on a narrow terminal (the rest of the row is ~56 columns).
        const width = Math.max(8, Math.min(30, columns - 57));
        const fill = Math.min(width, Math.round((c.ussBytes / (plan.childHardMb * 1024 * 1024)) * width));
        const softAt = Math.round((plan.childSoftMb / plan.childHardMb) * width);
        const bar = Array.from({ length: width }, (_, i) => (i < fill ? '#' : i === softAt ? '|' : '.')).join('');
        return `  child ${String(c.id).padStart(3)} [${bar}] ${String(mb(c.ussBytes)).padStart(4)}/${plan.childSoftMb}/${plan.childHardMb} MB  ${c.state.padEnd(11)} ${c.inFlight} in flight`;
      }),
    ];
    this.drawnRows = lines.map((l) => `\x1b[2K${fitLine(l, columns)}\n`).join('');
    this.drawnRowCount = lines.length;
    let text = '';
    if (this.drawnLines > 0) text += `\x1b[${this.drawnLines}A`;
    text += this.drawnRows;
    // Clear leftovers when the block got shorter (fewer children).
    for (let i = lines.length; i < this.drawnLines; i++) text += '\x1b[2K\n';
    out.write(text);
    this.drawnLines = Math.max(lines.length, this.drawnLines);
  }
}
