// `supervisor run`: the memory plan, preflight, the journal, the listing and the supervisor, wired
// together; then clean-up, the report and the exit code.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Settings } from '../config/settings.js';
import { parseShard } from '../config/shard.js';
import { orgShardFilter } from '../config/drive-shards.js';
import { ExitCode } from '../exit-codes.js';
import { PreflightError } from '../errors.js';
import { joinPacer } from '../source/drive/shared-pace.js';
import { OWN_SUBJECT, PaceBook, paceSubjectOf } from '../source/drive/pace-book.js';
import { createPacer } from '../source/drive/pacer.js';
import { resolveRoot } from '../source/drive/lister.js';
import { normalizePrefix } from '../keys/key-mapper.js';
import { Journal } from '../journal/journal.js';
import type { JournalCounts } from '../journal/types.js';
import { leaseHeartbeatMs } from '../journal/lease.js';
import { isDiskFull, journalFull } from '../journal/disk-full.js';
import { createCliLogger } from '../observability/cli-logger.js';
import type { Logger } from '../observability/logger.js';
import { Metrics, startMetricsServer } from '../observability/metrics.js';
import { ProgressReporter } from '../observability/progress.js';
import { SyncStatus } from '../observability/sync-status.js';
import { formatSummary, resumeRereadOf, writeReport } from '../observability/report.js';
import type { ResumeReread, RunSummary } from '../observability/report.js';
import { abortIncompleteUploads } from '../target/s3/multipart-cleanup.js';
import { itemBufferBytes } from './item-buffer-bound.js';
import { preflightS3 } from '../target/s3/preflight.js';
import { createS3Client } from '../target/s3/s3-client.js';
import { describeMemoryPlan } from '../supervisor/memory-plan.js';
import type { MemoryPlan } from '../supervisor/memory-plan.js';
import { Supervisor } from '../supervisor/supervisor.js';
import type { RunOutcome } from '../supervisor/supervisor.js';
import { copyOptionsToJson } from '../copy/copy-options.js';
import { JournalWorkSource } from './journal-work-source.js';
import type { ListingProgress } from './listing-task.js';
import { finishPass, passCounts, passLine, passReport, runPass } from './sync-pass.js';
import type { PassFinish, PassResult } from './sync-pass.js';
import { planMemory, warnUnlessHeapCapped } from './memory-setup.js';
import { DownloadQuotaStreak, runStopByItem, runStopByListing, runStopExitCode, runStopLine } from './run-stop.js';
import type { RunStop } from './run-stop.js';
import { JournalWriteGuard } from './journal-write-guard.js';
import { OutageLog, outageLine, outageOptions } from './outage.js';
import { copyOptionsFor, driveClientFor, s3TargetFor } from './source-target.js';
import type { Extras } from './source-target.js';
import { journalIdentity } from './journal-identity.js';
import { throttled } from './throttled.js';
import { isOrgRun } from '../config/org-settings.js';
import { drivePaceReport, listedPrefixes, nextPassKind, orgOutcome, orgPassOf, orgProbeDrive, resolveOrgRun, syncedAt } from './org-run.js';
import type { OrgRun } from './org-run.js';
import { sourceRowsCsvPath, writeSourceRowsCsv } from './source-rows.js';
import { catchWatchSignals, waitBetweenPasses } from './watch.js';

// The bundle of src/copy/copy-processor.ts that `npm run build` writes (build/bundle.ts says why).
export const PROCESSOR_PATH = fileURLToPath(new URL('../bundle/copy-processor.js', import.meta.url));
const MIB = 1024 * 1024;
// Files in a row refused for Drive's download quota that mean the user's daily limit, not one file's.
const DOWNLOAD_QUOTA_STREAK = 3;

/** The live display's hook: `above` writes a line above the block (observability/progress.ts), or just writes it. */
interface LiveBlock {
  above: (write: () => void) => void;
}

export interface RunOptions extends Extras {
  retryFailed?: boolean;
  log?: Logger;
}

function progressMode(s: Settings): 'tty' | 'log' | 'off' {
  if (s.progress === 'auto') return process.stderr.isTTY ? 'tty' : 'log';
  return s.progress;
}

