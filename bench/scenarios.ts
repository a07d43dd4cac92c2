// The benchmark's scenarios, in full and quick sizes.
import type { QuotaOptions, WanOptions } from '../src/fake-drive/index.js';
import type { TreeSpec } from './tree-spec.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

export interface CopyScenario {
  name: 'small' | 'mixed' | 'huge';
  describe: string;
  tree: TreeSpec;
  /**
   * Rounds of the ours / rclone= pair at each worker count (the raw pipe runs once). Where a target compares
   * the two, one pair is not enough on a shared 2-core machine: the same commit's 8-worker mixed ratio went
   * 0.94-1.02 across runs minutes apart. Rounds alternate which of the two goes first, and the target is
   * judged by the median of the rounds' ratios.
   */
  rounds: number;
}

/** A scenario against an emulated wide-area Drive (issue 21): judged against its limit, not loopback's CPU. */
export interface WanScenario {
  name: 'wan-small' | 'wan-mixed';
  describe: string;
  tree: TreeSpec;
  wan: WanOptions;
  quota: QuotaOptions;
  workers: number;
  /** The S3 sink's own emulated network (a far region); absent: the shared loopback sink. */
  sinkWan?: WanOptions;
}

/** Large files behind a per-connection body rate (issue 21): one stream per file against parallel ranges. */
export interface WanHugeScenario {
  name: 'wan-huge';
  describe: string;
  tree: TreeSpec;
  wan: WanOptions;
  /** Files copied at once (one per child). */
  workers: number;
  /** --range-streams values measured side by side. */
  streams: number[];
  /** --range-cutoff-mb for the runs. */
  cutoffMb: number;
}

export interface BenchPlan {
  quick: boolean;
  workers: number[];
  scenarios: CopyScenario[];
  /** Listed-file counts compared by the listing-only runs. */
  listing: number[];
  /** One file per size, copied by one child alone, to see whether its peak RSS depends on file size. */
  childFlat: number[];
  /** The s3rver realism run: scenario and workers. */
  s3rver: { scenario: CopyScenario['name']; workers: number };
  rcloneDefaults: boolean;
  wan: WanScenario[];
  wanHuge: WanHugeScenario;
}

const none = { count: 0, size: 0 };
// wan-mixed: many small files, some of 1-4 MiB; the large ones (above the range cutoff) are added apart.
const WAN_MIXED_SIZES = [4 * KIB, 16 * KIB, 16 * KIB, 64 * KIB, 64 * KIB, 256 * KIB, 256 * KIB, 1 * MIB, 4 * MIB];
// Mixed: mostly small documents, some photos, a few videos (expected ≈ 12 MiB a file).
const MIXED_SIZES = [4 * KIB, 16 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, 256 * KIB, 1 * MIB, 2 * MIB, 4 * MIB, 12 * MIB, 40 * MIB, 100 * MIB];

