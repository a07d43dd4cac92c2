// k8s/monitoring/: the Grafana dashboard and the PrometheusRule read only series that exist. A real small
// copy runs through the CLI (fake Drive, s3rver) with --metrics-port, held mid-copy by a gate in front of
// the fake Drive, and its /metrics is scraped; every metric name (and literal label value) the dashboard's
// queries and the rules' expressions use must be in that scrape.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { folderOfFiles, freePort, startCli, startWorld, worldFlags } from './support/e2e.js';
import type { CliRun, World } from './support/e2e.js';
import { K8S, parseYamlFile } from './support/k8s-manifests.js';
import { kustomize } from './support/kustomize.js';
import { startMediaGate } from './support/media-gate.js';
import type { MediaGate } from './support/media-gate.js';
import { parseScrape, seriesProblems } from './support/metrics-scrape.js';
import type { KnownValues, Scrape } from './support/metrics-scrape.js';
import { selectors } from './support/promql.js';

const MONITORING = join(K8S, 'monitoring');
const HELD = 'm-held';

interface Target {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid?: string } }[] };
}
interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as Dashboard;
const [ruleDoc] = parseYamlFile(join(MONITORING, 'prometheus-rule.yaml')) as { spec: { groups: { name: string; rules: Rule[] }[] } }[];
const rules = ruleDoc?.spec.groups.flatMap((g) => g.rules) ?? [];

function variableQuery(query: unknown): string {
  return typeof query === 'string' ? query : String((query as { query?: unknown }).query);
}

/** Every PromQL expression the dashboard runs: its panels' targets and its query variables. */
function dashboardExprs(): { where: string; expr: string }[] {
  const panels = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr ?? '' })));
  const variables = dashboard.templating.list.filter((v) => v.type === 'query').map((v) => ({ where: `variable $${v.name}`, expr: variableQuery(v.query).replace(/^label_values\((.*),\s*\w+\)$/, '$1') }));
  return [...panels, ...variables];
}

// ---- the real run and its scrape

let w: World;
let gate: MediaGate;
let scrape: Scrape;
let run: CliRun;
const known: KnownValues = new Map();

/** The first JSON log line on `stream` that `accept` takes; rejects when the stream ends first. */
function logLine(stream: Readable, accept: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stream });
    lines.on('line', (text) => {
      if (!text.startsWith('{')) return;
      const line = JSON.parse(text) as Record<string, unknown>;
      if (accept(line)) resolve(line); // later lines are ignored (closing would pause the shared stream)
    });
    lines.once('close', () => reject(new Error('the run ended before the awaited log line'))); // no-op once resolved
  });
}

