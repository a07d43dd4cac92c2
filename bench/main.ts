// `npm run bench [-- --quick] [-- --out DIR]`: the supervisor end to end on loopback against the raw pipe
// and rclone, same bytes, same sink. Prints markdown tables; writes <out>/bench-<stamp>.json and one SVG per
// run of ours (RSS per child with the caps, throughput over time). Default out: bench-results/.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { planMemory } from '../src/app/memory-setup.js';
import { streamsFor } from '../src/app/item-buffer-bound.js';
import { CHILD_SEMI_SPACE_MB } from '../src/supervisor/spawn-child.js';
import { resolveSettings } from '../src/config/settings.js';
import { othersInCgroupMb } from './cgroup-baseline.js';
import { describeMachine } from './machine.js';
import { measure, roundLabel, runTag } from './runners.js';
import type { RunResult, Sink, Source, Tool } from './runners.js';
import { benchPlan, listingTree, singleFileTree } from './scenarios.js';
import type { CopyScenario, WanScenario } from './scenarios.js';
import type { WanOptions, QuotaOptions } from '../src/fake-drive/index.js';
import { wanHugeRuns, wanHugeTable } from './wan-huge.js';
import type { WanHugeRun } from './wan-huge.js';
import { startService } from './service-process.js';
import { copyTable, evaluateTargets, listingTable, roundsTable, targetsTable, wanRateTable, wanTable, wanTargets } from './summary.js';
import type { FlatRun, WanRun } from './summary.js';
import { renderChart } from './svg-chart.js';
import type { TreeSpec } from './tree-spec.js';

const MIB = 1024 * 1024;
/** Copies of each one-file size (see the one-file runs below). */
const FLAT_REPEATS = 3;
/** The one-file runs set no range flags: each size is read as the defaults read it. */
const ONE_FILE_SETTINGS = resolveSettings({}, {});
const SAMPLE_MS = 50;
const CHILD_CONCURRENCY = 4;

/** One measured run; `round` numbers the repeats of a compared pair (CopyScenario.rounds). */
type RunFn = (scenario: string, tool: Tool, workers: number, parallelism: number, source: Source, target: Sink, at?: { bucket?: string; round?: number; defaultDriveTps?: boolean; rcloneTpsLimit?: number; extraArgs?: string[]; childConcurrency?: number }) => Promise<RunResult>;

class BenchArgsError extends Error {
  override readonly name = 'BenchArgsError';
}

function parseArgs(argv: string[]): { quick: boolean; out: string; noRclone: boolean; only: Set<string> | null } {
  let quick = false;
  let noRclone = false;
  let out = 'bench-results';
  let only: Set<string> | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') quick = true;
    else if (a === '--no-rclone') noRclone = true;
    else if (a === '--out') out = argv[++i] ?? out;
    else if (a === '--only') only = new Set((argv[++i] ?? '').split(',').filter((x) => x !== ''));
    else throw new BenchArgsError(`unknown argument ${a ?? ''} (use --quick, --out DIR, --no-rclone, --only one-file,listing,small,mixed,huge,wan-small,wan-mixed,wan-huge)`);
  }
  return { quick, out: resolve(out), noRclone, only };
}

/** The tightest budget the memory plan accepts for `workers` at the CLI's defaults: workers × hard cap + reserve. */
function memoryFor(workers: number): { budgetMb: number; softMb: number; hardMb: number; flagBudgetMb: number } {
  const settings = resolveSettings({ workers: String(workers), childConcurrency: String(CHILD_CONCURRENCY), memoryBudgetMb: '1000000' }, {});
  const plan = planMemory(settings, { containerLimitMb: null, physicalMb: Math.floor(totalmem() / MIB), cpus: availableParallelism() });
  const budgetMb = plan.reserveMb + workers * plan.childHardMb;
  return { budgetMb, softMb: plan.childSoftMb, hardMb: plan.childHardMb, flagBudgetMb: budgetMb + othersInCgroupMb() };
}

const say = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

/** The fast sink in its own process, optionally behind an emulated network. */
async function startSinkService(wan?: WanOptions): Promise<{ sink: Sink; stop: () => Promise<void> }> {
  const svc = await startService<{ endpoint: string }>('./sink-main.js', wan ? { BENCH_SINK_WAN: JSON.stringify(wan) } : {});
  const sink: Sink = {
    kind: 'fast',
    endpoint: svc.ready.endpoint,
    bytesReceived: async () => ((await (await fetch(`${svc.ready.endpoint}/__stats`)).json()) as { bytes: number }).bytes,
    pid: svc.process.pid ?? 0,
  };
  return { sink, stop: () => svc.stop() };
}

