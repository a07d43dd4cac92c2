// The org-scale bench's figures from what landed in S3: each object's key says its drive (users/<email>/,
// shared-drives/<name>/), its LastModified when the sink completed it, so every drive's first and last file done
// is known without asking the run. Pure functions over those rows.
import type { OrgDrive } from './org-world.js';

export interface LandedObject {
  key: string;
  size: number;
  /** When the sink completed it (epoch ms). */
  at: number;
}

export interface DriveTimes {
  drive: OrgDrive;
  landed: number;
  /** s since the run started: its first and last file done; null when none landed. */
  first: number | null;
  last: number | null;
}

export interface OrgFigures {
  files: number;
  bytes: number;
  /** Files done in the busiest ten seconds, per second: what many users at once add up to. */
  busiest10s: number;
  /** Drives whose every file landed. */
  complete: number;
  /** files/s of the user's My Drives of at least `rateMinFiles` files, from their first to their last file done. */
  userRate: { drives: number; p10: number; median: number; p90: number };
  /** Drives in progress (between their first and last file done) at each second of the run. */
  atOnce: { median: number; peak: number };
  /** Time to the first file done, s: the smallest tenth of the drives, and all of them. */
  firstDone: { smallest: { drives: number; maxFiles: number; median: number; max: number }; all: { p90: number; max: number } };
}

/** The value at fraction `q` of the sorted list (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export function driveTimes(drives: readonly OrgDrive[], objects: readonly LandedObject[], startedAt: number): DriveTimes[] {
  const byPrefix = new Map<string, DriveTimes>(drives.map((d) => [d.prefix, { drive: d, landed: 0, first: null, last: null }]));
  for (const o of objects) {
    const cut = o.key.indexOf('/', o.key.indexOf('/') + 1);
    const t = byPrefix.get(o.key.slice(0, cut + 1));
    if (t === undefined) continue;
    const s = (o.at - startedAt) / 1000;
    t.landed++;
    t.first = t.first === null ? s : Math.min(t.first, s);
    t.last = t.last === null ? s : Math.max(t.last, s);
  }
  return [...byPrefix.values()];
}

/** The most objects landed in any `windowMs`, per second. */
export function busiest(objects: readonly LandedObject[], windowMs: number): number {
  const at = objects.map((o) => o.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < at.length; j++) {
    while ((at[j] ?? 0) - (at[i] ?? 0) >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most / (windowMs / 1000);
}

export function orgFigures(times: readonly DriveTimes[], objects: readonly LandedObject[], rateMinFiles: number): OrgFigures {
  const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b);
  const rates = sorted(
    times.filter((t) => t.drive.kind === 'user' && t.landed >= rateMinFiles && t.first !== null && t.last !== null && t.last > t.first).map((t) => (t.landed - 1) / ((t.last ?? 0) - (t.first ?? 0))),
  );
  const spans = times.filter((t) => t.first !== null && t.last !== null);
  const end = Math.ceil(Math.max(0, ...spans.map((t) => t.last ?? 0)));
  const perSecond: number[] = [];
  for (let s = Math.floor(Math.min(end, ...spans.map((t) => t.first ?? end))); s < end; s++) {
    perSecond.push(spans.filter((t) => (t.first ?? 0) < s + 1 && (t.last ?? 0) >= s).length);
  }
  const bySize = [...times].sort((a, b) => a.drive.files - b.drive.files);
  const smallest = bySize.slice(0, Math.max(1, Math.round(times.length / 10)));
  const firsts = (ts: readonly DriveTimes[]): number[] => sorted(ts.map((t) => t.first ?? Number.POSITIVE_INFINITY));
  const small = firsts(smallest);
  const all = firsts(times);
  return {
    files: objects.length,
    bytes: objects.reduce((a, o) => a + o.size, 0),
    busiest10s: busiest(objects, 10_000),
    complete: times.filter((t) => t.landed === t.drive.files).length,
    userRate: { drives: rates.length, p10: quantile(rates, 0.1), median: quantile(rates, 0.5), p90: quantile(rates, 0.9) },
    atOnce: { median: quantile(sorted([...perSecond]), 0.5), peak: Math.max(0, ...perSecond) },
    firstDone: {
      smallest: { drives: smallest.length, maxFiles: smallest.at(-1)?.drive.files ?? 0, median: quantile(small, 0.5), max: small.at(-1) ?? Number.NaN },
      all: { p90: quantile(all, 0.9), max: all.at(-1) ?? Number.NaN },
    },
  };
}
