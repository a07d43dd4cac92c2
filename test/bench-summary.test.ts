// The benchmark's verdicts on repeated comparisons: each round of ours is paired with the contender's run of
// the same round (the raw pipe's single run otherwise), a run that did not copy everything is no partner,
// and the target is judged by the median of the rounds' ratios, not by any single round.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunResult, Tool } from '../bench/runners.js';
import { compare, evaluateTargets, median, roundsTable, wanRateTable, wanTable, wanTargets } from '../bench/summary.js';
import type { FlatRun, WanRun } from '../bench/summary.js';

function run(tool: Tool, workers: number, round: number, mbPerS: number, copied = true): RunResult {
  return {
    scenario: 'mixed', tool, sink: 'fast', workers, round, parallelism: workers * 4,
    exitCode: copied ? 0 : 1, seconds: 10, filesExpected: 300, objectsInSink: copied ? 300 : 299, bytes: 0, mbPerS, filesPerS: 30,
    peakTreeMb: 100, peakChargedMb: 90, peakRootMb: 80, peakChildMb: 90, cpu: { tool: 1, source: 1, sink: 1 }, cgroupPeakMb: null,
    budgetMb: tool === 'ours' ? 1000 : null, flagBudgetMb: null, softMb: null, hardMb: null, report: null,
    samples: { intervalMs: 50, samples: 1, tree: [], peakTree: 0, peakCharged: 0, charged: [], peakRoot: 0, peakChild: 0, cgroupPeak: null, perPid: [], sinkBytes: [], cpuSeconds: 1, cpuSecondsByRole: {} },
    log: '',
  };
}

test('median: odd and even counts, and none', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
});

test('rounds pair with the same round; the raw pipe run once pairs with every round', () => {
  const rs = [
    run('ours', 8, 1, 100), run('raw', 8, 1, 80), run('rclone-equal', 8, 1, 105),
    run('rclone-equal', 8, 2, 100), run('ours', 8, 2, 110),
    run('ours', 8, 3, 90), run('rclone-equal', 8, 3, 100),
  ];
  const [vsRclone] = compare(rs, 'mixed', 'rclone-equal');
  assert.deepEqual(vsRclone?.ratios.map((x) => x.toFixed(3)), ['0.952', '1.100', '0.900']);
  assert.equal(vsRclone?.median?.toFixed(3), '0.952');
  const [vsRaw] = compare(rs, 'mixed', 'raw');
  assert.deepEqual(vsRaw?.ratios, [1.25, 1.375, 1.125]);

  // One round ahead by 10% does not carry the verdict: the median (0.95) is below 1.
  const target = evaluateTargets(rs, []).find((t) => t.target === 'mixed: throughput ≥ rclone at equal parallelism');
  assert.equal(target?.met, false);
  assert.equal(target?.value, 'w8 0.95 (0.95, 1.10, 0.90)');
  assert.match(roundsTable(rs), /\| mixed \| 8 \| 100\.0, 110\.0, 90\.0 \| 105\.0, 100\.0, 100\.0 \| 0\.95, 1\.10, 0\.90 \| 0\.95 \|/);
});

test('a contender run that did not copy everything is no partner; no repeated pair, no rounds table', () => {
  const rs = [run('ours', 4, 1, 100), run('raw', 4, 1, 80), run('rclone-equal', 4, 1, 50, false)];
  assert.deepEqual(compare(rs, 'mixed', 'rclone-equal')[0]?.ratios, []);
  const target = evaluateTargets(rs, []).find((t) => t.target === 'mixed: throughput ≥ rclone at equal parallelism');
  assert.equal(target?.met, null);
  assert.equal(roundsTable(rs), '');
});

