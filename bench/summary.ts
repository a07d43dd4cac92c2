// The results as a markdown table, and the targets, each met or missed with the figure behind it.
import { roundLabel } from './runners.js';
import type { RunResult } from './runners.js';

export interface Target {
  target: string;
  value: string;
  met: boolean | null;
}

const f = (v: number | null, digits = 0): string => (v === null ? '–' : v.toFixed(digits));

function ratio(a: number, b: number | undefined): number | null {
  return b === undefined || b === 0 ? null : a / b;
}

const copiedAll = (x: RunResult): boolean => x.exitCode === 0 && x.objectsInSink === x.filesExpected;

/**
 * The run of `tool` that `r` is compared with: same scenario, workers and sink, and the same round where that
 * tool ran one (the raw pipe runs once, and pairs with every round). Only a run that copied everything is a
 * fair comparison: a failed round has no partner rather than another round's.
 */
function partner(rs: readonly RunResult[], r: RunResult, tool: RunResult['tool']): RunResult | undefined {
  const same = rs.filter((x) => x.scenario === r.scenario && x.workers === r.workers && x.tool === tool && x.sink === r.sink);
  const run = same.find((x) => x.round === r.round) ?? same[0];
  return run !== undefined && copiedAll(run) ? run : undefined;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? null) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Ours against one contender at one worker count: each round's pair, the ratios of those with a partner, and their median. */
export interface Comparison {
  workers: number;
  rounds: { ours: RunResult; other: RunResult | undefined }[];
  ratios: number[];
  median: number | null;
}

/** Every worker count of `scenario` on the fast sink, ours against `tool`, round by round. */
export function compare(rs: readonly RunResult[], scenario: string, tool: 'raw' | 'rclone-equal'): Comparison[] {
  const ours = rs.filter((r) => r.tool === 'ours' && r.scenario === scenario && r.sink === 'fast');
  return [...new Set(ours.map((r) => r.workers))].map((workers) => {
    const rounds = ours.filter((r) => r.workers === workers).sort((a, b) => a.round - b.round).map((r) => ({ ours: r, other: partner(rs, r, tool) }));
    const ratios = rounds.map((p) => ratio(p.ours.mbPerS, p.other?.mbPerS)).filter((x): x is number => x !== null);
    return { workers, rounds, ratios, median: median(ratios) };
  });
}

/** `w8 1.02` for one round; `w8 1.02 (0.97, 1.02, 1.05)` — the median, then each round — for several. */
function describe(c: Comparison): string {
  return `w${c.workers} ${f(c.median, 2)}${c.ratios.length > 1 ? ` (${c.ratios.map((x) => f(x, 2)).join(', ')})` : ''}`;
}

export function copyTable(rs: readonly RunResult[]): string {
  const lines = [
    '| scenario | tool | sink | workers | round | parallel files | files ok | MB | s | MB/s | files/s | peak tree MB | budget MB | peak supervisor MB | peak child MB | CPU s tool / source / sink | ours/raw | ours/rclone= |',
    '|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rs) {
    if (r.tool === 'plan') continue;
    const ok = copiedAll(r) ? `${r.objectsInSink}/${r.filesExpected}` : `**${r.objectsInSink ?? '?'}/${r.filesExpected} exit ${r.exitCode ?? '?'}**`;
    const raw = r.tool === 'ours' ? ratio(r.mbPerS, partner(rs, r, 'raw')?.mbPerS) : null;
    const rc = r.tool === 'ours' ? ratio(r.mbPerS, partner(rs, r, 'rclone-equal')?.mbPerS) : null;
    lines.push(
      `| ${r.scenario} | ${r.tool} | ${r.sink} | ${r.workers} | ${r.round} | ${r.parallelism} | ${ok} | ${Math.round(r.bytes / 1048576)} | ${f(r.seconds, 1)} | ${f(r.mbPerS, 1)} | ${f(r.filesPerS, 1)} | ${r.peakTreeMb} | ${f(r.budgetMb)} | ${r.peakRootMb} | ${r.tool === 'ours' ? r.peakChildMb : '–'} | ${f(r.cpu.tool, 1)} / ${f(r.cpu.source, 1)} / ${f(r.cpu.sink, 1)} | ${f(raw, 2)} | ${f(rc, 2)} |`,
    );
  }
  return lines.join('\n');
}

