// An organisation run's wiring in `supervisor run` (issue 23): its drives and their key prefixes, resolved
// once; the pass's OrgSources; and what the report says per drive. A one-drive run has none of it (null).
import type { Settings } from '../config/settings.js';
import type { Shard } from '../config/shard.js';
import type { Journal } from '../journal/journal.js';
import type { JournalReader } from '../journal/journal-reader.js';
import type { Logger } from '../observability/logger.js';
import type { RunSummary, SourceRow } from '../observability/report.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import type { PaceBook } from '../source/drive/pace-book.js';
import { joinPacer } from '../source/drive/shared-pace.js';
import { orgPassKind, orgSyncedAt } from './org-pass.js';
import type { OrgSources, SourceFailure } from './org-pass.js';
import { passKind } from './sync-pass.js';
import { driveAs, resolveOrgSources, sourceKeyPrefix, sourceLabel } from './org-sources.js';
import type { SourceDrive } from './org-sources.js';
import { sourceRows } from './source-rows.js';
import type { Extras } from './source-target.js';

/** The drives an organisation run selected, each with its key prefix (`<s3-prefix>/users/<email>/`). */
export interface OrgRun {
  sources: readonly SourceDrive[];
  /** prefixes[i] is sources[i]'s key prefix. */
  prefixes: readonly string[];
}

/** Resolve the run's drives (org-sources.ts) and their key prefixes under the normalised --s3-prefix. */
export async function resolveOrgRun(settings: Settings, extras: Extras, prefix: string, inShard: (key: string) => boolean, shard: Shard | null, log: Logger): Promise<OrgRun> {
  const sources = await resolveOrgSources(settings, extras, inShard, log);
  log.info({ users: sources.filter((s) => s.kind === 'user').length, sharedDrives: sources.filter((s) => s.kind === 'shared-drive').length, ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}) }, 'organisation drives to copy');
  return { sources, prefixes: sources.map((s) => sourceKeyPrefix(prefix, s)) };
}

/** An organisation run probes and preflights Drive as its admin (or its first user): it has no one identity. */
export function orgProbeDrive(settings: Settings, extras: Extras): DriveClient {
  return driveAs(settings, extras, settings.adminSubject ?? settings.users?.[0] ?? '');
}

/** Which pass comes next: one drive's (sync-pass.ts), or an organisation's, a delta only when every drive makes one (org-pass.ts). */
export function nextPassKind(journal: Journal, run: OrgRun | null, full: boolean): 'full' | 'delta' {
  return run === null ? passKind(journal, full) : orgPassKind(journal, run, full);
}

/** When the sync last caught up: the one drive's last pass, or the organisation's least recent drive. */
export function syncedAt(journal: Journal, run: OrgRun | null): number | null {
  return run === null ? journal.delta.syncedAt() : orgSyncedAt(journal, run.prefixes);
}

/** A pass's view of the run: each drive listed again as its own identity, paced by that subject's pace. */
export function orgPassOf(run: OrgRun, settings: Settings, extras: Extras, paces: PaceBook): OrgSources {
  return { sources: run.sources, driveFor: (subject) => driveAs(settings, extras, subject), listerPace: (subject) => joinPacer(paces.pace(subject), 'lister'), failures: [], listingSkips: new Map() };
}

/** The key prefixes of the drives this pass listed to the end: a drive it could not list keeps the manifest it had. */
export function listedPrefixes(run: OrgRun, pass: OrgSources): string[] {
  const failed = new Set(pass.failures.map((f) => f.source));
  return run.prefixes.filter((_, i) => {
    const source = run.sources[i];
    return source !== undefined && !failed.has(sourceLabel(source));
  });
}

/** The report's rows per drive, and the failed count: an organisation run answers for the drives it selected only. */
export function orgOutcome(journal: JournalReader, prefix: string, pass: OrgSources): { sources: SourceRow[]; sourceFailures: SourceFailure[]; failed: number } {
  const sources = sourceRows(journal, prefix, pass);
  const failedFiles = sources.reduce((n, r) => Object.values(r.failed).reduce((m, k) => m + k, n), 0);
  return { sources, sourceFailures: pass.failures, failed: failedFiles + pass.failures.length };
}

/** The report's pace: the one pace (a one-drive run), or the sum and each user's (an organisation run). */
export function drivePaceReport(paces: PaceBook, org: boolean): Pick<RunSummary, 'drivePace' | 'drivePaceBySubject'> {
  const { total, bySubject } = paces.summary();
  return org ? { drivePace: total, drivePaceBySubject: bySubject } : { drivePace: total };
}
