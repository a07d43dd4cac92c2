// `supervisor status`: a summary of a journal for people (formatStatus) and for scripts (statusReport).
// Works on a read-only journal opened beside a running supervisor.
import type { JournalReader, ListingState } from './journal-reader.js';
import { ITEM_STATUSES } from './types.js';
import type { FailureRecord, JournalCounts, JournalIdentity, MissingRecord, SkipRecord } from './types.js';
import { formatBytes } from '../observability/format.js';

export interface StatusReport {
  path: string;
  identity: JournalIdentity;
  listing: { state: ListingState; generation: number };
  counts: JournalCounts;
  lastRun: {
    id: number;
    startedAt: string;
    finishedAt: string | null;
    running: boolean;
    /** The supervisor holding the journal while the run goes; null once it finished or when nobody holds it. */
    holder: { host: string; pid: number; heartbeatAt: string } | null;
    bytes: number;
    files: number;
    exitCode: number | null;
    bytesPerSecond: number;
  } | null;
  failures: FailureRecord[];
  skips: SkipRecord[];
  missingFromListing: MissingRecord[];
}

export interface StatusOptions {
  /** How many failures, skips and missing entries to list (default 20 each). */
  limit?: number;
}

export function statusReport(journal: JournalReader, options: StatusOptions = {}): StatusReport {
  const limit = options.limit ?? 20;
  const run = journal.lastRun();
  const lease = journal.leaseHolder();
  // A run with no finish time is going now if its supervisor still holds the lease; else it was killed.
  const holder = run?.finishedAt === null && lease?.live === true ? { host: lease.host, pid: lease.pid, heartbeatAt: lease.heartbeatAt.toISOString() } : null;
  return {
    path: journal.path,
    identity: journal.identity(),
    listing: { state: journal.listingState(), generation: journal.listingGeneration() },
    counts: journal.counts(),
    lastRun:
      run === null
        ? null
        : {
            id: run.id,
            startedAt: run.startedAt.toISOString(),
            finishedAt: run.finishedAt?.toISOString() ?? null,
            running: holder !== null,
            holder,
            bytes: run.bytes,
            files: run.files,
            exitCode: run.exitCode,
            bytesPerSecond: Math.round(run.bytesPerSecond),
          },
    failures: journal.failures(limit),
    skips: journal.skips(limit),
    missingFromListing: journal.missingFromListing(limit),
  };
}

export function formatStatus(journal: JournalReader, options: StatusOptions = {}): string {
  const r = statusReport(journal, options);
  const lines = [
    `journal  ${r.path}`,
    `source   ${r.identity.source}`,
    `target   ${r.identity.target}`,
    `listing  ${r.listing.state}`,
    '',
    `${'status'.padEnd(12)}${'files'.padStart(12)}${'bytes'.padStart(14)}`,
  ];
  for (const status of ITEM_STATUSES) {
    const t = r.counts.byStatus[status];
    lines.push(`${status.padEnd(12)}${String(t.files).padStart(12)}${formatBytes(t.bytes).padStart(14)}`);
  }
  lines.push(`${'total'.padEnd(12)}${String(r.counts.total.files).padStart(12)}${formatBytes(r.counts.total.bytes).padStart(14)}`);
  lines.push(`copied to S3: ${formatBytes(r.counts.bytesCopied)}`, '');
  if (r.lastRun === null) {
    lines.push('no run yet');
  } else {
    const run = r.lastRun;
    const state =
      run.holder ? `running (host ${run.holder.host}, pid ${run.holder.pid}, heartbeat ${run.holder.heartbeatAt})`
      : run.finishedAt === null ? 'stopped without finishing (killed; rerun to continue)'
      : `exit ${run.exitCode ?? '?'}`;
    lines.push(
      `last run #${run.id}: started ${run.startedAt}, ${state}; ${run.files} files, ${formatBytes(run.bytes)} ` +
        `at ${formatBytes(run.bytesPerSecond)}/s`,
    );
  }
  appendList(lines, 'failures', r.counts.byStatus.failed.files, r.failures, (f) => `${f.path} (${f.driveId}): ${f.reason}`);
  appendList(lines, 'skipped', r.counts.byStatus.skipped.files, r.skips, (s) => `${s.path} (${s.driveId}): ${s.reason}`);
  appendList(lines, 'not seen by the latest listing', null, r.missingFromListing, (m) => `${m.path} (${m.driveId}) [${m.status}]`);
  return lines.join('\n');
}

function appendList<T>(lines: string[], title: string, total: number | null, items: readonly T[], line: (item: T) => string): void {
  if (items.length === 0) return;
  const more = total !== null && total > items.length ? ` (first ${items.length} of ${total})` : '';
  lines.push('', `${title}${more}:`);
  for (const item of items) lines.push(`  ${line(item)}`);
}


