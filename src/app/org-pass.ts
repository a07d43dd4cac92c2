// The pass of an organisation run (issue 23): each source drive read in turn as its own identity, its keys
// under users/<email>/ or shared-drives/<name>/, each file recorded with the subject a child downloads it as.
// Each drive has its own change feed and token (journal.deltaFor): a drive with a stored token makes a delta;
// one without (new in the selection, its last listing failed, --full) or whose token Drive refuses is listed
// in full, alone. A drive that cannot be read is reported failed with the reason; the others are copied.
import type { Settings } from '../config/settings.js';
import type { Journal } from '../journal/journal.js';
import { ChangeTokenRefusedError } from '../source/drive/changes.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import type { ListedEntry } from '../source/drive/drive-item.js';
import type { Pacer } from '../source/drive/pacer.js';
import { classifyDriveError } from '../source/drive/retry.js';
import type { DeltaCounts, DeltaResult } from './delta-pass.js';
import { deltaOfDrive, listInFull } from './drive-pass.js';
import { runDriveListing } from './listing-task.js';
import type { ListingTaskOptions, SharedWithMeListing } from './listing-task.js';
import type { DriveScope } from './drive-pass.js';
import { sourceKeyPrefix, sourceLabel } from './org-sources.js';
import type { SourceDrive } from './org-sources.js';
import type { PassContext, PassResult } from './sync-pass.js';

/** One drive's part of the pass: the token finishPass stores for it, and its delta (null: listed in full). */
export interface DrivePass extends Pick<PassResult, 'kind' | 'token' | 'delta' | 'fellBack' | 'gone' | 'readAt'> {
  source: string;
  /** Its key prefix, `<s3-prefix>/users/<email>/`: where its token and folders are kept. */
  prefix: string;
}

/** A source drive this run could not list, and why. */
export interface SourceFailure {
  source: string;
  reason: string;
}

export interface OrgSources {
  sources: readonly SourceDrive[];
  /** A Drive client acting as the subject. */
  driveFor: (subject: string) => DriveClient;
  /** The lister's share of the subject's pace (source/drive/pace-book.ts), held while it lists that drive. */
  listerPace: (subject: string) => { pacer: Pacer; leave: () => void };
  /** Filled by the pass: the drives it could not list. */
  failures: SourceFailure[];
  /** Filled by the pass: each drive's listing skips by reason (they have no key to find them by later). */
  listingSkips: Map<string, Record<string, number>>;
}

function withSubject(entries: ListedEntry[], subject: string): ListedEntry[] {
  return entries.map((e) => (e.kind === 'file' ? { ...e, item: { ...e.item, subject } } : e));
}

function countSkips(skips: Record<string, number>, entries: readonly ListedEntry[]): void {
  for (const e of entries) if (e.kind === 'skip') skips[e.skip.reason] = (skips[e.skip.reason] ?? 0) + 1;
}

/** Why a drive could not be listed, as the report and `plan` say it. */
export function reasonOf(err: unknown): string {
  // A refused token exchange arrives as the request's error: its message says what the token endpoint said.
  const e = classifyDriveError(err);
  return `${e.code}: ${e.message}`;
}

/** What a listing of one source drive is given: its root, its key prefix, and corpora=drive for a shared drive. */
export function sourceListing(settings: Settings, prefix: string, source: SourceDrive): { settings: Settings; rootFolderId: string; prefix: string } {
  // A shared drive is listed with corpora=drive (lister.ts listParams), as --shared-drive-id would.
  return { settings: source.kind === 'shared-drive' ? { ...settings, sharedDriveId: source.rootId } : settings, rootFolderId: source.rootId, prefix: sourceKeyPrefix(prefix, source).slice(0, -1) };
}

export type SourceListingOptions = Omit<ListingTaskOptions, 'rootFolderId' | 'prefix' | 'shard' | 'onFolder' | 'reservedRootSegments'> & {
  source: SourceDrive;
  /** The run's --s3-prefix (the drive's own segments are added). */
  prefix: string;
};

/**
 * `plan`'s listing of one source drive whole (a run lists through drive-pass.ts listInFull, which also records
 * the folders): the drive, then, for a user with --shared-with-me, what was shared with them.
 */
export async function listSource(o: SourceListingOptions): Promise<void> {
  const { source, ...rest } = o;
  await runDriveListing({ ...rest, ...sourceListing(o.settings, o.prefix, source), shard: null }, sharedWithMeOf(source));
}

/** A user's --shared-with-me listing, if the run has one for this drive. */
function sharedWithMeOf(source: SourceDrive): SharedWithMeListing | undefined {
  return source.sharedWithMe !== undefined && source.subject !== null ? { lister: source.subject, scope: source.sharedWithMe } : undefined;
}

/**
 * The token a drive's delta starts from; null: it is listed in full (--full, never listed to the end, or a user
 * with --shared-with-me, whose feed a delta would read without the one-copy rule).
 */
export function deltaTokenOf(journal: Journal, prefix: string, source: SourceDrive, full: boolean): string | null {
  return full || source.sharedWithMe !== undefined ? null : journal.deltaFor(prefix).changeToken();
}

/** Which pass an organisation run makes: a delta when every selected drive makes one, else full (some drive is listed in full). */
export function orgPassKind(journal: Journal, run: { sources: readonly SourceDrive[]; prefixes: readonly string[] }, full: boolean): 'full' | 'delta' {
  const delta = run.sources.length > 0 && run.sources.every((s, i) => deltaTokenOf(journal, run.prefixes[i] ?? '', s, full) !== null);
  return delta ? 'delta' : 'full';
}

