// `supervisor plan` (and `run --dry-run`): list the source without copying — counts and bytes, a size
// histogram, the largest files, exports and skips by reason — and the memory plan, and whether it fits.
import { isOrgRun } from '../config/org-settings.js';
import type { Settings } from '../config/settings.js';
import { parseShard } from '../config/shard.js';
import { ExitCode } from '../exit-codes.js';
import { joinPacer, SharedPace } from '../source/drive/shared-pace.js';
import { resolveRoot } from '../source/drive/lister.js';
import type { DriveItem, ListedEntry } from '../source/drive/drive-item.js';
import { createCliLogger } from '../observability/cli-logger.js';
import { formatBytes } from '../observability/format.js';
import { itemBufferBytes } from './item-buffer-bound.js';
import { describeMemoryPlan } from '../supervisor/memory-plan.js';
import type { MemoryPlan } from '../supervisor/memory-plan.js';
import { MemoryPlanError } from '../errors.js';
import { writeDriveSizes } from '../config/drive-shards.js';
import type { Logger } from '../observability/logger.js';
import { driveSizesOf, planOrgDrives, renderDrives } from './org-plan.js';
import { previewDelta } from './delta-plan.js';
import { runListing } from './listing-task.js';
import { planMemory } from './memory-setup.js';
import { driveClientFor, s3TargetFor } from './source-target.js';
import type { Extras } from './source-target.js';

const BUCKETS = [64 * 1024, 1024 ** 2, 16 * 1024 ** 2, 128 * 1024 ** 2, 1024 ** 3, 5 * 1024 ** 3, Infinity];
const TOP = 10;

export interface PlanFigures {
  files: number;
  bytes: number;
  exports: number;
  unknownSize: number;
  histogram: { upTo: string; files: number; bytes: number }[];
  largest: { path: string; size: number }[];
  skips: Record<string, number>;
  /** Files whose buffer bound exceeds a child's item budget: they run alone in a child kept free for them. */
  runAlone: number;
}

function bucketLabel(b: number): string {
  return b === Infinity ? 'larger' : `≤ ${formatBytes(b)}`;
}

export function tally(): { add(e: ListedEntry): void; figures: PlanFigures; setBudget(bytes: number, part: (i: DriveItem) => number): void } {
  const figures: PlanFigures = {
    files: 0,
    bytes: 0,
    exports: 0,
    unknownSize: 0,
    histogram: BUCKETS.map((b) => ({ upTo: bucketLabel(b), files: 0, bytes: 0 })),
    largest: [],
    skips: {},
    runAlone: 0,
  };
  let budget = Infinity;
  let bound: (i: DriveItem) => number = () => 0;
  return {
    figures,
    setBudget(bytes, part) {
      budget = bytes;
      bound = part;
    },
    add(e) {
      if (e.kind === 'skip') {
        figures.skips[e.skip.reason] = (figures.skips[e.skip.reason] ?? 0) + 1;
        return;
      }
      const item = e.item;
      figures.files++;
      if (item.download.kind === 'export') figures.exports++;
      if (bound(item) > budget) figures.runAlone++;
      if (item.size === null) {
        figures.unknownSize++;
        return;
      }
      figures.bytes += item.size;
      const i = BUCKETS.findIndex((b) => (item.size ?? 0) <= b);
      const h = figures.histogram[i];
      if (h) {
        h.files++;
        h.bytes += item.size;
      }
      // A top-N kept sorted: bounded memory whatever the tree.
      if (figures.largest.length < TOP || item.size > (figures.largest.at(-1)?.size ?? 0)) {
        figures.largest.push({ path: item.path, size: item.size });
        figures.largest.sort((a, b) => b.size - a.size);
        figures.largest.length = Math.min(figures.largest.length, TOP);
      }
    },
  };
}