export async function runMigration(settings: Settings, options: RunOptions = {}): Promise<number> {
  const startedAt = new Date();
  const mode = progressMode(settings);
  // With the live display on the terminal, routine info lines would tear it apart: keep warnings only.
  const level = mode === 'tty' && settings.logLevel === 'info' ? 'warn' : settings.logLevel;
  // The live block is drawn later; a log line is printed above it (late-bound: the logger comes first).
  const liveBlock: LiveBlock = { above: (write) => write() };
  const log = options.log ?? createCliLogger({ level, pretty: settings.logPretty, base: { role: 'supervisor' }, ...(mode === 'tty' ? { aroundLine: (write) => liveBlock.above(write) } : {}) });

  // Settings the run cannot start without are refused before anything is printed: one line, not a page.
  const target = s3TargetFor(settings);
  const shard = parseShard(settings.shard, process.env);
  const org = isOrgRun(settings);
  const inShard = orgShardFilter(settings, org ? shard : null);
  const drive = org ? orgProbeDrive(settings, options) : driveClientFor(settings, options);
  const plan = planMemory(settings);
  if (Number(process.versions.node.split('.')[0]) < 22) {
    log.warn({ node: process.versions.node }, 'AWS SDK releases after January 2027 need Node >= 22 (the container image runs Node 22)');
  }
  log.info({ plan }, 'memory plan');
  process.stderr.write(`${describeMemoryPlan(plan)}\n`);
  warnUnlessHeapCapped(plan, log);

  const s3 = createS3Client(target, { maxSockets: 4, ...(options.s3Credentials ? { credentials: options.s3Credentials } : {}) });
  const health = { ready: false };
  // Metrics cost timers and event-loop monitors: only when someone can scrape them.
  const metrics = settings.metricsPort > 0 ? new Metrics(plan) : null;
  const server = metrics ? await startMetricsServer(metrics, health, { port: settings.metricsPort, host: settings.metricsHost }) : null;
  if (server) log.info({ port: server.port }, 'metrics on /metrics, health on /healthz and /readyz');
  const sync = new SyncStatus(settings.watch ? settings.watchIntervalS : 0);
  metrics?.watchSync(sync);

  let journal: Journal | null = null;
  let watchSignals: ReturnType<typeof catchWatchSignals> | null = null;
  try {
    // Preflight, before any child starts: each problem is one line and exit 2 (thrown as PreflightError).
    const orgRun = org ? await resolveOrgRun(settings, options, normalizePrefix(target.prefix), inShard, shard, log) : null;
    const root = orgRun !== null ? { id: 'root' } : await resolveRoot({ drive: drive.drive, rootFolderId: settings.driveFolderId, ...(settings.sharedDriveId ? { sharedDriveId: settings.sharedDriveId } : {}) });
    // The write probe writes a marker object: a run that may be an idle delta (a journal exists) defers it (probeWrite).
    const mayBeDelta = !settings.fresh && !settings.full && existsSync(settings.state);
    await preflightS3(s3, target, undefined, mayBeDelta ? 'bucket' : 'all');
    log.info({ root: root.id, bucket: target.bucket, prefix: target.prefix }, 'preflight passed');

    journal = Journal.open(settings.state, journalIdentity(settings, root.id, target, shard), { fresh: settings.fresh });
    // A drive this run did not select is neither handed out nor requeued: its rows stay as they are.
    if (orgRun !== null) journal.scope.set(orgRun.prefixes);
    const recovered = journal.recoverInterrupted();
    if (recovered > 0) log.info({ recovered }, 'items in progress when the last run stopped are pending again');
    if (options.retryFailed) log.info({ items: journal.retryFailed() }, 'failed items put back to pending');
    else requeueTransient(journal, settings, log);
    // Not a delta, or files left to copy: probe now; a delta probes once it knows it has changes (sync-pass.ts).
    // The write probe, at most once per process: already made (by preflightS3 above) unless deferred.
    let probed: Promise<unknown> | null = mayBeDelta ? null : Promise.resolve();
    const probeWrite = async (): Promise<void> => {
      await (probed ??= preflightS3(s3, target, undefined, 'write'));
    };
    if (mayBeDelta && (nextPassKind(journal, orgRun, settings.full) === 'full' || unapplied(journal.counts()) > 0)) await probeWrite();
    health.ready = true;
    const open = journal;
    sync.syncedAt = syncedAt(open, orgRun);
    // Installed right before the first pass, whose own handlers follow in the same turn (copy()).
    if (settings.watch) watchSignals = catchWatchSignals();
    let code = await copy({ settings, options, log, plan, target, shard, drive, s3, journal, metrics, sync, rootId: root.id, mode, liveBlock, startedAt, probeWrite, orgRun });
    // --watch: another (delta) pass every --watch-interval-s until a signal (watch.ts).
    while (settings.watch && (code === ExitCode.Ok || code === ExitCode.SomeFailed)) {
      log.info({ seconds: settings.watchIntervalS, sync: sync.view() }, 'watching: next pass after the interval');
      const signal = watchSignals?.signal ?? (await waitBetweenPasses(settings.watchIntervalS, () => void open.renewLease()));
      if (signal !== null) return signal === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Terminated;
      // Each pass is a run: a file failed for a transient reason gets another, as a new `run` gives it.
      if (!options.retryFailed) requeueTransient(open, settings, log);
      code = await copy({ settings, options, log, plan, target, shard, drive, s3, journal, metrics, sync, rootId: root.id, mode, liveBlock, startedAt: new Date(), probeWrite, orgRun });
    }
    return code;
  } catch (err) {
    // A write refused before the run's guard (copy()) was in place: the volume was already full.
    if (isDiskFull(err)) throw journalFull(settings.state, err);
    throw err;
  } finally {
    watchSignals?.dispose();
    closeJournal(journal);
    s3.destroy();
    await server?.close();
  }
}