/** When the run last caught up with every selected drive: the oldest drive's, null while one has never been. */
export function orgSyncedAt(journal: Journal, prefixes: readonly string[]): number | null {
  let oldest: number | null = null;
  for (const p of prefixes) {
    const at = journal.deltaFor(p).syncedAt();
    if (at === null) return null;
    oldest = oldest === null ? at : Math.min(oldest, at);
  }
  return oldest;
}

const ZERO: DeltaCounts = { changes: 0, new: 0, changed: 0, moved: 0, gone: 0, foldersListed: 0 };

function sumCounts(a: DeltaCounts, b: DeltaCounts): DeltaCounts {
  return { changes: a.changes + b.changes, new: a.new + b.new, changed: a.changed + b.changed, moved: a.moved + b.moved, gone: a.gone + b.gone, foldersListed: a.foldersListed + b.foldersListed };
}

export async function orgPass(c: PassContext, org: OrgSources): Promise<PassResult> {
  const { journal, guard } = c;
  org.failures.length = 0;
  org.listingSkips.clear();
  const readAt = Date.now();
  /** The listing generation of this pass's full listings, started at the first one (a delta keeps the last). */
  let generation: number | null = null;
  const drives: DrivePass[] = [];
  let serverCopied = 0;
  for (const source of org.sources) {
    const label = sourceLabel(source);
    if (source.subject === null) {
      org.failures.push({ source: label, reason: source.problem ?? 'no identity to read it as' });
      continue;
    }
    const subject = source.subject;
    const skips: Record<string, number> = {};
    org.listingSkips.set(label, skips);
    const prefix = sourceKeyPrefix(c.prefix, source);
    // A shared drive is read as its organizer: it spends, and is paced by, that user's quota.
    const lister = org.listerPace(subject);
    const listing = sourceListing(c.settings, c.prefix, source);
    const shared = sharedWithMeOf(source);
    const log = c.log.child({ source: label });
    const drive: DriveScope = {
      settings: listing.settings,
      drive: org.driveFor(subject),
      store: journal.deltaFor(prefix),
      rootId: listing.rootFolderId,
      prefix: listing.prefix,
      pacer: lister.pacer,
      // --shard chose this run's drives (run-command.ts orgShardFilter): each is listed and copied whole.
      shard: null,
      log,
      stamp: (entries) => {
        countSkips(skips, entries);
        return withSubject(entries, subject);
      },
      ...(source.kind === 'user' ? { myDriveOnly: true } : {}),
      ...(shared ? { sharedWithMe: shared } : {}),
    };
    const token = deltaTokenOf(journal, prefix, source, c.settings.full);
    try {
      let pass: DrivePass | null = null;
      if (token !== null) {
        try {
          const at = Date.now();
          const d = await deltaOfDrive(c, drive, token);
          serverCopied += d.serverCopied;
          pass = { source: label, prefix, kind: 'delta', token: d.delta.newToken, delta: d.delta, fellBack: false, gone: d.delta.counts.gone, readAt: at };
        } catch (err) {
          if (!(err instanceof ChangeTokenRefusedError)) throw err;
          log.warn({ detail: err.detail }, "Drive no longer accepts this drive's change token: listing this drive in full");
        }
      }
      if (pass === null) {
        const at = Date.now();
        generation ??= journal.startNewListing();
        const newToken = await listInFull(c, drive);
        // Gone is decided per drive: a drive that failed was not seen, and one left out by this run's
        // --users/--exclude-users was not looked at (--deletes delete must not remove it).
        const unseen = journal.delta.unseenUnder(generation, prefix);
        guard.run(() => journal.delta.markGone(unseen.map((r) => r.seq)), undefined);
        pass = { source: label, prefix, kind: 'full', token: newToken, delta: null, fellBack: token !== null, gone: unseen.length, readAt: at };
      }
      drives.push(pass);
    } catch (err) {
      if (c.signal.aborted) throw err;
      const reason = reasonOf(err);
      log.error({ subject, reason }, 'this drive could not be listed: its files are not copied, the other drives are');
      org.failures.push({ source: label, reason });
    } finally {
      lister.leave();
    }
  }
  if (generation !== null) guard.run(() => journal.setListingComplete(), undefined);
  const notSelected = journal.delta.countOutside(org.sources.map((s) => sourceKeyPrefix(c.prefix, s)));
  const deltas = drives.filter((d) => d.delta !== null);
  // The sums, for the summary line and /metrics; each drive's token is its own (finishPass stores drives[]).
  const delta: DeltaResult | null = deltas.length === 0 ? null : { newToken: '', counts: deltas.reduce((n, d) => sumCounts(n, d.delta?.counts ?? ZERO), ZERO), gone: [], folders: [], dropPrefixes: [] };
  const kind = drives.length > 0 && deltas.length === drives.length ? 'delta' : 'full';
  const gone = drives.reduce((n, d) => n + d.gone, 0);
  return { kind, token: '', delta, fellBack: drives.some((d) => d.fellBack), gone, readAt, serverCopied, notSelected, drives };
}

/** The summary line's part for an organisation pass: how many drives made a delta and how many were listed in full. */
export function orgPassLine(drives: readonly DrivePass[]): string {
  const full = drives.filter((d) => d.kind === 'full');
  const refused = full.filter((d) => d.fellBack).length;
  return `${drives.length - full.length} drives by delta, ${full.length} listed in full${refused > 0 ? ` (${refused} whose change token was refused)` : ''}`;
}
