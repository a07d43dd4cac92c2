// Prometheus metrics (prom-client) fed from supervisor events, plus the HTTP server for /metrics,
// /healthz (alive: the event loop is turning) and /readyz (preflight passed).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CHECKSUM_MISMATCH_CODES } from '../errors.js';
import type { ItemOutcome } from '../ipc/protocol.js';
import type { MemorySample } from '../supervisor/memory-guard.js';
import type { MemoryPlan } from '../supervisor/memory-plan.js';

const MB = 1024 * 1024;

export class Metrics {
  readonly registry = new Registry();
  readonly files = new Counter({ name: 'supervisor_files_total', help: 'Files settled, by status', labelNames: ['status'], registers: [this.registry] });
  readonly bytes = new Counter({ name: 'supervisor_bytes_copied_total', help: 'Bytes copied to S3 by finished files', registers: [this.registry] });
  readonly childRss = new Gauge({ name: 'supervisor_child_rss_bytes', help: 'RSS of each child, sampled by the supervisor', labelNames: ['child'], registers: [this.registry] });
  readonly childCap = new Gauge({ name: 'supervisor_child_rss_cap_bytes', help: 'Per-child RSS caps', labelNames: ['tier'], registers: [this.registry] });
  readonly recycles = new Counter({ name: 'supervisor_recycles_total', help: 'Child recycles, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'supervisor_queue_depth', help: 'Items ready in the supervisor queue', registers: [this.registry] });
  readonly errors = new Counter({ name: 'supervisor_errors_total', help: 'Drive and S3 errors seen by children (retried or final), by service and reason', labelNames: ['service', 'reason'], registers: [this.registry] });
  readonly budget = new Gauge({ name: 'supervisor_memory_budget_bytes', help: 'The memory budget and its lines', labelNames: ['line'], registers: [this.registry] });
  readonly pod = new Gauge({ name: 'supervisor_pod_memory_bytes', help: 'Pod memory: process tree RSS, cgroup usage and working set, held against the budget', labelNames: ['source'], registers: [this.registry] });
  readonly cgroupEvents = new Gauge({ name: 'supervisor_cgroup_memory_events', help: 'cgroup memory.events counters (max, oom, oom_kill)', labelNames: ['event'], registers: [this.registry] });
  readonly paused = new Gauge({ name: 'supervisor_dispatch_paused', help: '1 while dispatch is paused by the pod budget', registers: [this.registry] });

  #readPace: (() => { rate: number; ceiling: number; refused: number }) | null = null;
  #refusedCounted = 0;
  // prom-client calls collect() before it serializes the registry: the pace is read at each scrape.
  readonly paceRate = new Gauge({ name: 'supervisor_drive_pace_rate', help: 'Drive requests per second the shared pace allows now (adaptive, under --drive-tps)', registers: [this.registry], collect: () => this.#samplePace() });
  readonly paceCeiling = new Gauge({ name: 'supervisor_drive_pace_ceiling', help: 'The ceiling of the Drive pace (--drive-tps)', registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'supervisor_drive_rate_limited_total', help: 'Drive requests refused for the rate (403 rate-limit reasons, 429)', registers: [this.registry] });

  constructor(plan: MemoryPlan) {
    collectDefaultMetrics({ register: this.registry, prefix: 'supervisor_process_' });
    this.childCap.set({ tier: 'soft' }, plan.childSoftMb * MB);
    this.childCap.set({ tier: 'hard' }, plan.childHardMb * MB);
    this.budget.set({ line: 'budget' }, plan.budgetMb * MB);
    this.budget.set({ line: 'pause' }, plan.pauseAtMb * MB);
    this.budget.set({ line: 'recycle' }, plan.recycleAtMb * MB);
    for (const status of ['done', 'skipped', 'failed']) this.files.inc({ status }, 0);
  }

  onSample(s: MemorySample, queueDepth: number): void {
    this.childRss.reset();
    for (const c of s.children) this.childRss.set({ child: String(c.id) }, c.rssBytes);
    this.pod.set({ source: 'tree_rss' }, s.treeRssBytes);
    this.pod.set({ source: 'supervisor_rss' }, s.supervisorRssBytes);
    this.pod.set({ source: 'held' }, s.podBytes);
    if (s.cgroup) {
      this.pod.set({ source: 'cgroup_usage' }, s.cgroup.usageBytes);
      this.pod.set({ source: 'cgroup_working_set' }, s.cgroup.workingSetBytes);
      this.cgroupEvents.set({ event: 'max' }, s.cgroup.events.max);
      this.cgroupEvents.set({ event: 'oom' }, s.cgroup.events.oom);
      this.cgroupEvents.set({ event: 'oom_kill' }, s.cgroup.events.oomKill);
    }
    this.queueDepth.set(queueDepth);
  }

  /** The shared pace's figures, read at each scrape. */
  watchPace(read: () => { rate: number; ceiling: number; refused: number }): void {
    this.#readPace = read;
    this.#samplePace();
  }

  #samplePace(): void {
    const p = this.#readPace?.();
    if (!p) return;
    this.paceRate.set(p.rate);
    this.paceCeiling.set(p.ceiling);
    if (p.refused > this.#refusedCounted) this.rateLimited.inc(p.refused - this.#refusedCounted);
    this.#refusedCounted = p.refused;
  }

  onSettled(outcome: ItemOutcome): void {
    this.files.inc({ status: outcome.status });
    if (outcome.status === 'done') this.bytes.inc(outcome.bytes);
    if (outcome.status === 'failed') this.errors.inc({ service: serviceOf(outcome.error.code), reason: outcome.error.code });
    const detail = outcome.status === 'failed' ? null : outcome.detail;
    const retries = detail?.retries;
    if (retries && typeof retries === 'object' && !Array.isArray(retries)) {
      for (const [key, n] of Object.entries(retries)) {
        const [service, reason] = key.split(':');
        if (typeof n === 'number' && service && reason) this.errors.inc({ service, reason }, n);
      }
    }
  }
}

function serviceOf(code: string): string {
  if (code.startsWith('s3') || code.startsWith('S3')) return 's3';
  if (code === 'poison' || CHECKSUM_MISMATCH_CODES.has(code)) return 'copy';
  return 'drive';
}

export interface HealthState {
  ready: boolean;
}

/** /metrics, /healthz, /readyz. healthz fails when the event loop has not turned for `stallMs`. */
export async function startMetricsServer(
  metrics: Metrics,
  health: HealthState,
  options: { port: number; host: string; stallMs?: number },
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  let lastBeat = Date.now();
  const beat = setInterval(() => (lastBeat = Date.now()), 500);
  beat.unref();
  const stallMs = options.stallMs ?? 5000;
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/healthz') {
      const stalled = Date.now() - lastBeat > stallMs;
      res.writeHead(stalled ? 503 : 200, { 'content-type': 'text/plain' }).end(stalled ? 'event loop stalled\n' : 'ok\n');
    } else if (url === '/readyz') {
      res.writeHead(health.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(health.ready ? 'ready\n' : 'preflight not passed\n');
    } else if (url === "/metrics") {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else {
      res.writeHead(404).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(beat);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
