// wan-huge (issue 21): a few large files behind an emulated wide-area Drive, where one connection carries a
// fixed rate. Ours with one stream per file and with --range-streams parallel ranges, and rclone on the same
// emulation (its http remote reads each file over one connection), side by side in one run, each beside
// its limit: files in flight × streams per file × the per-connection rate.
import type { RunResult, Source, Tool } from './runners.js';
import type { WanHugeScenario } from './scenarios.js';

export interface WanHugeRun {
  tool: Tool;
  /** Range streams per file (rclone 1.60's http backend: 1). */
  streams: number;
  workers: number;
  copiedAll: boolean;
  seconds: number;
  mbPerS: number;
  /** files in flight × streams × per-connection rate, MB/s. */
  limitMbPerS: number;
  peakTreeMb: number;
  peakChildMb: number;
}

export type HugeRunFn = (tool: Tool, workers: number, parallelism: number, extraArgs: string[]) => Promise<RunResult>;

export async function wanHugeRuns(scenario: WanHugeScenario, source: Source, rclone: boolean, run: HugeRunFn): Promise<WanHugeRun[]> {
  const rateMb = (scenario.wan.bytesPerSecond ?? 0) / 1e6;
  const files = Math.min(source.files, scenario.workers);
  const out: WanHugeRun[] = [];
  const record = (tool: Tool, streams: number, r: RunResult): void => {
    out.push({ tool, streams, workers: scenario.workers, copiedAll: r.exitCode === 0 && r.objectsInSink === r.filesExpected, seconds: r.seconds, mbPerS: r.mbPerS, limitMbPerS: files * streams * rateMb, peakTreeMb: r.peakTreeMb, peakChildMb: r.peakChildMb });
  };
  // One file per child (child concurrency 1): each file gets its child's whole part-buffer share.
  for (const streams of scenario.streams) {
    record('ours', streams, await run('ours', scenario.workers, scenario.workers, ['--range-streams', String(streams), '--range-cutoff-mb', String(scenario.cutoffMb)]));
  }
  if (rclone) record('rclone-equal', 1, await run('rclone-equal', scenario.workers, scenario.workers, []));
  return out;
}

function f(n: number, digits: number): string {
  return n.toFixed(digits);
}

export function wanHugeTable(rs: readonly WanHugeRun[]): string {
  if (rs.length === 0) return '';
  const rclone = rs.find((r) => r.tool !== 'ours');
  const single = rs.find((r) => r.tool === 'ours' && r.streams === 1);
  const rows = rs.map(
    (r) =>
      `| ${r.tool} | ${r.streams} | ${r.workers} | ${r.copiedAll ? 'yes' : 'NO'} | ${r.seconds} | ${f(r.mbPerS, 1)} | ${f(r.limitMbPerS, 0)} | **${f(r.mbPerS / r.limitMbPerS, 2)}** | ${single ? f(r.mbPerS / (single.limitMbPerS || 1), 2) : '–'} | ${rclone ? f(r.mbPerS / (rclone.mbPerS || 1), 2) : '–'} | ${r.peakTreeMb} | ${r.peakChildMb} |`,
  );
  return [
    '| tool | streams per file | files at once | all copied | s | MB/s | the limit (files × streams × rate), MB/s | ÷ limit | ÷ single-connection limit | ÷ rclone | peak tree MB | peak child MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
