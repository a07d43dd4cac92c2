// The final report: a human summary on stderr and, with --report PATH, a JSON file with totals, duration,
// throughput, peak memory, recycles by reason, and every skipped or failed file with its reason.
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { JournalReader } from '../journal/journal-reader.js';
import type { JournalCounts } from '../journal/types.js';
import type { ItemOutcome } from '../ipc/protocol.js';
import type { SupervisorStats } from '../supervisor/supervisor.js';
import type { MemoryPlan } from '../supervisor/memory-plan.js';
import type { PaceTotal } from '../source/drive/pace-book.js';
import { formatBytes, formatDuration, mb } from './format.js';
import { makePrivateDir, privateWriteStream } from '../private-files.js';

/** One time Drive or S3 did not answer and dispatch paused (issue 20 point 5). */
export interface OutageRecord {
  service: string;
  /** When the first failure blaming it was seen. */
  startedAt: Date;
  /** Until it answered again, or until the run ended (resolved: false). */
  durationMs: number;
  resolved: boolean;
}

/** An organisation run's row for one user or shared drive (app/source-rows.ts fills it). */
export interface SourceRow {
  /** users/<email> or shared-drives/<name>. */
  source: string;
  kind: 'user' | 'shared-drive';
  /** The identity its files were read as; null when none could be. */
  subject: string | null;
  /** failed: the drive could not be listed (reason says why), so none of its files are here. */
  status: 'listed' | 'failed';
  reason: string | null;
  files: number;
  bytes: number;
  pending: number;
  skipped: Record<string, number>;
  failed: Record<string, number>;
  /** A user's, with --shared-with-me: the part of files and bytes copied under `Shared with me/` (counted in both). */
  sharedWithMe?: { files: number; bytes: number };
}

export interface RunSummary {
  outcome: 'completed' | 'interrupted' | 'crash-loop';
  exitCode: number;
  startedAt: Date;
  finishedAt: Date;
  stats: SupervisorStats;
  plan: MemoryPlan;
  listing: { listed: number; skipped: number; complete: boolean };
  uploadsAborted: number;
  outages: OutageRecord[];
  /** The journal's counts at the end (a full scan: taken once, by the caller). */
  journalCounts: JournalCounts;
  /** Full or delta pass and what --deletes did or would do (app/sync-pass.ts passReport). */
  pass?: Record<string, unknown>;
  /** The shared Drive pace at the end (source/drive/shared-pace.ts); an organisation run's users' total (PaceTotal). */
  drivePace?: DrivePaceFigures | PaceTotal;
  /** An organisation run's pace per user (a shared drive is read as, and paced with, its organizer). */
  drivePaceBySubject?: Record<string, DrivePaceFigures>;
  resumeReread: ResumeReread;
  /** An organisation run's drives that could not be listed, and why (app/org-pass.ts). */
  sourceFailures?: { source: string; reason: string }[];
  /** An organisation run's rows per user and shared drive (app/source-rows.ts), also written as CSV beside the report. */
  sources?: SourceRow[];
}

export interface DrivePaceFigures {
  ceiling: number;
  rate: number;
  lowestRate: number;
  highestRate: number;
  answered: number;
  refused: number;
  cuts: number;
  raises: number;
}

/**
 * Bytes Drive served again because of resumes, as each result reports them, failed attempts included (a child
 * killed mid-file reports nothing) (copy/copy-item.ts): `rehash`,
 * an uploaded prefix read again to rebuild its checksum (no saved hash state); `restart`, an uploaded prefix
 * given up past --resume-reread-max-mb, read and uploaded again.
 */
export interface ResumeReread {
  rehash: number;
  restart: number;
}

/**
 * What one file's result adds to ResumeReread, failed ones included (a failed attempt's bytes were served
 * all the same); a child killed mid-copy reports nothing, so its re-read is not counted.
 */
export function resumeRereadOf(outcome: ItemOutcome): ResumeReread {
  const { detail } = outcome;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return { rehash: n(detail.rehashedBytes), restart: n(detail.restartedBytes) };
}

export function summaryFigures(s: RunSummary): Record<string, number | string | boolean> {
  const seconds = Math.max(0.001, (s.finishedAt.getTime() - s.startedAt.getTime()) / 1000);
  const st = s.stats;
  const files = st.settled.done + st.settled.skipped + st.settled.failed;
  return {
    durationS: Number(seconds.toFixed(1)),
    mbPerS: Number((st.bytesDone / 1024 / 1024 / seconds).toFixed(2)),
    filesPerS: Number((files / seconds).toFixed(1)),
    peakChargedMb: mb(st.peakChargedBytes),
    peakTreeRssMb: mb(st.peakTreeRssBytes),
    peakChildUssMb: mb(st.peakChildUssBytes),
    peakChildRssMb: mb(st.peakChildRssBytes),
    peakSupervisorRssMb: mb(st.peakSupervisorRssBytes),
    peakCgroupMb: mb(st.peakCgroupBytes),
    budgetMb: s.plan.budgetMb,
  };
}

