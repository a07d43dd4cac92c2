// --shard in an organisation run (issue 23): whole drives, not files, go to a shard, so no pod lists another's
// tree. Without sizes a drive's shard is a rendezvous hash of its key; with --shard-sizes the drives of that
// file are packed largest first into the least-loaded shard. Either way a drive's shard depends only on its
// key, the count and the sizes file, never on which other drives the directory returned (docs/design.md).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { Settings } from './settings.js';
import type { Shard } from './shard.js';

/** Bytes per drive key (`users/<email>` or `shared-drives/<id>`), as a first pass measured them. */
export type DriveSizes = ReadonlyMap<string, number>;

function weight(key: string, index: number): number {
  return createHash('sha1').update(`${index}\u0000${key}`).digest().readUInt32BE(0);
}

/** Highest random weight: the same key lands in the same shard for a given count; changing the count moves ~1/count of them. */
export function rendezvousShard(key: string, count: number): number {
  let best = 0;
  let bestWeight = -1;
  for (let i = 0; i < count; i++) {
    const w = weight(key, i);
    if (w > bestWeight) {
      best = i;
      bestWeight = w;
    }
  }
  return best;
}

/** Largest first into the least-loaded shard (ties: the lower index); keys sorted so every pod packs alike. */
function packBySize(sizes: DriveSizes, count: number): Map<string, number> {
  const loads = new Array<number>(count).fill(0);
  const out = new Map<string, number>();
  const bySize = [...sizes].sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0));
  for (const [key, bytes] of bySize) {
    let bin = 0;
    for (let i = 1; i < count; i++) if ((loads[i] ?? 0) < (loads[bin] ?? 0)) bin = i;
    loads[bin] = (loads[bin] ?? 0) + bytes;
    out.set(key, bin);
  }
  return out;
}

/** The shard of each drive key: packed by size when the sizes file names it, else by its hash. */
export function driveShards(count: number, sizes: DriveSizes | null): (key: string) => number {
  const packed = sizes === null ? new Map<string, number>() : packBySize(sizes, count);
  return (key) => packed.get(key) ?? rendezvousShard(key, count);
}

/** Read --shard-sizes: a JSON object of drive key → bytes (a ConfigError, exit 2, naming what is wrong). */
export function readDriveSizes(file: string): DriveSizes {
  const bad = (why: string): never => {
    throw new ConfigError(`invalid --shard-sizes (SUPERVISOR_SHARD_SIZES): ${file} ${why}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return bad(err instanceof SyntaxError ? `is not JSON (${err.message})` : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad('is not an object of drive key to bytes');
  const sizes = new Map<string, number>();
  for (const [key, bytes] of Object.entries(parsed)) {
    if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) return bad(`gives ${key} ${JSON.stringify(bytes)}, not a number of bytes`);
    sizes.set(key, bytes);
  }
  return sizes;
}

/** Write what readDriveSizes reads (`plan --plan-sizes-out`): keys sorted, so two plans of the same drives diff cleanly. */
export function writeDriveSizes(file: string, sizes: DriveSizes): void {
  const sorted = Object.fromEntries([...sizes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
}

/** An organisation run's --shard keeps whole drives, packed by --shard-sizes when given; every drive without --shard. */
export function orgShardFilter(settings: Pick<Settings, 'shardSizes'>, shard: Shard | null): (key: string) => boolean {
  if (shard === null) return () => true;
  const shardOf = driveShards(shard.count, settings.shardSizes === undefined ? null : readDriveSizes(settings.shardSizes));
  return (key) => shardOf(key) === shard.index;
}