function render(f: PlanFigures, plan: MemoryPlan | null, planError: string | null): string {
  const lines = [`source: ${f.files} files, ${formatBytes(f.bytes)}${f.unknownSize > 0 ? ` + ${f.unknownSize} exports of unknown size` : ''}; ${f.exports} Google Workspace exports`];
  lines.push('size histogram:');
  for (const h of f.histogram) if (h.files > 0) lines.push(`  ${h.upTo.padEnd(12)} ${String(h.files).padStart(9)} files  ${formatBytes(h.bytes)}`);
  lines.push('largest files:');
  for (const l of f.largest) lines.push(`  ${formatBytes(l.size).padStart(10)}  ${l.path}`);
  const skips = Object.entries(f.skips);
  lines.push(skips.length === 0 ? 'skips: none' : `skips: ${skips.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  if (plan) {
    lines.push(describeMemoryPlan(plan));
    lines.push(`fits the pod: yes${f.runAlone > 0 ? ` (${f.runAlone} files have a buffer bound above a child's item budget and will run alone in a child)` : ''}`);
  } else {
    lines.push(`fits the pod: NO — ${planError ?? ''}`);
  }
  return lines.join('\n');
}

export async function planCommand(settings: Settings, extras: Extras = {}): Promise<number> {
  const log = createCliLogger({ level: settings.logLevel === 'info' ? 'warn' : settings.logLevel, pretty: settings.logPretty });
  let plan: MemoryPlan | null = null;
  let planError: string | null = null;
  try {
    plan = planMemory(settings);
  } catch (err) {
    if (!(err instanceof MemoryPlanError)) throw err;
    planError = err.message;
  }
  const t = tally();
  if (plan) {
    t.setBudget(plan.childItemBudgetMb * 1024 * 1024, (i) => itemBufferBytes(i.size, settings));
  }
  let lastReport = Date.now();
  const add = (e: ListedEntry): void => {
    t.add(e);
    if (Date.now() - lastReport > 2000) {
      lastReport = Date.now();
      process.stderr.write(`listing… ${t.figures.files} files so far\n`);
    }
  };
  if (isOrgRun(settings)) return orgPlan(settings, extras, log, add, () => render(t.figures, plan, planError), plan !== null);
  const target = settings.s3Bucket ? s3TargetFor(settings) : null;
  const drive = driveClientFor(settings, extras);
  const root = await resolveRoot({ drive: drive.drive, rootFolderId: settings.driveFolderId, ...(settings.sharedDriveId ? { sharedDriveId: settings.sharedDriveId } : {}) });
  // A journal with a change token: the next run is a delta, and this is what it would do (delta-plan.ts),
  // printed after the source figures; taken before the listing so both describe the same moment.
  const pace = new SharedPace({ ceiling: settings.driveTps });
  const lister = joinPacer(pace, 'lister');
  pace.start();
  const delta = await previewDelta({ settings, drive, rootId: root.id, prefix: target?.prefix ?? settings.s3Prefix, pacer: lister.pacer, shard: parseShard(settings.shard, process.env), log }).catch((err: unknown) => {
    pace.stop();
    throw err;
  });
  const abort = new AbortController();
  await runListing({
    settings,
    drive,
    rootFolderId: root.id,
    prefix: target?.prefix ?? settings.s3Prefix,
    pacer: lister.pacer,
    shard: parseShard(settings.shard, process.env),
    log,
    signal: abort.signal,
    write: (entries) => {
      for (const e of entries) add(e);
    },
  }).finally(() => pace.stop());
  process.stdout.write(`${render(t.figures, plan, planError)}\n`);
  if (delta !== null) process.stdout.write(`${delta}\n`);
  return plan ? ExitCode.Ok : ExitCode.Config;
}

/** An organisation plan: the drives table, then the totals and memory plan as for one drive; a failed drive exits 1, as a run would. */
async function orgPlan(settings: Settings, extras: Extras, log: Logger, add: (e: ListedEntry) => void, totals: () => string, fits: boolean): Promise<number> {
  const drives = await planOrgDrives(settings, extras, log, add);
  process.stdout.write(`${renderDrives(drives)}\n${totals()}\n`);
  if (settings.planSizesOut !== undefined) {
    const sizes = driveSizesOf(drives);
    writeDriveSizes(settings.planSizesOut, sizes);
    process.stdout.write(`sizes of ${sizes.size} drives written to ${settings.planSizesOut} (--shard-sizes)\n`);
  }
  return !fits ? ExitCode.Config : drives.some((d) => d.figures === null) ? ExitCode.SomeFailed : ExitCode.Ok;
}
