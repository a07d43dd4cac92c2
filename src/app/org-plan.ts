// `plan` for an organisation run (issue 23): the drives a run would copy, resolved as it does (org-sources.ts),
// each listed as its own subject without a journal; per drive its files, bytes and skips, or why it failed.
// Its sizes are what `--shard-sizes` packs by (drive-shards.ts), so a first plan pass balances the shards.
import { orgShardFilter } from '../config/drive-shards.js';
import type { DriveSizes } from '../config/drive-shards.js';
import type { Settings } from '../config/settings.js';
import { parseShard } from '../config/shard.js';
import type { Logger } from '../observability/logger.js';
import { formatBytes } from '../observability/format.js';
import type { ListedEntry } from '../source/drive/drive-item.js';
import { PaceBook } from '../source/drive/pace-book.js';
import { joinPacer } from '../source/drive/shared-pace.js';
import { driveAs, driveShardKey, resolveOrgSources, sourceLabel } from './org-sources.js';
import { listSource, reasonOf } from './org-pass.js';
import { tally } from './plan-command.js';
import type { PlanFigures } from './plan-command.js';
import type { Extras } from './source-target.js';

/** One drive of the plan: its figures, or the reason it could not be listed (then it has no size). */
export interface DrivePlan {
  source: string;
  /** Its --shard-sizes key (driveShardKey). */
  key: string;
  figures: PlanFigures | null;
  reason: string | null;
}

/** List every drive the run would copy (this shard's, with --shard), each entry also given to `add` for the totals. */
export async function planOrgDrives(settings: Settings, extras: Extras, log: Logger, add: (e: ListedEntry) => void): Promise<DrivePlan[]> {
  const sources = await resolveOrgSources(settings, extras, orgShardFilter(settings, parseShard(settings.shard, process.env)), log);
  const paces = new PaceBook(settings.driveTps);
  const abort = new AbortController();
  const rows: DrivePlan[] = [];
  paces.start();
  try {
    for (const source of sources) {
      const row: DrivePlan = { source: sourceLabel(source), key: driveShardKey(source), figures: null, reason: source.problem ?? null };
      rows.push(row);
      if (source.subject === null) {
        row.reason ??= 'no identity to read it as';
        continue;
      }
      const t = tally();
      const lister = joinPacer(paces.pace(source.subject), 'lister');
      try {
        await listSource({
          source,
          settings,
          prefix: settings.s3Prefix,
          drive: driveAs(settings, extras, source.subject),
          pacer: lister.pacer,
          log: log.child({ source: row.source }),
          signal: abort.signal,
          write: (entries) => {
            for (const e of entries) {
              t.add(e);
              // The totals' largest files name their drive: paths repeat across drives.
              add(e.kind === 'file' ? { ...e, item: { ...e.item, path: `${row.source}/${e.item.path}` } } : e);
            }
          },
        });
        row.figures = t.figures;
      } catch (err) {
        row.reason = reasonOf(err);
      } finally {
        lister.leave();
      }
    }
  } finally {
    paces.stop();
  }
  return rows;
}

/** The sizes file of a plan: every drive listed to the end; a failed drive is left to its hash. */
export function driveSizesOf(rows: readonly DrivePlan[]): DriveSizes {
  return new Map(rows.flatMap((r) => (r.figures === null ? [] : [[r.key, r.figures.bytes] as const])));
}

/** A compact table: one line per drive, its files, bytes and skips by reason, or FAILED and why. */
export function renderDrives(rows: readonly DrivePlan[]): string {
  const width = Math.max(5, ...rows.map((r) => r.source.length));
  const lines = [`drives: ${rows.length}${rows.some((r) => r.figures === null) ? `, ${rows.filter((r) => r.figures === null).length} failed` : ''}`];
  lines.push(`  ${'drive'.padEnd(width)} ${'files'.padStart(9)} ${'bytes'.padStart(10)}  skipped`);
  for (const r of rows) {
    if (r.figures === null) {
      lines.push(`  ${r.source.padEnd(width)} FAILED: ${r.reason ?? ''}`);
      continue;
    }
    const f = r.figures;
    const skips = Object.entries(f.skips);
    lines.push(`  ${r.source.padEnd(width)} ${String(f.files).padStart(9)} ${formatBytes(f.bytes).padStart(10)}  ${skips.length === 0 ? 'none' : skips.map(([why, n]) => `${why} ${n}`).join(', ')}`);
  }
  return lines.join('\n');
}