/** A plain run continues: transient failures get another run, up to --max-runs-per-file (issue 20). */
function requeueTransient(journal: Journal, settings: Settings, log: Logger): void {
  const requeued = journal.requeueTransientFailures(settings.maxRunsPerFile);
  if (requeued > 0) log.info({ items: requeued, maxRunsPerFile: settings.maxRunsPerFile }, 'files that failed for a transient reason are pending again');
}

/** Close the journal; on a full volume its last write (the lease) may be refused: the next run takes the lease over. */
function closeJournal(journal: Journal | null): void {
  try {
    journal?.close();
  } catch (err) {
    if (!isDiskFull(err)) throw err;
  }
}

interface CopyContext {
  settings: Settings;
  options: RunOptions;
  log: Logger;
  plan: MemoryPlan;
  target: ReturnType<typeof s3TargetFor>;
  shard: ReturnType<typeof parseShard>;
  drive: ReturnType<typeof driveClientFor>;
  s3: ReturnType<typeof createS3Client>;
  journal: Journal;
  metrics: Metrics | null;
  sync: SyncStatus;
  rootId: string;
  mode: 'tty' | 'log' | 'off';
  liveBlock: LiveBlock;
  startedAt: Date;
  /** The S3 write probe of the preflight, made once per process (a PreflightError, exit 2, like the rest of it). */
  probeWrite: () => Promise<void>;
  /** An organisation run's drives (org-run.ts); null for one folder or shared drive. */
  orgRun: OrgRun | null;
}

/** Files a pass has still to apply to S3. */
function unapplied(counts: JournalCounts): number {
  return counts.byStatus.pending.files + counts.byStatus['in-progress'].files;
}