async function withSource<T>(tree: TreeSpec, fn: (s: Source) => Promise<T>, wan?: { wan: WanOptions; quota?: QuotaOptions }): Promise<T> {
  const env = { BENCH_TREE: JSON.stringify(tree), ...(wan ? { BENCH_WAN: JSON.stringify({ wan: wan.wan, ...(wan.quota ? { quota: wan.quota } : {}) }) } : {}) };
  const svc = await startService<Omit<Source, 'pid'>>('./source-main.js', env, ['--max-old-space-size=4096']);
  try {
    return await fn({ ...svc.ready, pid: svc.process.pid ?? 0 });
  } finally {
    await svc.stop();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const plan = benchPlan(args.quick);
  // --only: a part of the plan (a long full run can be finished in pieces).
  const wanted = (part: string): boolean => args.only === null || args.only.has(part);
  const machine = describeMachine();
  const rclone = !args.noRclone && machine.rclone !== null;
  const stamp = machine.date.replace(/[:.]/g, '-');
  const logDir = join(args.out, `logs-${stamp}`);
  await mkdir(logDir, { recursive: true });
  say(`${args.quick ? 'quick' : 'full'} mode on ${machine.cpuModel} × ${machine.cores}, ${machine.memoryMb} MB, node ${machine.node}; rclone: ${rclone ? machine.rclone ?? '' : 'skipped (not installed or --no-rclone)'}`);

  const sinkSvc = await startSinkService();
  const sink = sinkSvc.sink;
  const results: RunResult[] = [];
  const flat: FlatRun[] = [];
  const wanRuns: WanRun[] = [];
  let runNo = 0;
  const hugeRuns: WanHugeRun[] = [];
  const run: RunFn = async (scenario, tool, workers, parallelism, source, target, { bucket, round = 1, defaultDriveTps = false, rcloneTpsLimit, extraArgs, childConcurrency = CHILD_CONCURRENCY } = {}) => {
    runNo++;
    const memory = tool === 'ours' || tool === 'plan' ? memoryFor(workers) : undefined;
    const r = await measure({
      scenario, tool, workers, parallelism, source, sink: target,
      bucket: bucket ?? `${scenario}-${tool}-w${workers}-${runNo}`,
      logDir, sampleMs: SAMPLE_MS, childConcurrency, round, defaultDriveTps,
      ...(rcloneTpsLimit === undefined ? {} : { rcloneTpsLimit }),
      ...(extraArgs ? { extraArgs } : {}),
      ...(memory ? { memory } : {}),
    });
    say(`${scenario} ${tool} w${workers}${roundLabel(round)} (${parallelism} files at once) on ${target.kind}: exit ${r.exitCode ?? '?'}, ${r.objectsInSink ?? '–'}/${r.filesExpected} objects, ${r.seconds} s, ${r.mbPerS} MB/s, ${r.filesPerS} files/s, peak tree ${r.peakTreeMb} MB, CPU s tool/source/sink ${r.cpu.tool}/${r.cpu.source ?? "?"}/${r.cpu.sink ?? "?"}`);
    results.push(r);
    return r;
  };

  try {
    // Listing and one-file runs first: short, and they decide two targets even if a long full run is cut.
    for (const size of wanted('one-file') ? plan.childFlat : []) {
      await withSource(singleFileTree(size), async (source) => {
        // Each size is copied FLAT_REPEATS times and judged by its highest peak. A copy of 100 MiB lasts about
        // a second, ~25 samples, where 5 GiB gives hundreds: from a single run the small file's figure
        // depended on where its few samples fell (95-105 MB across runs of the same commit).
        const runsMb: number[] = [];
        for (let i = 1; i <= FLAT_REPEATS; i += 1) {
          // Each repeat under its own name: its log, journal and chart are kept apart from the others'.
          const label = `one-file-${Math.round(size / MIB)}MiB${i > 1 ? `-run${i}` : ''}`;
          runsMb.push((await run(label, 'ours', 1, 1, source, sink)).peakChildMb);
        }
        flat.push({ size, streams: streamsFor(size, ONE_FILE_SETTINGS), peakChildMb: Math.max(...runsMb), runsMb });
      });
    }
    for (const files of wanted('listing') ? plan.listing : []) {
      await withSource(listingTree(files), async (source) => {
        await run(`listing-${files}`, 'plan', 4, 0, source, sink);
      });
    }
    for (const scenario of plan.scenarios.filter((sc) => wanted(sc.name))) {
      await withSource(scenario.tree, async (source) => {
        say(`scenario ${scenario.name}: ${source.files} files, ${Math.round(source.bytes / MIB)} MiB`);
        for (const w of plan.workers) {
          const parallel = w * CHILD_CONCURRENCY;
          await run(scenario.name, 'ours', w, parallel, source, sink);
          await run(scenario.name, 'raw', w, parallel, source, sink);
          if (rclone) await run(scenario.name, 'rclone-equal', w, parallel, source, sink);
          // Further rounds of the ours / rclone= pair, rclone= first in even rounds: the machine's speed drifts
          // over minutes, and a fixed order would hand the drift to one side.
          for (let round = 2; rclone && round <= scenario.rounds; round += 1) {
            const pair: Tool[] = round % 2 === 0 ? ['rclone-equal', 'ours'] : ['ours', 'rclone-equal'];
            for (const tool of pair) await run(scenario.name, tool, w, parallel, source, sink, { round });
          }
        }
        if (rclone && plan.rcloneDefaults) await run(scenario.name, 'rclone-default', 0, 4, source, sink);
        if (plan.s3rver.scenario === scenario.name) await s3rverRun(scenario, source, plan.s3rver.workers, run);
      });
    }
    for (const scenario of plan.wan.filter((sc) => wanted(sc.name))) {
      // A scenario with an S3 latency of its own gets a sink of its own behind it.
      const own = scenario.sinkWan ? await startSinkService(scenario.sinkWan) : null;
      try {
        await withSource(scenario.tree, (source) => wanRunsOf(scenario, source, own?.sink ?? sink, rclone, run, wanRuns), scenario);
      } finally {
        await own?.stop();
      }
    }
    const huge = plan.wanHuge;
    if (wanted(huge.name)) {
      say(`scenario ${huge.name}: ${huge.describe}`);
      const measured = await withSource(huge.tree, (source) => wanHugeRuns(huge, source, rclone, (tool, workers, parallelism, extraArgs) => run(huge.name, tool, workers, parallelism, source, sink, { extraArgs, childConcurrency: 1 })), huge);
      hugeRuns.push(...measured);
    }
  } finally {
    await sinkSvc.stop();
  }

  const targets = [...evaluateTargets(results, flat), ...wanTargets(wanRuns)];
  const charts: string[] = [];
  for (const r of results) {
    if (r.tool !== 'ours' && r.tool !== 'plan') continue;
    // Runs that differ only in their flags (wan-huge's --range-streams) share a tag: number the later ones.
    const base = `bench-${stamp}-${runTag(r)}`;
    let name = `${base}.svg`;
    for (let n = 2; charts.includes(name); n++) name = `${base}-${n}.svg`;
    await writeFile(join(args.out, name), renderChart(`${r.scenario} · ${r.tool} · ${r.workers} workers · ${r.sink} sink — ${r.mbPerS} MB/s, peak tree ${r.peakTreeMb} MB`, r.samples, { softMb: r.softMb, hardMb: r.hardMb, budgetMb: r.budgetMb }));
    charts.push(name);
  }
  const jsonPath = join(args.out, `bench-${stamp}.json`);
  await writeFile(jsonPath, `${JSON.stringify({ mode: args.quick ? 'quick' : 'full', machine, rclone, targets, flat, charts, wan: wanRuns, wanHuge: hugeRuns, results }, null, 1)}\n`);

  const md = [
    `## drive-s3-supervisor benchmark (${args.quick ? 'quick' : 'full'})`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryMb} MB, Node ${machine.node}, ${machine.rclone ?? 'rclone not installed'}, ${machine.date}.`,
    `Loopback; source (fake Drive + HTML index) and sink each in their own process, not counted. Parallel files: ours = workers × child concurrency (4); raw and rclone= run that many transfers ("equal parallelism"); rclone= also uses our part size and parts in flight per file, multipart from one part size on (its upload cutoff) like ours. What each hashes: ours and the raw pipe hash every file once with the checksum they verify against Drive's (SHA-1, from sha1Checksum, in node:crypto), and send parts as UNSIGNED-PAYLOAD, as ours does by default against AWS (https) — the sink here is plain http, where ours would sign by default, so the runs pass --s3-sign-payload never; rclone= MD5s every part (Content-MD5) and SHA-256s it for SigV4 (rclone 1.60 has no unsigned-payload option); rclone at its defaults sends files under 200 MiB as single PUTs, measured here at ~1 CPU s per GiB: too little for any hashing (its http source offers no checksum to verify). CPU s = user + system time of the tool's process tree, the source and the sink during the run. rclone reads the same bytes from a plain HTML index (its http backend), a lighter server than the fake Drive API that ours and the raw pipe use. Throughput = source bytes / wall time of the process (start-up and listing included). Peak tree RSS = the process and all its descendants, sampled every 50 ms. The raw pipe does no journal and no retries, but hashes every file and checks it against the checksum Drive reports, as a verifying copy must; it runs with our children's V8 flags (${CHILD_SEMI_SPACE_MB} MB young generation, single-threaded GC) and malloc settings, so the comparison is of the work done, not of the runtime's settings. The fast sink checksums bodies with CRC32, not md5 (real S3 hashes on its own servers, not on the cores the tools share).`,
    '',
    copyTable(results),
    '',
    roundsTable(results),
    '',
    listingTable(results),
    '',
    ...(hugeRuns.length > 0 ? [`${plan.wanHuge.name}: ${plan.wanHuge.describe} (fake Drive and rclone's index behind the same emulation); ours reads each file over one connection (streams 1) or as parallel Range requests.`, '', wanHugeTable(hugeRuns), ''] : []),
    ...(wanRuns.length > 0 ? ['Against an emulated wide-area Drive (fake Drive and index behind the same latency and a per-user quota; rclone\'s index refuses with 429 + Retry-After, which its http backend retries, where Drive\'s 403 would fail the file). Ours runs at its default --drive-tps (the adaptive pace\'s ceiling) and is not told the quota.', '', wanTable(wanRuns), '', wanRateTable(wanRuns), ''] : []),
    targetsTable(targets),
    '',
    `JSON: ${jsonPath}`,
    `Charts: ${charts.map((c) => join(args.out, c)).join(', ')}`,
  ].join('\n');
  process.stdout.write(`${md}\n`);
  const failed = results.filter((r) => r.exitCode !== 0 || (r.tool !== 'plan' && r.objectsInSink !== r.filesExpected));
  if (failed.length > 0) {
    say(`${failed.length} runs did not copy everything`);
    process.exitCode = 1;
  }
}

interface QuotaCounts {
  drive: { admitted: number; refused: number };
  index: { admitted: number; refused: number };
}

/** One WAN scenario: ours at its defaults (the pace adapts to the quota it is not told), then rclone on the same emulation. */
async function wanRunsOf(scenario: WanScenario, source: Source, sink: Sink, rclone: boolean, run: RunFn, out: WanRun[]): Promise<void> {
  const counts = async (): Promise<QuotaCounts> => (await (await fetch(`${source.indexUrl}__stats`)).json()) as QuotaCounts;
  say(`scenario ${scenario.name}: ${source.files} files, ${scenario.describe}`);
  const tools: Tool[] = rclone ? ['ours', 'rclone-equal'] : ['ours'];
  for (const tool of tools) {
    const before = await counts();
    // rclone is told the quota (--tpslimit): untold, its http backend fails every file whose open is refused.
    const r = await run(scenario.name, tool, scenario.workers, scenario.workers * CHILD_CONCURRENCY, source, sink, { defaultDriveTps: true, ...(tool === 'ours' ? {} : { rcloneTpsLimit: scenario.quota.requestsPerSecond }) });
    const after = await counts();
    const side = tool === 'ours' ? 'drive' : 'index';
    const refused = after[side].refused - before[side].refused;
    const requests = after[side].admitted - before[side].admitted + refused;
    out.push({ scenario: scenario.name, tool, workers: scenario.workers, filesPerS: r.filesPerS, seconds: r.seconds, copiedAll: r.exitCode === 0 && r.objectsInSink === r.filesExpected, quotaPerS: scenario.quota.requestsPerSecond, requests, refused, mbPerS: r.mbPerS, peakTreeMb: r.peakTreeMb, limitMbPerS: rateLimitMbPerS(scenario, source, r.parallelism) });
    say(`${scenario.name} ${tool}: ${r.filesPerS} files/s = ${Math.round((100 * r.filesPerS) / scenario.quota.requestsPerSecond)}% of the quota; ${refused} of ${requests} requests refused`);
  }
}

/** Where bodies have a rate: the quota's pace of mean-sized files or every file at once at the rate, whichever is lower. */
function rateLimitMbPerS(scenario: WanScenario, source: Source, filesAtOnce: number): number | null {
  const rate = scenario.wan.bytesPerSecond ?? 0;
  if (rate <= 0 || source.files === 0) return null;
  return Math.min(scenario.quota.requestsPerSecond * (source.bytes / source.files), filesAtOnce * rate) / 1e6;
}

async function s3rverRun(scenario: CopyScenario, source: Source, workers: number, run: RunFn): Promise<void> {
  const svc = await startService<{ endpoint: string; bucket: string }>('./s3rver-main.js', { BENCH_BUCKET: 'bench-s3rver' });
  try {
    await run(scenario.name, 'ours', workers, workers * CHILD_CONCURRENCY, source, { kind: 's3rver', endpoint: svc.ready.endpoint, bytesReceived: null, pid: svc.process.pid ?? 0 }, { bucket: svc.ready.bucket });
  } finally {
    await svc.stop();
  }
}

await main();