before(async () => {
  w = await startWorld({ nodes: [...folderOfFiles('M', 'monitored', 6, 2000), { id: HELD, name: 'held.bin', parents: ['M'], mimeType: 'application/octet-stream', size: 1000 }] });
  gate = await startMediaGate(w.drive.rootUrl, HELD);
  const port = await freePort();
  const flags = worldFlags(w, 'M', ['--drive-root-url', gate.rootUrl, '--metrics-port', String(port), '--metrics-host', '127.0.0.1', '--workers', '1', '--progress', 'log', '--progress-interval-s', '1']);
  const cli = startCli(flags, {}, w.s3);
  const stdout = cli.proc.stdout;
  assert.ok(stdout);
  // Held mid-copy: its children are alive, and a progress line after a memory sample means the sample's
  // gauges are set (the supervisor updates them in the same turn as the sample the line reports).
  const sampled = logLine(stdout, (l) => l.msg === 'progress' && Number((l.progress as { treeRssMb?: unknown }).treeRssMb) > 0);
  const finished = logLine(stdout, (l) => l.msg === 'run finished');
  await Promise.all([gate.held, sampled]);
  scrape = parseScrape(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  gate.release();
  const summary = await finished;
  run = await cli.done;
  // Reasons with no recycle yet have no sample: the run's summary names them all.
  known.set('supervisor_recycles_total', new Map([['reason', new Set(Object.keys(summary.recycles as Record<string, number>))]]));
});

after(async () => {
  await gate.close();
  await w.close();
});

test('monitoring: the run behind the scrape copied everything and exposed the supervisor\'s series', () => {
  assert.equal(run.code, 0, run.stderr.slice(-2000));
  assert.ok((scrape.get('supervisor_files_total')?.samples.length ?? 0) >= 3, 'files by status');
  assert.ok((scrape.get('supervisor_pod_memory_bytes')?.samples ?? []).some((s) => s.source === 'held'), 'a memory sample was taken');
  // Both figures: each child's own pages (what its caps act on) and its RSS; the tree's charge beside its summed RSS.
  const child = scrape.get('supervisor_child_memory_bytes')?.samples ?? [];
  assert.deepEqual([...new Set(child.map((c) => c.kind))].sort(), ['rss', 'uss'], 'child memory by kind');
  const sources = new Set((scrape.get('supervisor_pod_memory_bytes')?.samples ?? []).map((p) => p.source));
  for (const source of ['charged', 'shared', 'tree_rss', 'supervisor_uss']) assert.ok(sources.has(source), `pod memory source ${source}`);
  assert.ok((known.get('supervisor_recycles_total')?.get('reason')?.size ?? 0) >= 4, 'the recycle reasons');
});

test('monitoring: every series the dashboard and the alert rules read is in a real /metrics scrape', () => {
  const exprs = [...dashboardExprs(), ...rules.map((r) => ({ where: `rule ${String(r.alert)}`, expr: r.expr }))];
  assert.ok(exprs.length >= 20, `${exprs.length} expressions`);
  for (const { where, expr } of exprs) assert.deepEqual(seriesProblems([expr], scrape, known), [], `${where}: ${expr}`);
});

test('monitoring: a series that does not exist is reported — an unknown name, a label value, a histogram suffix', () => {
  assert.deepEqual(seriesProblems(['sum(rate(supervisor_no_such_total[5m]))'], scrape), ['supervisor_no_such_total is not in the scrape']);
  assert.deepEqual(seriesProblems(['container_memory_working_set_bytes{container="supervisor"}'], scrape), ['container_memory_working_set_bytes is not in the scrape']);
  const typo = seriesProblems(['max by (pod) (supervisor_pod_memory_bytes{source="helt"})'], scrape);
  assert.equal(typo.length, 1);
  assert.match(typo[0] ?? '', /^supervisor_pod_memory_bytes\{source="helt"\} is not in the scrape \(source: .*\bheld\b.*\)$/);
  assert.deepEqual(seriesProblems(['increase(supervisor_recycles_total{reason=~"hard-cap|oops"}[5m])'], scrape, known).length, 1);
  assert.deepEqual(seriesProblems(['rate(supervisor_process_nodejs_gc_duration_seconds_sum[5m])'], scrape), [], 'a histogram\'s _sum');
  assert.deepEqual(seriesProblems(['supervisor_files_total_count'], scrape), ['supervisor_files_total_count is not in the scrape'], 'a counter has no _count');
  assert.deepEqual(seriesProblems(['vector(1)'], scrape), ['vector(1): selects no series']);
});

test('monitoring: PromQL selectors are read through functions, aggregations, vector matching and Grafana variables', () => {
  const expr = 'sum by (namespace, pod) (increase(supervisor_files_total{status="failed", pod=~"$pod"}[$__rate_interval] offset 5m)) > on (pod) group_left max(supervisor_queue_depth) * 1e3';
  assert.deepEqual(selectors(expr), [
    { metric: 'supervisor_files_total', matchers: [{ label: 'status', op: '=', value: 'failed' }, { label: 'pod', op: '=~', value: '$pod' }] },
    { metric: 'supervisor_queue_depth', matchers: [] },
  ]);
});

test('monitoring: the dashboard queries a Prometheus datasource variable and draws what operators look at', () => {
  const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
  assert.deepEqual([ds?.name, ds?.query], ['datasource', 'prometheus'], 'a Prometheus datasource variable');
  const defined = new Set(dashboard.templating.list.map((v) => v.name));
  const ids = new Set<number>();
  for (const p of dashboard.panels) {
    assert.ok(!ids.has(p.id), `panel id ${p.id} is unique`);
    ids.add(p.id);
    if (p.type === 'row') continue;
    assert.equal(p.datasource?.uid, '${datasource}', `panel "${p.title}" uses the datasource variable`);
    assert.ok((p.targets ?? []).length > 0, `panel "${p.title}" has queries`);
    for (const t of p.targets ?? []) {
      assert.equal(t.datasource?.uid, '${datasource}', `panel "${p.title}": its query uses the datasource variable`);
      for (const [, name] of (t.expr ?? '').matchAll(/\$(?!__)(\w+)/g)) assert.ok(defined.has(name ?? ''), `panel "${p.title}" uses $${String(name)}, which is not a variable`);
    }
  }
  const used = new Set(dashboardExprs().flatMap(({ expr }) => selectors(expr).map((s) => s.metric)));
  const wanted = ['supervisor_bytes_copied_total', 'supervisor_files_total', 'supervisor_child_memory_bytes', 'supervisor_child_memory_cap_bytes', 'supervisor_pod_memory_bytes', 'supervisor_memory_budget_bytes', 'supervisor_recycles_total', 'supervisor_errors_total', 'supervisor_queue_depth', 'supervisor_dispatch_paused'];
  assert.deepEqual(wanted.filter((m) => !used.has(m)), [], 'the dashboard draws every supervisor series operators need');
  assert.ok(dashboardExprs().some(({ expr }) => /rate\(supervisor_bytes_copied_total\b/.test(expr)), 'throughput is the rate of bytes copied');
});

test('monitoring: the rules alert on stalls, memory, recycles, failures, outages and a growing sync lag, each with a severity and a summary', () => {
  const alerts = rules.map((r) => r.alert ?? '');
  for (const wantedAlert of ['DriveS3SupervisorNoProgress', 'DriveS3SupervisorMemoryAbovePauseLine', 'DriveS3SupervisorChildrenKilled', 'DriveS3SupervisorSoftCapRecyclesRising', 'DriveS3SupervisorFilesFailing', 'DriveS3SupervisorServiceUnreachable', 'DriveS3SupervisorSyncLagGrowing']) {
    assert.ok(alerts.includes(wantedAlert), `an alert ${wantedAlert}`);
  }
  for (const r of rules) {
    assert.match(r.labels?.severity ?? '', /^(critical|warning|info)$/, `${String(r.alert)}: severity`);
    assert.ok(r.annotations?.summary, `${String(r.alert)}: summary`);
  }
});

test('monitoring: the kustomization ships the dashboard as a ConfigMap for Grafana\'s sidecar', () => {
  const rendered = kustomize(MONITORING) as { kind: string; metadata: { name: string; labels?: Record<string, string> }; data?: Record<string, string> }[];
  const cm = rendered.find((d) => d.kind === 'ConfigMap');
  assert.equal(cm?.metadata.labels?.grafana_dashboard, '1', 'the sidecar\'s label');
  assert.deepEqual(JSON.parse(cm.data?.['grafana-dashboard.json'] ?? 'null'), dashboard);
  assert.deepEqual(rendered.map((d) => d.kind).sort(), ['ConfigMap', 'PodMonitor', 'PrometheusRule']);
});
