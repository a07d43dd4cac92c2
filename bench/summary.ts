// The results as a markdown table, and the targets, each met or missed with the figure behind it.
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

function find(rs: readonly RunResult[], r: RunResult, tool: RunResult['tool']): RunResult | undefined {
  // Only a run that copied everything is a fair comparison.
  return rs.find((x) => x.scenario === r.scenario && x.workers === r.workers && x.tool === tool && x.sink === r.sink && x.exitCode === 0 && x.objectsInSink === x.filesExpected);
}

export function copyTable(rs: readonly RunResult[]): string {
  const lines = [
    '| scenario | tool | sink | workers | parallel files | files ok | MB | s | MB/s | files/s | peak tree MB | budget MB | peak supervisor MB | peak child MB | CPU s tool / source / sink | ours/raw | ours/rclone= |',
    '|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rs) {
    if (r.tool === 'plan') continue;
    const ok = r.exitCode === 0 && r.objectsInSink === r.filesExpected ? `${r.objectsInSink}/${r.filesExpected}` : `**${r.objectsInSink ?? '?'}/${r.filesExpected} exit ${r.exitCode ?? '?'}**`;
    const raw = r.tool === 'ours' ? ratio(r.mbPerS, find(rs, r, 'raw')?.mbPerS) : null;
    const rc = r.tool === 'ours' ? ratio(r.mbPerS, find(rs, r, 'rclone-equal')?.mbPerS) : null;
    lines.push(
      `| ${r.scenario} | ${r.tool} | ${r.sink} | ${r.workers} | ${r.parallelism} | ${ok} | ${Math.round(r.bytes / 1048576)} | ${f(r.seconds, 1)} | ${f(r.mbPerS, 1)} | ${f(r.filesPerS, 1)} | ${r.peakTreeMb} | ${f(r.budgetMb)} | ${r.peakRootMb} | ${r.tool === 'ours' ? r.peakChildMb : '–'} | ${f(r.cpu.tool, 1)} / ${f(r.cpu.source, 1)} / ${f(r.cpu.sink, 1)} | ${f(raw, 2)} | ${f(rc, 2)} |`,
    );
  }
  return lines.join('\n');
}

export function listingTable(rs: readonly RunResult[]): string {
  const lines = ['| listed files | s | files/s | peak RSS of `plan` MB |', '|---:|---:|---:|---:|'];
  for (const r of rs) if (r.tool === 'plan') lines.push(`| ${r.filesExpected} | ${f(r.seconds, 1)} | ${f(r.filesPerS, 0)} | ${r.peakRootMb} |`);
  return lines.join('\n');
}

/** One file size copied by one child alone, several times: the highest peak and each run's. */
export interface FlatRun {
  size: number;
  peakChildMb: number;
  runsMb: number[];
}

export function evaluateTargets(rs: readonly RunResult[], flat: readonly FlatRun[]): Target[] {
  const out: Target[] = [];
  const ours = rs.filter((r) => r.tool === 'ours');
  const overBudget = ours.filter((r) => r.budgetMb !== null && r.peakTreeMb > r.budgetMb);
  out.push({ target: 'peak tree RSS ≤ budget in every scenario', value: ours.map((r) => `${r.scenario}/w${r.workers}/${r.sink}: ${r.peakTreeMb}≤${r.budgetMb ?? '?'}`).join(', '), met: overBudget.length === 0 });
  const allCopied = rs.filter((r) => r.tool !== 'plan').every((r) => r.exitCode === 0 && r.objectsInSink === r.filesExpected);
  out.push({ target: 'every run copied every file', value: allCopied ? 'yes' : rs.filter((r) => r.tool !== 'plan' && !(r.exitCode === 0 && r.objectsInSink === r.filesExpected)).map((r) => `${r.scenario}/${r.tool}/w${r.workers}`).join(', '), met: allCopied });
  const w4 = ours.filter((r) => r.workers === 4 && r.sink === 'fast');
  if (w4.length > 0) out.push({ target: 'peak tree RSS ≤ 600 MB at 4 workers', value: w4.map((r) => `${r.scenario}: ${r.peakTreeMb} MB`).join(', '), met: w4.every((r) => r.peakTreeMb <= 600) });
  if (flat.length >= 2) {
    const base = flat[0]?.peakChildMb ?? 0;
    const worst = Math.max(...flat.map((x) => Math.abs(x.peakChildMb - base) / Math.max(1, base)));
    out.push({ target: 'child peak RSS flat (±10%) across file sizes', value: flat.map((x) => `${Math.round(x.size / 1048576)} MiB: ${x.peakChildMb} MB (runs ${x.runsMb.join(', ')})`).join(', '), met: worst <= 0.1 });
  }
  const plans = rs.filter((r) => r.tool === 'plan');
  if (plans.length >= 2) {
    const a = plans[0]?.peakRootMb ?? 0;
    const b = plans.at(-1)?.peakRootMb ?? 0;
    out.push({ target: 'supervisor (plan) RSS flat from the smallest to the largest listing (±10%)', value: plans.map((p) => `${p.filesExpected}: ${p.peakRootMb} MB`).join(', '), met: Math.abs(b - a) / Math.max(1, a) <= 0.1 });
  }
  for (const scenario of ['huge', 'mixed']) {
    const pairs = ours.filter((r) => r.scenario === scenario && r.sink === 'fast');
    const vsRaw = pairs.map((r) => ({ r, x: ratio(r.mbPerS, find(rs, r, 'raw')?.mbPerS) }));
    out.push({ target: `${scenario}: throughput ≥ 90% of the raw pipe`, value: vsRaw.map(({ r, x }) => `w${r.workers} ${f(x, 2)}`).join(', '), met: vsRaw.length > 0 && vsRaw.every(({ x }) => x !== null && x >= 0.9) });
    const vsRc = pairs.map((r) => ({ r, x: ratio(r.mbPerS, find(rs, r, 'rclone-equal')?.mbPerS) })).filter(({ x }) => x !== null);
    out.push({ target: `${scenario}: throughput ≥ rclone at equal parallelism`, value: vsRc.length === 0 ? 'rclone not run' : vsRc.map(({ r, x }) => `w${r.workers} ${f(x, 2)}`).join(', '), met: vsRc.length === 0 ? null : vsRc.every(({ x }) => x !== null && x >= 1) });
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
