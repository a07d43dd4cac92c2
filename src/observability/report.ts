// The final report: a human summary on stderr and, with --report PATH, a JSON file with totals, duration,
// throughput, peak memory, recycles by reason, and every skipped or failed file with its reason.
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { JournalReader } from '../journal/journal-reader.js';
import type { JournalCounts } from '../journal/types.js';
import type { SupervisorStats } from '../supervisor/supervisor.js';
import type { MemoryPlan } from '../supervisor/memory-plan.js';
import { formatBytes, formatDuration, mb } from './format.js';
import { makePrivateDir, privateWriteStream } from '../private-files.js';

export interface RunSummary {
  outcome: 'completed' | 'interrupted' | 'crash-loop';
  exitCode: number;
  startedAt: Date;
  finishedAt: Date;
  stats: SupervisorStats;
  plan: MemoryPlan;
  listing: { listed: number; skipped: number; complete: boolean };
  uploadsAborted: number;
  /** The journal's counts at the end (a full scan: taken once, by the caller). */
  journalCounts: JournalCounts;
  /** Full or delta pass and what --deletes did or would do (app/sync-pass.ts passReport). */
  pass?: Record<string, unknown>;
}

export function summaryFigures(s: RunSummary): Record<string, number | string | boolean> {
  const seconds = Math.max(0.001, (s.finishedAt.getTime() - s.startedAt.getTime()) / 1000);
  const st = s.stats;
  const files = st.settled.done + st.settled.skipped + st.settled.failed;
  return {
    durationS: Number(seconds.toFixed(1)),
    mbPerS: Number((st.bytesDone / 1024 / 1024 / seconds).toFixed(2)),
    filesPerS: Number((files / seconds).toFixed(1)),
    peakTreeRssMb: mb(st.peakTreeRssBytes),
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
  const lines = [
    `run ${s.outcome} in ${formatDuration((f.durationS as number) * 1000)} (exit ${s.exitCode})`,
    `  this run: ${st.settled.done} copied (${formatBytes(st.bytesDone)}), ${st.settled.skipped} skipped, ${st.settled.failed} failed; ${f.mbPerS} MB/s, ${f.filesPerS} files/s`,
    `  journal: ${counts.byStatus.done.files} done, ${counts.byStatus.skipped.files} skipped, ${counts.byStatus.failed.files} failed, ${counts.byStatus.pending.files + counts.byStatus['in-progress'].files} remaining of ${counts.total.files}`,
    `  memory: peak tree ${f.peakTreeRssMb} MB (supervisor ${f.peakSupervisorRssMb} MB, largest child ${f.peakChildRssMb} MB), ${s.plan.containerLimitMb === null ? 'no container limit' : `cgroup ${f.peakCgroupMb} MB of ${s.plan.containerLimitMb} MB`}; budget ${s.plan.budgetMb} MB`,
    `  recycles: ${recycles}; children started ${st.childrenSpawned}`,
  ];
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
    thisRun: { ...s.stats.settled, bytesCopied: s.stats.bytesDone },
    journal: s.journalCounts,
    listing: s.listing,
    memory: { plan: s.plan, peakTreeRssBytes: s.stats.peakTreeRssBytes, peakChildRssBytes: s.stats.peakChildRssBytes, peakSupervisorRssBytes: s.stats.peakSupervisorRssBytes, peakCgroupBytes: s.stats.peakCgroupBytes },
    recycles: s.stats.recycles,
    childrenSpawned: s.stats.childrenSpawned,
    replacementReadyMs: s.stats.replacementReadyMs,
    incompleteUploadsAborted: s.uploadsAborted,
    ...(s.pass ? { pass: s.pass } : {}),
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
