// `node dist/bench/resume-hash-cost.js [--size-mb N] [--rounds N] [--out DIR]`: the CPU price of resumable
// hashing (issue 20, point 2) on the huge-file scenario's shape — two large files on loopback, one child —
// copied by ours at the default --resume-min-mb (resumable: hash-wasm, whose state is checkpointed) and with
// --resume-min-mb above the files (node:crypto, no checkpoints), in alternating rounds within one run so the
// machine's drift falls on both. Prints a markdown table of the copy children's CPU seconds per GiB.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { measure } from './runners.js';
import type { RunResult, Sink, Source } from './runners.js';
import { startService } from './service-process.js';
import type { TreeSpec } from './tree-spec.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

interface Variant {
  name: string;
  describe: string;
  args: string[];
}

const VARIANTS: Variant[] = [
  { name: 'huge-wasm', describe: 'resumable (--resume-min-mb 64): hash-wasm SHA-1, state checkpointed', args: ['--resume-min-mb', '64'] },
  { name: 'huge-node', describe: 'not resumable (--resume-min-mb 1000000): node:crypto SHA-1', args: ['--resume-min-mb', '1000000'] },
];

function parseArgs(argv: string[]): { sizeMb: number; rounds: number; out: string } {
  const o = { sizeMb: 2048, rounds: 3, out: 'bench-results' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i] ?? '';
    if (a === '--size-mb') o.sizeMb = Number(v);
    else if (a === '--rounds') o.rounds = Number(v);
    else if (a === '--out') o.out = v;
    else throw new Error(`unknown argument ${a ?? ''} (use --size-mb N, --rounds N, --out DIR)`);
  }
  if (!(o.sizeMb >= 64 && o.rounds >= 1)) throw new Error('--size-mb must be ≥ 64 and --rounds ≥ 1');
  return { ...o, out: resolve(o.out) };
}

function childCpu(r: RunResult): number {
  return r.samples.cpuSecondsByRole.child ?? 0;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const logDir = join(args.out, `resume-hash-cost-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(logDir, { recursive: true });
  const tree: TreeSpec = { seed: 33, folders: 0, filesPerFolder: 0, sizes: [], large: { count: 2, size: args.sizeMb * MIB }, md5: 'real' };
  const sinkSvc = await startService<{ endpoint: string }>('./sink-main.js', {});
  const srcSvc = await startService<Omit<Source, 'pid'>>('./source-main.js', { BENCH_TREE: JSON.stringify(tree) }, ['--max-old-space-size=4096']);
  const sink: Sink = { kind: 'fast', endpoint: sinkSvc.ready.endpoint, bytesReceived: null, pid: sinkSvc.process.pid ?? 0 };
  const source: Source = { ...srcSvc.ready, pid: srcSvc.process.pid ?? 0 };
  const rows: string[] = [];
  const perGib: Record<string, number[]> = {};
  try {
    for (let round = 1; round <= args.rounds; round++) {
      // Alternate the order each round: a fixed order would hand the machine's drift to one side.
      const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
      for (const v of order) {
        const r = await measure({
          scenario: v.name, tool: 'ours', workers: 1, parallelism: 2, source, sink, bucket: `${v.name}-${round}`,
          logDir, sampleMs: 100, childConcurrency: 4, round, extraArgs: [...v.args, '--memory-budget-mb', '4096'],
        });
        if (r.exitCode !== 0 || r.objectsInSink !== r.filesExpected) throw new Error(`${v.name} round ${round}: exit ${r.exitCode ?? '?'}, ${r.objectsInSink ?? '?'} objects (log ${r.log})`);
        const gib = source.bytes / GIB;
        const child = childCpu(r) / gib;
        (perGib[v.name] ??= []).push(child);
        rows.push(`| ${v.name} | ${round} | ${r.seconds} | ${r.mbPerS} | ${childCpu(r).toFixed(2)} | ${child.toFixed(2)} | ${(r.cpu.tool / gib).toFixed(2)} | ${r.peakChildMb} |`);
        process.stderr.write(`resume-hash-cost: ${rows.at(-1) ?? ''}\n`);
      }
    }
  } finally {
    await Promise.allSettled([srcSvc.stop(), sinkSvc.stop()]);
  }
  const lines = [
    `2 × ${args.sizeMb} MiB, 1 worker, loopback fast sink, ${args.rounds} alternating rounds.`,
    ...VARIANTS.map((v) => `- ${v.name}: ${v.describe}`),
    '',
    '| variant | round | s | MB/s | child CPU s | child CPU s / GiB | tree CPU s / GiB | peak child MB |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...VARIANTS.map((v) => {
      const xs = perGib[v.name] ?? [];
      return `${v.name}: child CPU s / GiB median ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]?.toFixed(2) ?? '?'} (${xs.map((x) => x.toFixed(2)).join(', ')})`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