export function benchPlan(quick: boolean): BenchPlan {
  const small: CopyScenario = quick
    ? { name: 'small', describe: '2,016 files of 1-64 KiB', tree: { seed: 11, folders: 20, filesPerFolder: 96, sizes: [1 * KIB, 4 * KIB, 16 * KIB, 32 * KIB, 64 * KIB], large: none, md5: 'real' }, rounds: 1 }
    : { name: 'small', describe: '20,013 files of 1-64 KiB', tree: { seed: 11, folders: 20, filesPerFolder: 953, sizes: [1 * KIB, 4 * KIB, 16 * KIB, 32 * KIB, 64 * KIB], large: none, md5: 'real' }, rounds: 1 };
  const mixed: CopyScenario = quick
    ? { name: 'mixed', describe: '60 files, 4 KiB-100 MiB', tree: { seed: 22, folders: 4, filesPerFolder: 12, sizes: MIXED_SIZES, large: none, md5: 'real' }, rounds: 2 }
    : { name: 'mixed', describe: '300 files, 4 KiB-100 MiB', tree: { seed: 22, folders: 9, filesPerFolder: 30, sizes: MIXED_SIZES, large: none, md5: 'real' }, rounds: 3 };
  const huge: CopyScenario = quick
    ? { name: 'huge', describe: '2 × 512 MiB', tree: { seed: 33, folders: 0, filesPerFolder: 0, sizes: [], large: { count: 2, size: 512 * MIB }, md5: 'real' }, rounds: 1 }
    : { name: 'huge', describe: '2 × 5 GiB', tree: { seed: 33, folders: 0, filesPerFolder: 0, sizes: [], large: { count: 2, size: 5 * GIB }, md5: 'real' }, rounds: 3 };
  return {
    quick,
    workers: quick ? [2, 4] : [1, 2, 4, 8],
    scenarios: [small, mixed, huge],
    listing: quick ? [10_000, 100_000] : [10_000, 1_000_000],
    childFlat: quick ? [100 * MIB, 512 * MIB] : [100 * MIB, 5 * GIB],
    s3rver: { scenario: 'mixed', workers: quick ? 2 : 4 },
    rcloneDefaults: !quick,
    wan: [
      {
        name: 'wan-small',
        // Quick: 480 files, a few seconds at the quota; full: the small tree's 20,013.
        describe: `${quick ? '480' : '20,013'} files of 1-64 KiB, 80 ms a request, a quota of 100 requests/s per user`,
        tree: quick ? { ...small.tree, folders: 4, filesPerFolder: 96 } : small.tree,
        wan: { latencyMs: 80 },
        quota: { requestsPerSecond: 100 },
        workers: 4,
      },
      {
        name: 'wan-mixed',
        // Full: 1,995 small and medium files + 3 × 320 MiB ≈ 2.2 GiB; quick: 120 + 1 × 40 MiB, a few seconds.
        describe: `${quick ? '121 files, 4 KiB-40 MiB' : '1,998 files, 4 KiB-320 MiB'}, 40 ms a request, 25 MB/s per connection, a quota of 100 requests/s per user; S3 20 ms a request`,
        tree: quick
          ? { seed: 66, folders: 2, filesPerFolder: 40, sizes: WAN_MIXED_SIZES, large: { count: 1, size: 40 * MIB }, md5: 'real' }
          : { seed: 66, folders: 20, filesPerFolder: 95, sizes: WAN_MIXED_SIZES, large: { count: 3, size: 320 * MIB }, md5: 'real' },
        wan: { latencyMs: 40, bytesPerSecond: 25_000_000 },
        quota: { requestsPerSecond: 100 },
        workers: 4,
        sinkWan: { latencyMs: 20 },
      },
    ],
    // Issue 21 asks 2 × 5 GiB; on the 2-core bench machine the full run uses 2 × 1 GiB (docs/benchmark.md).
    wanHuge: {
      name: 'wan-huge',
      describe: `2 × ${quick ? '512 MiB' : '1 GiB'}, 40 ms a request, 25 MB/s per connection`,
      tree: { seed: 33, folders: 0, filesPerFolder: 0, sizes: [], large: { count: 2, size: quick ? 512 * MIB : 1 * GIB }, md5: 'real' },
      wan: { latencyMs: 40, bytesPerSecond: 25_000_000 },
      workers: 2,
      // Quick: two counts, to keep its time; full: the counts --range-streams' default was chosen from.
      streams: quick ? [1, 4] : [1, 2, 4, 8],
      cutoffMb: 256,
    },
  };
}

/** A tree of `files` 1 KiB files in folders of 1,000, md5 'none': listing only. */
export function listingTree(files: number): TreeSpec {
  const perFolder = 1000;
  return { seed: 44, folders: Math.max(0, Math.ceil(files / perFolder) - 1), filesPerFolder: Math.min(files, perFolder), sizes: [1024], large: none, md5: 'none' };
}

/** One file of `size` bytes. */
export function singleFileTree(size: number): TreeSpec {
  return { seed: 55, folders: 0, filesPerFolder: 0, sizes: [], large: { count: 1, size }, md5: 'real' };
}