export function formatSummary(s: RunSummary, journal: JournalReader): string {
  const f = summaryFigures(s);
  const st = s.stats;
  const counts = s.journalCounts;
  const recycles = Object.entries(st.recycles).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
  const { rehash, restart } = s.resumeReread;
  const lines = [
    `run ${s.outcome} in ${formatDuration((f.durationS as number) * 1000)} (exit ${s.exitCode})`,
    `  this run: ${st.settled.done} copied (${formatBytes(st.bytesDone)}), ${st.settled.skipped} skipped, ${st.settled.failed} failed; ${f.mbPerS} MB/s, ${f.filesPerS} files/s`,
    `  journal: ${counts.byStatus.done.files} done, ${counts.byStatus.skipped.files} skipped, ${counts.byStatus.failed.files} failed, ${counts.byStatus.pending.files + counts.byStatus['in-progress'].files} remaining of ${counts.total.files}`,
    `  memory: peak charged ${f.peakChargedMb} MB (tree RSS ${f.peakTreeRssMb} MB; supervisor RSS ${f.peakSupervisorRssMb} MB, largest child ${f.peakChildUssMb} MB own / ${f.peakChildRssMb} MB RSS), ${s.plan.containerLimitMb === null ? 'no container limit' : `cgroup ${f.peakCgroupMb} MB of ${s.plan.containerLimitMb} MB`}; budget ${s.plan.budgetMb} MB`,
    `  recycles: ${recycles}; children started ${st.childrenSpawned}`,
    ...s.outages.map((o) => `  outage: ${o.service} unreachable from ${o.startedAt.toISOString()} for ${formatDuration(o.durationMs)}${o.resolved ? '' : ' (still down at the end)'}`),
  ];
  if (rehash + restart > 0) lines.push(`  resumes read again from Drive: ${formatBytes(rehash)} to rebuild checksums, ${formatBytes(restart)} of uploads started afresh (--resume-reread-max-mb)`);
  const p = s.drivePace;
  if (p) lines.push(`  drive pace: ${p.rate} requests/s at the end (${'subjects' in p ? `${p.subjects} users, ceiling ${p.ceiling} each, ${p.cuts} cuts` : `ceiling ${p.ceiling}, lowest ${p.lowestRate}`}); ${p.refused} of ${p.answered + p.refused} requests refused for the rate`);
  for (const [subject, q] of Object.entries(s.drivePaceBySubject ?? {})) lines.push(`    as ${subject}: ${q.rate} requests/s at the end (lowest ${q.lowestRate}, ${q.cuts} cuts); ${q.refused} of ${q.answered + q.refused} refused`);
  for (const fail of s.sourceFailures ?? []) lines.push(`  failed drive: ${fail.source}: ${fail.reason} (none of its files copied)`);
  for (const fail of journal.failures(20)) lines.push(`  failed: ${fail.path} (${fail.driveId}): ${fail.reason}`);
  if (counts.byStatus.failed.files > 20) lines.push(`  … ${counts.byStatus.failed.files - 20} more failures in the report / \`supervisor status\``);
  return lines.join('\n');
}

/** Write the JSON report (0600: it names every skipped and failed file), streaming those lists from the journal. */
export async function writeReport(path: string, s: RunSummary, journal: JournalReader): Promise<void> {
  makePrivateDir(dirname(path));
  const out = await privateWriteStream(path);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const head = {
    outcome: s.outcome,
    exitCode: s.exitCode,
    startedAt: s.startedAt.toISOString(),
    finishedAt: s.finishedAt.toISOString(),
    figures: summaryFigures(s),
    thisRun: { ...s.stats.settled, bytesCopied: s.stats.bytesDone, resumeRereadBytes: s.resumeReread },
    journal: s.journalCounts,
    listing: s.listing,
    memory: { plan: s.plan, peakChargedBytes: s.stats.peakChargedBytes, peakTreeRssBytes: s.stats.peakTreeRssBytes, peakChildUssBytes: s.stats.peakChildUssBytes, peakChildRssBytes: s.stats.peakChildRssBytes, peakSupervisorRssBytes: s.stats.peakSupervisorRssBytes, peakCgroupBytes: s.stats.peakCgroupBytes },
    recycles: s.stats.recycles,
    childrenSpawned: s.stats.childrenSpawned,
    replacementReadyMs: s.stats.replacementReadyMs,
    incompleteUploadsAborted: s.uploadsAborted,
    outages: s.outages.map((o) => ({ service: o.service, startedAt: o.startedAt.toISOString(), durationMs: o.durationMs, resolved: o.resolved })),
    ...(s.drivePace ? { drivePace: s.drivePace } : {}),
    ...(s.drivePaceBySubject ? { drivePaceBySubject: s.drivePaceBySubject } : {}),
    ...(s.pass ? { pass: s.pass } : {}),
    ...(s.sourceFailures ? { sourceFailures: s.sourceFailures } : {}),
    ...(s.sources ? { sources: s.sources } : {}),
  };
  await write(JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "skipped": ['));
  let first = true;
  for (const k of journal.eachSkip()) {
    await write(`${first ? '' : ','}\n    ${JSON.stringify({ id: k.driveId, path: k.path, mimeType: k.mimeType, reason: k.reason })}`);
    first = false;
  }
  await write('\n  ],\n  "failed": [');
  first = true;
  for (const f of journal.eachFailure()) {
    await write(`${first ? '' : ','}\n    ${JSON.stringify({ id: f.driveId, path: f.path, key: f.key, reason: f.reason, attempts: f.attempts })}`);
    first = false;
  }
  await write('\n  ]\n}\n');
  out.end();
  await once(out, 'finish');
}
