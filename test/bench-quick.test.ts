// The benchmark's quick mode, run once the way users run it (dist/bench/main.js): it must finish, write a
// JSON result and SVG charts that parse, keep every run of ours within its memory budget, and every
// contender must have copied every file (objects counted in the sink). No timing assertions.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../bench/main.js', import.meta.url));

interface BenchJson {
  mode: string;
  machine: { cpuModel: string; cores: number; node: string };
  charts: string[];
  flat: { size: number; peakChildMb: number; runsMb: number[] }[];
  wan: { scenario: string; tool: string; copiedAll: boolean; quotaPerS: number; requests: number; refused: number; limitMbPerS: number | null }[];
  results: { scenario: string; tool: string; exitCode: number | null; filesExpected: number; objectsInSink: number | null; peakTreeMb: number; peakChargedMb: number; budgetMb: number | null; samples: { samples: number } }[];
}

/** Well-formed enough: one <svg> root, every element closed in order. */
function assertWellFormedSvg(text: string, name: string): void {
  assert.match(text, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, `${name} starts with an svg root`);
  const stack: string[] = [];
  for (const m of text.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, tag = '', selfClose] = m;
    if (selfClose === '/') continue;
    if (close === '/') assert.equal(stack.pop(), tag, `${name}: </${tag}> closes the element it should`);
    else stack.push(tag);
  }
  assert.deepEqual(stack, [], `${name}: every element is closed`);
}

test('npm run bench -- --quick: exits 0, writes JSON and SVG, stays in budget, copies every file', { timeout: 600_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'bench-quick-'));
  try {
    const child = spawn(process.execPath, [MAIN, '--quick', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 0, `bench exited ${code ?? 'by signal'}:\n${stderr.slice(-4000)}`);
    assert.match(stdout, /\| scenario \| tool \|/, 'prints the markdown table');

    const files = await readdir(out);
    const jsonName = files.find((f) => f.endsWith('.json'));
    assert.ok(jsonName, 'a JSON result was written');
    const json = JSON.parse(await readFile(join(out, jsonName), 'utf8')) as BenchJson;
    assert.equal(json.mode, 'quick');
    assert.ok(json.machine.cores > 0 && json.machine.node.startsWith('v'));

    const svgs = files.filter((f) => f.endsWith('.svg'));
    assert.ok(svgs.length > 0, 'SVG charts were written');
    assert.deepEqual([...json.charts].sort(), [...svgs].sort(), 'the JSON lists the charts written');
    for (const svg of svgs) assertWellFormedSvg(await readFile(join(out, svg), 'utf8'), svg);

    // Each one-file size is copied three times, each under its own name, and judged by its highest peak.
    assert.equal(json.flat.length, 2);
    for (const f of json.flat) {
      assert.equal(f.runsMb.length, 3);
      assert.equal(f.peakChildMb, Math.max(...f.runsMb));
    }
    assert.equal(json.results.filter((r) => r.scenario.startsWith('one-file-')).length, 6);
    const ours = json.results.filter((r) => r.tool === 'ours');
    assert.deepEqual([...new Set(ours.map((r) => r.scenario))].filter((s) => ['small', 'mixed', 'huge'].includes(s)).sort(), ['huge', 'mixed', 'small']);
    for (const r of json.results) {
      assert.ok(r.samples.samples > 0, `${r.scenario}/${r.tool}: memory was sampled`);
      if (r.tool === 'plan') continue;
      assert.equal(r.exitCode, 0, `${r.scenario}/${r.tool}/w: exit code`);
      assert.equal(r.objectsInSink, r.filesExpected, `${r.scenario}/${r.tool}: every file is an object in the sink`);
    }
    // The WAN scenario: ours (and rclone when installed) on the emulated Drive, judged against the quota.
    const wan = json.wan.filter((r) => r.scenario === 'wan-small');
    assert.ok(wan.some((r) => r.tool === 'ours'), 'wan-small ran ours');
    for (const r of wan) {
      assert.equal(r.copiedAll, true, `wan-small/${r.tool}: every file copied`);
      assert.equal(r.quotaPerS, 100);
      assert.ok(r.requests > 0 && r.refused <= r.requests, `wan-small/${r.tool}: the quota counted its requests`);
    }
    assert.match(stdout, /\| the limit \(quota\) \|/, 'the WAN table prints the limit');
    // wan-mixed: a body rate and a far S3 as well; judged in MB/s against its limit and rclone's.
    const mixed = json.wan.filter((r) => r.scenario === 'wan-mixed');
    assert.ok(mixed.some((r) => r.tool === 'ours'), 'wan-mixed ran ours');
    for (const r of mixed) {
      assert.equal(r.copiedAll, true, `wan-mixed/${r.tool}: every file copied`);
      assert.ok(r.limitMbPerS !== null && r.limitMbPerS > 0, `wan-mixed/${r.tool}: a limit in MB/s`);
    }
    assert.match(stdout, /\| the limit \(min\(quota × mean file, files at once × rate\)\), MB\/s \|/, 'the wan-mixed table prints the limit');
    for (const r of ours) {
      // The plan budgets what the kernel charges (shared pages once), not summed RSS.
      assert.ok(r.budgetMb !== null && r.peakChargedMb > 0 && r.peakChargedMb <= r.budgetMb, `${r.scenario}: peak charge ${r.peakChargedMb} MB (tree RSS ${r.peakTreeMb} MB) ≤ budget ${r.budgetMb ?? '?'} MB`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
