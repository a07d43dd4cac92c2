// Prometheus metrics (prom-client) fed from supervisor events, plus the HTTP server for /metrics,
// /healthz (alive: the event loop is turning) and /readyz (preflight passed).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { serviceOf } from '../error-codes.js';
import type { ItemOutcome } from '../ipc/protocol.js';
import type { MemorySample } from '../supervisor/memory-guard.js';
import type { MemoryPlan } from '../supervisor/memory-plan.js';
import { resumeRereadOf } from './report.js';
import type { SyncStatus } from './sync-status.js';

const MB = 1024 * 1024;

/** What /metrics reads of the Drive paces (source/drive/pace-book.ts). */
export interface PaceReading {
  total(): { rate: number; ceiling: number; refused: number };
  perSubject(): { subject: string; rate: number; refused: number }[];
}

export class Metrics {
  readonly registry = new Registry();
  readonly files = new Counter({ name: 'supervisor_files_total', help: 'Files settled, by status', labelNames: ['status'], registers: [this.registry] });
  readonly bytes = new Counter({ name: 'supervisor_bytes_copied_total', help: 'Bytes copied to S3 by finished files', registers: [this.registry] });
  readonly childMemory = new Gauge({ name: 'supervisor_child_memory_bytes', help: 'Memory of each child, sampled by the supervisor: uss (its own pages, what the caps act on) and rss (uss + pages shared with the other processes)', labelNames: ['child', 'kind'], registers: [this.registry] });
  readonly childCap = new Gauge({ name: 'supervisor_child_memory_cap_bytes', help: 'Per-child caps on its own pages (USS)', labelNames: ['tier'], registers: [this.registry] });
  readonly recycles = new Counter({ name: 'supervisor_recycles_total', help: 'Child recycles, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'supervisor_queue_depth', help: 'Items ready in the supervisor queue', registers: [this.registry] });
  readonly errors = new Counter({ name: 'supervisor_errors_total', help: 'Drive and S3 errors seen by children (retried or final), by service and reason', labelNames: ['service', 'reason'], registers: [this.registry] });
  readonly budget = new Gauge({ name: 'supervisor_memory_budget_bytes', help: 'The memory budget and its lines', labelNames: ['line'], registers: [this.registry] });
  readonly pod = new Gauge({ name: 'supervisor_pod_memory_bytes', help: 'Pod memory: the tree\'s charge (shared pages once), its summed RSS, the shared pages, cgroup usage and working set, and the figure held against the budget', labelNames: ['source'], registers: [this.registry] });
  readonly cgroupEvents = new Gauge({ name: 'supervisor_cgroup_memory_events', help: 'cgroup memory.events counters (max, oom, oom_kill)', labelNames: ['event'], registers: [this.registry] });
  readonly resumeReread = new Counter({ name: 'supervisor_resume_reread_bytes_total', help: 'Bytes Drive served again for resumes, as children report them with each result, failed attempts included: rehash (an uploaded prefix read again to rebuild its checksum), restart (an uploaded prefix given up past --resume-reread-max-mb). A child killed mid-file reports nothing: its re-read is not counted', labelNames: ['how'], registers: [this.registry] });
  readonly paused = new Gauge({ name: 'supervisor_dispatch_paused', help: '1 while dispatch is paused by the pod budget', registers: [this.registry] });
  readonly unreachable = new Gauge({ name: 'supervisor_service_unreachable', help: '1 while the supervisor holds Drive or S3 unreachable (dispatch paused, probing)', labelNames: ['service'], registers: [this.registry] });
  readonly outagePauses = new Counter({ name: 'supervisor_outage_pauses_total', help: 'Times dispatch paused because Drive or S3 did not answer its probe', labelNames: ['service'], registers: [this.registry] });

  #readPace: PaceReading | null = null;
  #refusedCounted = 0;
  readonly #refusedCountedBySubject = new Map<string, number>();
  // prom-client calls collect() before it serializes the registry: the pace is read at each scrape.
  readonly paceRate = new Gauge({ name: 'supervisor_drive_pace_rate', help: 'Drive requests per second the shared pace allows now (adaptive, under --drive-tps)', registers: [this.registry], collect: () => this.#samplePace() });
  readonly paceCeiling = new Gauge({ name: 'supervisor_drive_pace_ceiling', help: 'The ceiling of the Drive pace (--drive-tps)', registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'supervisor_drive_rate_limited_total', help: 'Drive requests refused for the rate (403 rate-limit reasons, 429)', registers: [this.registry] });
  // An organisation run's pace per user (issue 23); the label's values are the run's subjects, fixed before the listing.
  readonly subjectPaceRate = new Gauge({ name: 'supervisor_drive_pace_subject_rate', help: 'Drive requests per second one user\'s pace allows now (an organisation run: a pace per user, a shared drive paced as its organizer)', labelNames: ['subject'], registers: [this.registry] });
  readonly subjectRateLimited = new Counter({ name: 'supervisor_drive_rate_limited_subject_total', help: 'Drive requests refused for the rate, by the user they were made as (an organisation run)', labelNames: ['subject'], registers: [this.registry] });

  #sync: SyncStatus | null = null;
  // Read from the run's SyncStatus at each scrape, between --watch passes too (sync-status.ts).
  readonly syncLag = new Gauge({ name: 'supervisor_sync_lag_seconds', help: 'Seconds since the last completed pass read Drive (every change before that is in S3); -1 before any pass completed on this journal', registers: [this.registry], collect: () => this.#sampleSync() });
  readonly syncPending = new Gauge({ name: 'supervisor_sync_changes_pending', help: 'Files the running pass has still to apply (pending or in flight in the journal)', registers: [this.registry] });
  readonly syncPassFiles = new Gauge({ name: 'supervisor_sync_pass_files', help: 'Files of the last completed pass, by kind: new, changed, moved (renamed or moved), deleted (gone from Drive); a full pass counts only deleted', labelNames: ['kind'], registers: [this.registry] });
  readonly syncPasses = new Counter({ name: 'supervisor_sync_passes_total', help: 'Passes completed by this process, by kind (full, delta)', labelNames: ['kind'], registers: [this.registry] });
  readonly #passesCounted = { full: 0, delta: 0 };
  readonly syncRunning = new Gauge({ name: 'supervisor_sync_pass_running', help: '1 while a pass runs, 0 between --watch passes', registers: [this.registry] });
  readonly watchInterval = new Gauge({ name: 'supervisor_sync_watch_interval_seconds', help: 'The pause between --watch passes (--watch-interval-s); 0 without --watch', registers: [this.registry] });

  constructor(plan: MemoryPlan) {
    collectDefaultMetrics({ register: this.registry, prefix: 'supervisor_process_' });
    this.childCap.set({ tier: 'soft' }, plan.childSoftMb * MB);
    this.childCap.set({ tier: 'hard' }, plan.childHardMb * MB);
    this.budget.set({ line: 'budget' }, plan.budgetMb * MB);
    this.budget.set({ line: 'pause' }, plan.pauseAtMb * MB);
    this.budget.set({ line: 'recycle' }, plan.recycleAtMb * MB);
    for (const status of ['done', 'skipped', 'failed']) this.files.inc({ status }, 0);
    for (const how of ['rehash', 'restart']) this.resumeReread.inc({ how }, 0);
    for (const service of ['drive', 's3']) {
      this.unreachable.set({ service }, 0);
      this.outagePauses.inc({ service }, 0);
    }
  }

  onOutage(service: string, down: boolean): void {
    this.unreachable.set({ service }, down ? 1 : 0);
    if (down) this.outagePauses.inc({ service });
  }

  onSample(s: MemorySample, queueDepth: number): void {
    this.childMemory.reset();
    for (const c of s.children) {
      this.childMemory.set({ child: String(c.id), kind: 'uss' }, c.ussBytes);
      this.childMemory.set({ child: String(c.id), kind: 'rss' }, c.rssBytes);
    }
    this.pod.set({ source: 'charged' }, s.chargedBytes);
    this.pod.set({ source: 'shared' }, s.sharedBytes);
    this.pod.set({ source: 'tree_rss' }, s.treeRssBytes);
    this.pod.set({ source: 'supervisor_rss' }, s.supervisorRssBytes);
    this.pod.set({ source: 'supervisor_uss' }, s.supervisorUssBytes);
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

  /** The paces' figures, read at each scrape: the total, and each named user's (none in a one-drive run). */
  watchPace(read: PaceReading): void {
    this.#readPace = read;
    this.#samplePace();
  }

  #samplePace(): void {
    const read = this.#readPace;
    if (!read) return;
    const p = read.total();
    this.paceRate.set(p.rate);
    this.paceCeiling.set(p.ceiling);
    if (p.refused > this.#refusedCounted) this.rateLimited.inc(p.refused - this.#refusedCounted);
    this.#refusedCounted = p.refused;
    for (const { subject, rate, refused } of read.perSubject()) {
      if (subject === '') continue; // the run's own identity: the totals above say it all
      this.subjectPaceRate.set({ subject }, rate);
      const counted = this.#refusedCountedBySubject.get(subject) ?? 0;
      this.subjectRateLimited.inc({ subject }, refused - counted);
      this.#refusedCountedBySubject.set(subject, refused);
    }
  }

  /** Every result of a child, failed attempts that are retried included. */
  onResult(outcome: ItemOutcome): void {
    const reread = resumeRereadOf(outcome);
    this.resumeReread.inc({ how: 'rehash' }, reread.rehash);
    this.resumeReread.inc({ how: 'restart' }, reread.restart);
  }

  /** The sync's figures (lag, pending, the last pass), read at each scrape. */
  watchSync(status: SyncStatus): void {
    this.#sync = status;
    this.#sampleSync();
  }

  #sampleSync(): void {
    const status = this.#sync;
    if (status === null) return;
    const v = status.view();
    this.syncLag.set(v.lagS ?? -1);
    this.syncPending.set(v.pending);
    this.syncRunning.set(v.running === null ? 0 : 1);
    this.watchInterval.set(status.watchIntervalS);
    for (const kind of ['full', 'delta'] as const) {
      this.syncPasses.inc({ kind }, v.passes[kind] - this.#passesCounted[kind]);
      this.#passesCounted[kind] = v.passes[kind];
    }
    for (const kind of ['new', 'changed', 'moved', 'deleted'] as const) this.syncPassFiles.set({ kind }, v.last?.[kind] ?? 0);
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