test('wan-small: judged against the quota and the refused share; the table prints the limit', () => {
  const run = (filesPerS: number, refused: number, copiedAll = true): WanRun => ({ scenario: 'wan-small', tool: 'ours', workers: 4, filesPerS, seconds: 200, copiedAll, quotaPerS: 100, requests: 20_000, refused, mbPerS: 1, peakTreeMb: 300, limitMbPerS: null });
  assert.equal(wanTargets([run(86, 900)])[0]?.met, true);
  assert.equal(wanTargets([run(84, 100)])[0]?.met, false, 'under 85 % of the quota');
  assert.equal(wanTargets([run(90, 1100)])[0]?.met, false, 'over 5 % refused');
  assert.equal(wanTargets([run(90, 100, false)])[0]?.met, false, 'a file not copied');
  assert.deepEqual(wanTargets([]), []);
  assert.match(wanTable([run(86, 900)]), /\| wan-small \| ours \| 4 \| yes \| 200 \| 86\.0 \| 100 requests\/s \| \*\*86%\*\* \| 20000 \| 900 \(4\.5%\) \|/);
  assert.equal(wanRateTable([run(86, 900)]), '', 'no body rate: not in the MB/s table');
});

test('wan-mixed: judged by MB/s ÷ rclone in the same run; its table prints the limit and both ratios', () => {
  const run = (tool: WanRun['tool'], mbPerS: number, copiedAll = true): WanRun => ({ scenario: 'wan-mixed', tool, workers: 4, filesPerS: 50, seconds: 40, copiedAll, quotaPerS: 100, requests: 2500, refused: 10, mbPerS, peakTreeMb: 400, limitMbPerS: 120 });
  assert.deepEqual(wanTargets([run('ours', 90), run('rclone-equal', 60)]).map((t) => [t.target, t.value, t.met]), [['wan-mixed: ≥ 1.5 × rclone in MB/s', '1.50 ×', true]]);
  assert.equal(wanTargets([run('ours', 80), run('rclone-equal', 60)])[0]?.met, false, 'under 1.5 ×');
  assert.equal(wanTargets([run('ours', 90, false), run('rclone-equal', 60)])[0]?.met, false, 'a file not copied');
  assert.deepEqual(wanTargets([run('ours', 90)]), [], 'no rclone: no ratio');
  const table = wanRateTable([run('ours', 90), run('rclone-equal', 60)]);
  assert.match(table, /\| wan-mixed \| ours \| 4 \| yes \| 40 \| 90\.0 \| 50\.0 \| 120 \| \*\*0\.75\*\* \| \*\*1\.50\*\* \| 2500 \| 10 \| 400 \|/);
  assert.equal(wanTable([run('ours', 90)]), '', 'a body rate: not in the files/s table');
});

test('child peak flat: only sizes read the same way are compared, and the way is named', () => {
  const flat = (size: number, streams: number, peakChildMb: number): FlatRun => ({ size: size * 1048576, streams, peakChildMb, runsMb: [peakChildMb] });
  const flatOf = (runs: FlatRun[]) => evaluateTargets([], runs).filter((t) => t.target.startsWith('child peak RSS flat'));
  // Quick mode's two sizes sit either side of the cutoff: 79 vs 95 MB is the ranges' part buffers, not growth.
  assert.deepEqual(flatOf([flat(100, 1, 79), flat(512, 4, 95)]), [
    { target: 'child peak RSS flat (±10%) across file sizes read as one stream', value: '100 MiB: 79 MB (runs 79); no other size read so', met: null },
    { target: 'child peak RSS flat (±10%) across file sizes read as 4 range streams', value: '512 MiB: 95 MB (runs 95); no other size read so', met: null },
  ]);
  const [ranged] = flatOf([flat(512, 4, 95), flat(5120, 4, 99)]);
  assert.equal(ranged?.target, 'child peak RSS flat (±10%) across file sizes read as 4 range streams');
  assert.equal(ranged?.met, true);
  assert.equal(flatOf([flat(100, 1, 79), flat(200, 1, 95)])[0]?.met, false, 'a 20% rise read the same way is a miss');
  assert.deepEqual(flatOf([flat(100, 1, 79)]), [], 'one size: nothing to compare');
});