async function copy(c: CopyContext): Promise<number> {
  const { settings, log, plan, target, journal, metrics } = c;
  const estimate = (item: { size: number | null }): number => itemBufferBytes(item.size, settings);
  const guard = new JournalWriteGuard(settings.state);
  // An organisation run takes each drive's files in turn (issue 23): one giant Drive does not starve the rest.
  const source = new JournalWorkSource(journal, estimate, guard, c.orgRun?.prefixes ?? []);
  const listingAbort = new AbortController();
  // One pace per Drive user the run acts as (one for a one-drive run): the lister and every child share it.
  const paces = new PaceBook(settings.driveTps);
  // Each pass lists every drive again as its own identity; the drives it could not list end up here.
  const orgPass = c.orgRun === null ? null : orgPassOf(c.orgRun, settings, c.options, paces);
  // An organisation run's credentials and download quota are each user's: one user's refusal fails that user's files, not the run.
  const stopsRun = orgPass === null;
  const supervisor = new Supervisor(source, {
    pace: { subjectOf: (item) => paceSubjectOf(item.payload), join: (subject, id, apply) => paces.join(subject, id, apply), report: (subject, answered, refused, retryAfterMs) => paces.report(subject, answered, refused, retryAfterMs) },
    plan,
    processorPath: PROCESSOR_PATH,
    processorOptions: copyOptionsToJson(copyOptionsFor(settings, plan, target, c.options)),
    batchFiles: settings.batchFiles,
    batchMb: settings.batchMb,
    // Every item at the configured part size: its parts come from the child's shared buffers (copy/part-buffers.ts).
    partBufferItemBytes: estimate({ size: null }),
    maxAttempts: settings.maxAttempts,
    maxItemsPerChild: settings.maxItemsPerChild,
    rssPollMs: settings.rssPollMs,
    shutdownGraceMs: settings.shutdownGraceS * 1000,
    startupTimeoutMs: settings.startupTimeoutS * 1000,
    crashLoopLimit: settings.crashLoopLimit,
    queueLength: settings.queueLength,
    recycleStaggerMs: settings.recycleStaggerMs,
    logLevel: log.level,
    log,
    // The children's lines, too, go above the live block rather than straight onto the terminal.
    ...(c.mode === 'tty' ? { childOutput: (stream, lines) => c.liveBlock.above(() => void process[stream].write(lines)) } : {}),
    stopOnFailure: (error) => {
      const stop = stopsRun ? runStopByItem(error) : null;
      if (stop !== null) stopRun(stop);
      return stop?.detail ?? null;
    },
    outage: outageOptions({ drive: c.drive.drive, rootId: c.rootId, s3: c.s3, bucket: target.bucket, timeoutS: settings.outageTimeoutS }),
  });

  // A failure every file would meet (run-stop.ts): the first one, for the exit code and line.
  let runStop: RunStop | null = null;
  const stopRun = (stop: RunStop): void => {
    if (runStop !== null) return;
    runStop = stop;
    log.error({ kind: stop.kind, detail: stop.detail }, 'stopping: files not copied stay pending');
    listingAbort.abort();
    void supervisor.shutdown(stop.kind === 'credentials' ? 'drive credentials refused' : 'drive download quota used up');
  };
  const quota = new DownloadQuotaStreak(DOWNLOAD_QUOTA_STREAK);
  const resumeReread: ResumeReread = { rehash: 0, restart: 0 };
  supervisor.on('item-result', ({ outcome }) => {
    const add = resumeRereadOf(outcome);
    resumeReread.rehash += add.rehash;
    resumeReread.restart += add.restart;
  });
  supervisor.on('item-settled', ({ item, outcome }) => {
    const tripped = stopsRun ? quota.settled(item.id, outcome) : null;
    if (tripped === null) return;
    for (const id of tripped.ids) guard.run(() => journal.unfail(id, tripped.stop.detail), undefined);
    stopRun(tripped.stop);
  });
  guard.onFull(() => {
    log.error({ state: settings.state }, 'the journal volume is full: stopping, nothing more is written');
    listingAbort.abort();
    void supervisor.shutdown('journal volume full');
  });
  const outages = new OutageLog();
  supervisor.on('outage', ({ service, down, since }) => {
    outages.changed(service, down, since);
    metrics?.onOutage(service, down);
  });
  if (metrics) {
    metrics.watchPace(paces);
    supervisor.on('sample', (s) => metrics.onSample(s, supervisor.queueDepth));
    supervisor.on('recycle', (r) => metrics.recycles.inc({ reason: r.reason }));
    supervisor.on('paused', (p) => metrics.paused.set(p ? 1 : 0));
    supervisor.on('item-settled', ({ outcome }) => metrics.onSettled(outcome));
    supervisor.on('item-result', ({ outcome }) => metrics.onResult(outcome));
  }

  const runId = journal.startRun();
  const listing: ListingProgress = { listed: 0, skipped: 0, pages: 0 };
  let listingComplete = false;
  let listingError: unknown = null;
  let preflightError: PreflightError | null = null;
  // A full listing, or a delta pass from the journal's change token (sync-pass.ts, issue 22).
  let pass: PassResult | null = null;
  c.sync.running = nextPassKind(journal, c.orgRun, settings.full);
  // An organisation pass paces each drive's listing by its subject's pace (org-pass.ts): this pacer is the one-drive lister's.
  const lister = orgPass ? { pacer: createPacer({ tps: Number.POSITIVE_INFINITY }), leave: (): void => undefined } : joinPacer(paces.pace(OWN_SUBJECT), 'lister');
  paces.start();
  const listingDone = runPass({
    settings,
    drive: c.drive,
    journal,
    guard,
    rootId: c.rootId,
    prefix: normalizePrefix(target.prefix),
    pacer: lister.pacer,
    shard: c.shard,
    log,
    signal: listingAbort.signal,
    progress: listing,
    outage: supervisor.serviceHealth(),
    copy: { s3: c.s3, target },
    beforeWrite: c.probeWrite,
    notify: () => source.notify(),
    ...(orgPass ? { org: orgPass } : {}),
  }).finally(lister.leave).then(
    (result) => {
      pass = result;
      c.sync.running = result.kind; // a refused token made it a full pass
      listingComplete = true;
      log.info({ listed: listing.listed, skipped: listing.skipped, pages: listing.pages }, 'listing complete');
      source.notify(true);
    },
    (err: unknown) => {
      if (listingAbort.signal.aborted) return;
      // The deferred S3 write probe (probeWrite) failed: the run ends with its one line and exit 2.
      if (err instanceof PreflightError) {
        preflightError = err;
        void supervisor.shutdown('S3 preflight failed');
        return;
      }
      const stop = runStopByListing(err);
      if (stop !== null) {
        stopRun(stop);
        return;
      }
      // Without a complete listing nothing may be called finished: stop, keep what is done, rerun later.
      log.error({ err }, 'listing failed');
      listingError = err;
      void supervisor.shutdown('listing failed');
    },
  );

  const journalCounts = throttled(() => journal.counts(), 2000);
  c.sync.pendingFiles = () => unapplied(journalCounts());
  const progress = new ProgressReporter({
    mode: c.mode,
    intervalMs: settings.progressIntervalS * 1000,
    plan,
    log,
    snapshot: () => {
      const counts = journalCounts();
      const sample = supervisor.lastSample;
      return {
        phase: listingComplete ? 'copying' : 'listing',
        listingComplete,
        filesTotal: counts.total.files,
        filesDone: counts.byStatus.done.files,
        filesSkipped: counts.byStatus.skipped.files,
        filesFailed: counts.byStatus.failed.files,
        bytesTotal: counts.total.bytes,
        // Large files take a while: count what their children have read so far, not only finished files.
        bytesDone: counts.byStatus.done.bytes + supervisor.inFlightBytes(),
        children: supervisor.childViews(),
        recycles: supervisor.stats.recycles,
        chargedBytes: sample?.chargedBytes ?? 0,
        treeRssBytes: sample?.treeRssBytes ?? 0,
        paused: supervisor.isPaused,
        outage: outages.current(),
        drivePace: paces.total(),
        sync: c.sync.view(),
      };
    },
  });
  c.liveBlock.above = (write) => progress.above(write);
  progress.start();

  let signal: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signal === null) log.warn({ signal: sig }, 'stopping: children checkpoint and stop; rerun to continue');
    signal ??= sig;
    listingAbort.abort();
    void supervisor.shutdown(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The journal's lease (journal/lease.ts): renewed while this run lasts. Lost means another supervisor
  // judged this one gone and took the journal over: stop rather than run two copies of the same files.
  let leaseLost = false;
  const heartbeat = setInterval(() => {
    if (guard.run(() => journal.renewLease(), true) || leaseLost) return;
    leaseLost = true;
    log.error({ state: settings.state }, 'another supervisor took this journal over: stopping');
    listingAbort.abort();
    void supervisor.shutdown('journal lease lost');
  }, leaseHeartbeatMs());
  heartbeat.unref();

  let outcome: RunOutcome;
  try {
    outcome = await supervisor.run();
  } finally {
    clearInterval(heartbeat);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.stop();
    paces.stop();
    listingAbort.abort();
  }
  await listingDone;
  const deferredPreflight = preflightError as PreflightError | null; // set in a callback: not narrowed to null
  if (deferredPreflight !== null) throw deferredPreflight;

  let uploadsAborted = 0;
  if (outcome === 'completed' && listingError === null) {
    // A finished run leaves no incomplete uploads: abort those under the prefix no journal row still needs.
    const prefix = target.prefix ? `${target.prefix}/` : '';
    const cleanup = await abortIncompleteUploads(c.s3, target.bucket, prefix, journal.uploadIdsInUse());
    uploadsAborted = cleanup.aborted;
    if (!cleanup.supported) log.warn('this S3 store cannot list multipart uploads: incomplete uploads were not checked');
  }

  // The pass is complete: --deletes, then the token the next delta starts from (sync-pass.ts).
  let passFinish: PassFinish | null = null;
  const finishedPass = pass as PassResult | null; // set in a callback: not narrowed to null
  if (finishedPass !== null && outcome === 'completed' && listingError === null && runStop === null && guard.failure === null && !leaseLost) {
    // A manifest for each drive this pass read; one it could not list keeps the manifest it had.
    const drives = c.orgRun && orgPass ? listedPrefixes(c.orgRun, orgPass) : undefined;
    passFinish = await finishPass({ settings, journal, guard, log, s3: c.s3, bucket: target.bucket, shard: drives ? null : c.shard, ...(drives ? { drives } : {}) }, finishedPass);
    // The token is stored only when every delete went through: only then is the sync caught up to the pass.
    if (passFinish.deleteFailed === 0) c.sync.passCompleted(finishedPass.kind, finishedPass.readAt, passCounts(finishedPass));
  }

  const counts = journal.counts();
  c.sync.passEnded(unapplied(counts));
  // An organisation run answers for the drives it selected: another drive's old failures are not this run's.
  const orgRows = orgPass ? orgOutcome(journal, normalizePrefix(target.prefix), orgPass) : null;
  const failed = orgRows?.failed ?? counts.byStatus.failed.files;
  const exitCode =
    guard.failure !== null ? ExitCode.JournalFull
    : leaseLost ? ExitCode.Busy
    : runStop !== null ? runStopExitCode(runStop)
    : supervisor.outageStop !== null ? ExitCode.ServiceUnavailable
    : signal === 'SIGINT' ? ExitCode.Interrupted
    : signal !== null ? ExitCode.Terminated
    : listingError !== null ? ExitCode.SomeFailed
    : failed > 0 ? ExitCode.SomeFailed
    : ExitCode.Ok;
  guard.run(() => journal.finishRun(runId, { bytes: supervisor.stats.bytesDone, files: supervisor.stats.settled.done, exitCode }), undefined);
  const summary: RunSummary = {
    outcome,
    exitCode,
    startedAt: c.startedAt,
    finishedAt: new Date(),
    stats: supervisor.stats,
    plan,
    listing: { listed: listing.listed, skipped: listing.skipped, complete: listingComplete },
    uploadsAborted,
    outages: outages.finish(),
    journalCounts: counts,
    resumeReread,
    ...drivePaceReport(paces, orgPass !== null),
    ...(orgRows ? { sourceFailures: orgRows.sourceFailures, sources: orgRows.sources } : {}),
    ...(finishedPass !== null ? { pass: passReport(finishedPass, passFinish, settings.deletes) } : {}),
  };
  process.stderr.write(`${formatSummary(summary, journal)}\n`);
  // Only for a finished pass: a stopped run keeps its one stop line (the next run repeats the pass).
  if (finishedPass !== null && passFinish !== null) process.stderr.write(`supervisor: ${passLine(finishedPass, passFinish)}\n`);
  if (settings.report) await writeReport(settings.report, summary, journal);
  if (settings.report && summary.sources) await writeSourceRowsCsv(sourceRowsCsvPath(settings.report), summary.sources);
  if (guard.failure !== null) process.stderr.write(`supervisor: ${guard.failure.message}\n`);
  else if (runStop !== null) process.stderr.write(runStopLine(runStop, counts.byStatus.pending.files));
  else if (supervisor.outageStop !== null) process.stderr.write(outageLine(supervisor.outageStop.service, supervisor.outageStop.sinceMs, counts.byStatus.pending.files));
  log.info({ exitCode, outcome, recycles: supervisor.stats.recycles, peakChargedMb: Math.round(supervisor.stats.peakChargedBytes / MIB), peakTreeRssMb: Math.round(supervisor.stats.peakTreeRssBytes / MIB) }, 'run finished');
  return exitCode;
}