/** The repeated ours / rclone= pairs, round by round ('' when no pair was repeated). */
export function roundsTable(rs: readonly RunResult[]): string {
  const lines = ['| scenario | workers | ours MB/s by round | rclone= MB/s by round | ours/rclone= by round | median |', '|---|---:|---|---|---|---:|'];
  for (const scenario of [...new Set(rs.map((r) => r.scenario))]) {
    for (const c of compare(rs, scenario, 'rclone-equal')) {
      if (c.rounds.length < 2) continue;
      const mbPerS = (r: RunResult | undefined): string => f(r?.mbPerS ?? null, 1);
      lines.push(`| ${scenario} | ${c.workers} | ${c.rounds.map((p) => mbPerS(p.ours)).join(', ')} | ${c.rounds.map((p) => mbPerS(p.other)).join(', ')} | ${c.ratios.map((x) => f(x, 2)).join(', ')} | ${f(c.median, 2)} |`);
    }
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

export function listingTable(rs: readonly RunResult[]): string {
  const lines = ['| listed files | s | files/s | peak RSS of `plan` MB |', '|---:|---:|---:|---:|'];
  for (const r of rs) if (r.tool === 'plan') lines.push(`| ${r.filesExpected} | ${f(r.seconds, 1)} | ${f(r.filesPerS, 0)} | ${r.peakRootMb} |`);
  return lines.join('\n');
}

/** One file size copied by one child alone, several times: the highest peak and each run's. */
export interface FlatRun {
  size: number;
  /** Connections the child read it over (app/item-buffer-bound.ts streamsFor): more streams hold more part buffers. */
  streams: number;
  peakChildMb: number;
  runsMb: number[];
}

const readAs = (streams: number): string => (streams === 1 ? 'one stream' : `${streams} range streams`);

/**
 * A child's peak is flat across file sizes read the same way: a file read as ranges holds a part buffer more per
 * extra stream, which the plan counts, so sizes on either side of --range-cutoff-mb are not compared. A way with
 * one size only is not judged.
 */
function flatTargets(flat: readonly FlatRun[]): Target[] {
  if (flat.length < 2) return [];
  return [...new Set(flat.map((x) => x.streams))].map((streams) => {
    const same = flat.filter((x) => x.streams === streams);
    const base = same[0]?.peakChildMb ?? 0;
    const worst = Math.max(...same.map((x) => Math.abs(x.peakChildMb - base) / Math.max(1, base)));
    const value = same.map((x) => `${Math.round(x.size / 1048576)} MiB: ${x.peakChildMb} MB (runs ${x.runsMb.join(', ')})`).join(', ');
    return {
      target: `child peak RSS flat (±10%) across file sizes read as ${readAs(streams)}`,
      value: same.length < 2 ? `${value}; no other size read so` : value,
      met: same.length < 2 ? null : worst <= 0.1,
    };
  });
}

export function evaluateTargets(rs: readonly RunResult[], flat: readonly FlatRun[]): Target[] {
  const out: Target[] = [];
  const ours = rs.filter((r) => r.tool === 'ours');
  const overBudget = ours.filter((r) => r.budgetMb !== null && r.peakChargedMb > r.budgetMb);
  out.push({ target: 'peak tree charge (shared pages once) ≤ budget in every scenario', value: ours.map((r) => `${r.scenario}/w${r.workers}/${r.sink}: ${r.peakChargedMb}≤${r.budgetMb ?? '?'}`).join(', '), met: overBudget.length === 0 });
  const notCopied = rs.filter((r) => r.tool !== 'plan' && !copiedAll(r));
  out.push({ target: 'every run copied every file', value: notCopied.length === 0 ? 'yes' : notCopied.map((r) => `${r.scenario}/${r.tool}/w${r.workers}${roundLabel(r.round)}`).join(', '), met: notCopied.length === 0 });
  const w4 = ours.filter((r) => r.workers === 4 && r.sink === 'fast');
  if (w4.length > 0) out.push({ target: 'peak tree RSS ≤ 600 MB at 4 workers', value: w4.map((r) => `${r.scenario}${roundLabel(r.round)}: ${r.peakTreeMb} MB`).join(', '), met: w4.every((r) => r.peakTreeMb <= 600) });
  out.push(...flatTargets(flat));
  const plans = rs.filter((r) => r.tool === 'plan');
  if (plans.length >= 2) {
    const a = plans[0]?.peakRootMb ?? 0;
    const b = plans.at(-1)?.peakRootMb ?? 0;
    out.push({ target: 'supervisor (plan) RSS flat from the smallest to the largest listing (±10%)', value: plans.map((p) => `${p.filesExpected}: ${p.peakRootMb} MB`).join(', '), met: Math.abs(b - a) / Math.max(1, a) <= 0.1 });
  }
  // Judged by the median of the rounds where a pair was repeated (CopyScenario.rounds).
  for (const scenario of ['huge', 'mixed']) {
    const vsRaw = compare(rs, scenario, 'raw');
    out.push({ target: `${scenario}: throughput ≥ 90% of the raw pipe`, value: vsRaw.map(describe).join(', '), met: vsRaw.length > 0 && vsRaw.every((c) => c.median !== null && c.median >= 0.9) });
    const vsRc = compare(rs, scenario, 'rclone-equal').filter((c) => c.median !== null);
    out.push({ target: `${scenario}: throughput ≥ rclone at equal parallelism`, value: vsRc.length === 0 ? 'rclone not run' : vsRc.map(describe).join(', '), met: vsRc.length === 0 ? null : vsRc.every((c) => (c.median ?? 0) >= 1) });
  }
  const small = ours.filter((r) => r.scenario === 'small' && r.sink === 'fast');
  out.push({ target: '≥ 200 files/s on small files', value: small.map((r) => `w${r.workers} ${r.filesPerS}`).join(', '), met: small.length > 0 && small.some((r) => r.filesPerS >= 200) });
  return out;
}

export function targetsTable(ts: readonly Target[]): string {
  const lines = ['| target | figures | met |', '|---|---|---|'];
  for (const t of ts) lines.push(`| ${t.target} | ${t.value} | ${t.met === null ? 'n/a' : t.met ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}

/** One run against an emulated WAN Drive, with the limit it is judged against (the quota) and what was refused. */
export interface WanRun {
  scenario: string;
  tool: RunResult['tool'];
  workers: number;
  filesPerS: number;
  seconds: number;
  copiedAll: boolean;
  /** The limit: the per-user quota, requests per second. */
  quotaPerS: number;
  /** Requests the quota saw during the run (admitted + refused), and those refused. */
  requests: number;
  refused: number;
  mbPerS: number;
  peakTreeMb: number;
  /** Where bodies have a per-connection rate: min(quota × mean file size, files at once × rate), MB/s; else null. */
  limitMbPerS: number | null;
}

/** The WAN runs judged by files/s against the quota (no body rate). */
export function wanTable(all: readonly WanRun[]): string {
  const rs = all.filter((r) => r.limitMbPerS === null);
  if (rs.length === 0) return '';
  const rows = rs.map(
    (r) =>
      `| ${r.scenario} | ${r.tool} | ${r.workers} | ${r.copiedAll ? 'yes' : 'NO'} | ${r.seconds} | ${f(r.filesPerS, 1)} | ${r.quotaPerS} requests/s | **${f((100 * r.filesPerS) / r.quotaPerS, 0)}%** | ${r.requests} | ${r.refused} (${r.requests === 0 ? '–' : f((100 * r.refused) / r.requests, 1)}%) |`,
  );
  return ['| scenario | tool | workers | all copied | s | files/s | the limit (quota) | files/s ÷ quota | requests | refused |', '|---|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

/** The WAN runs with a body rate (wan-mixed): MB/s against the limit and against rclone's in the same run. */
export function wanRateTable(all: readonly WanRun[]): string {
  const rs = all.filter((r) => r.limitMbPerS !== null);
  if (rs.length === 0) return '';
  const rows = rs.map((r) => {
    const rclone = rs.find((o) => o.scenario === r.scenario && o.tool !== 'ours');
    const limit = r.limitMbPerS ?? 0;
    return `| ${r.scenario} | ${r.tool} | ${r.workers} | ${r.copiedAll ? 'yes' : 'NO'} | ${r.seconds} | ${f(r.mbPerS, 1)} | ${f(r.filesPerS, 1)} | ${f(limit, 0)} | **${f(r.mbPerS / (limit || 1), 2)}** | ${rclone ? `**${f(r.mbPerS / (rclone.mbPerS || 1), 2)}**` : '–'} | ${r.requests} | ${r.refused} | ${r.peakTreeMb} |`;
  });
  return [
    '| scenario | tool | workers | all copied | s | MB/s | files/s | the limit (min(quota × mean file, files at once × rate)), MB/s | ÷ limit | ÷ rclone | requests | refused | peak tree MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** wan-mixed at defaults: ≥ 1.5 × rclone's MB/s on the same emulation, in the same run (issue 21). */
function wanMixedTarget(rs: readonly WanRun[]): Target[] {
  const ours = rs.find((r) => r.tool === 'ours' && r.scenario === 'wan-mixed');
  const rclone = rs.find((r) => r.tool !== 'ours' && r.scenario === 'wan-mixed');
  if (!ours || !rclone) return [];
  const ratio = ours.mbPerS / (rclone.mbPerS || 1);
  return [{ target: 'wan-mixed: ≥ 1.5 × rclone in MB/s', value: `${f(ratio, 2)} ×`, met: ours.copiedAll && rclone.copiedAll && ratio >= 1.5 }];
}

/** wan-small at defaults: ≥ 85 % of the quota in files/s with ≤ 5 % of requests refused (issue 21). */
export function wanTargets(rs: readonly WanRun[]): Target[] {
  const ours = rs.filter((r) => r.tool === 'ours' && r.scenario === 'wan-small');
  if (ours.length === 0) return wanMixedTarget(rs);
  const describeRun = (r: WanRun): string => `${f((100 * r.filesPerS) / r.quotaPerS, 0)}% of the quota, ${r.requests === 0 ? '–' : f((100 * r.refused) / r.requests, 1)}% refused`;
  const met = (r: WanRun): boolean => r.copiedAll && r.filesPerS >= 0.85 * r.quotaPerS && r.refused <= 0.05 * r.requests;
  return [{ target: 'wan-small: ≥ 85% of the quota in files/s, ≤ 5% of requests refused', value: ours.map(describeRun).join(', '), met: ours.every(met) }, ...wanMixedTarget(rs)];
}
