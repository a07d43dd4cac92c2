// A hand-written SVG of one run: RSS over time per process (each child, the supervisor, the whole tree)
// with the child soft and hard caps as dashed lines, and the sink's throughput over time below.
import type { TreeSamples } from './tree-sampler.js';

const MIB = 1024 * 1024;
const W = 900;
const PANEL = 260;
const LEFT = 60;
const RIGHT = 20;
const TOP = 40;
const GAP = 60;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function polyline(points: [number, number][], x: (t: number) => number, y: (v: number) => number, color: string, width = 1.5, dash = ''): string {
  if (points.length === 0) return '';
  const d = points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${d}"/>`;
}

function axes(top: number, maxT: number, maxV: number, unit: string, x: (t: number) => number, y: (v: number) => number): string {
  const out: string[] = [`<rect x="${LEFT}" y="${top}" width="${W - LEFT - RIGHT}" height="${PANEL}" fill="none" stroke="#999"/>`];
  for (let i = 0; i <= 4; i++) {
    const v = (maxV * i) / 4;
    out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${LEFT - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="10">${Math.round(v)}</text>`);
    const t = (maxT * i) / 4;
    out.push(`<text x="${x(t).toFixed(1)}" y="${top + PANEL + 14}" text-anchor="middle" font-size="10">${(t / 1000).toFixed(1)} s</text>`);
  }
  out.push(`<text x="12" y="${top + PANEL / 2}" font-size="11" transform="rotate(-90 12 ${top + PANEL / 2})" text-anchor="middle">${esc(unit)}</text>`);
  return out.join('');
}

export function renderChart(title: string, s: TreeSamples, caps: { softMb: number | null; hardMb: number | null; budgetMb: number | null }): string {
  const maxT = Math.max(1, ...s.tree.map(([t]) => t));
  const x = (t: number): number => LEFT + (t / maxT) * (W - LEFT - RIGHT);
  const parts: string[] = [];
  // Panel 1: RSS in MB.
  const peakMb = Math.max(s.peakTree / MIB, caps.hardMb ?? 0);
  const maxRss = niceMax(peakMb * 1.05);
  const top1 = TOP;
  const y1 = (mb: number): number => top1 + PANEL - (Math.min(mb, maxRss) / maxRss) * PANEL;
  parts.push(axes(top1, maxT, maxRss, 'RSS (MB)', x, y1));
  const toMb = (pts: [number, number][]): [number, number][] => pts.map(([t, b]) => [t, b / MIB]);
  const legend: string[] = [];
  parts.push(polyline(toMb(s.tree), x, y1, '#000', 2));
  legend.push('<tspan fill="#000">tree</tspan>');
  if (s.charged.length > 0) {
    parts.push(polyline(toMb(s.charged), x, y1, '#777', 2));
    legend.push('<tspan fill="#777"> tree charge (shared pages once; the caps are on each child\'s own pages)</tspan>');
  }
  let c = 0;
  for (const p of s.perPid) {
    if (p.role === 'other') continue;
    const color = p.role === 'root' ? '#d62728' : (COLORS[c++ % COLORS.length] ?? '#1f77b4');
    parts.push(polyline(toMb(p.points), x, y1, color, 1.2));
    if (p.role === 'root') legend.push('<tspan fill="#d62728"> supervisor/root</tspan>');
  }
  if (c > 0) legend.push(`<tspan fill="#1f77b4"> children (${c}, one colour each)</tspan>`);
  const capLine = (mb: number | null, label: string, color: string): void => {
    if (mb === null) return;
    parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y1(mb).toFixed(1)}" y2="${y1(mb).toFixed(1)}" stroke="${color}" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${W - RIGHT - 4}" y="${(y1(mb) - 3).toFixed(1)}" text-anchor="end" font-size="10" fill="${color}">${label} ${mb} MB</text>`);
  };
  capLine(caps.softMb, 'child soft cap', '#e6a000');
  capLine(caps.hardMb, 'child hard cap', '#c00000');
  parts.push(`<text x="${LEFT}" y="${TOP - 6}" font-size="11">${legend.join('')}</text>`);
  // Panel 2: throughput MB/s from the sink's byte counter.
  const rate: [number, number][] = [];
  for (let i = 1; i < s.sinkBytes.length; i++) {
    const [t0, b0] = s.sinkBytes[i - 1] ?? [0, 0];
    const [t1, b1] = s.sinkBytes[i] ?? [0, 0];
    if (t1 > t0) rate.push([t1, (b1 - b0) / MIB / ((t1 - t0) / 1000)]);
  }
  const maxRate = niceMax(Math.max(1, ...rate.map(([, v]) => v)) * 1.05);
  const top2 = TOP + PANEL + GAP;
  const y2 = (v: number): number => top2 + PANEL - (Math.min(v, maxRate) / maxRate) * PANEL;
  parts.push(axes(top2, maxT, maxRate, 'MB/s into the sink', x, y2));
  parts.push(rate.length > 0 ? polyline(rate, x, y2, '#2ca02c', 1.5) : `<text x="${LEFT + 10}" y="${top2 + 20}" font-size="11">no throughput samples (sink without a byte counter)</text>`);
  const height = top2 + PANEL + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">
<title>${esc(title)}</title>
<rect width="${W}" height="${height}" fill="#fff"/>
<text x="${LEFT}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>
${parts.join('\n')}
</svg>
`;
}
