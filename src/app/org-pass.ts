// The full pass of an organisation run (issue 23): each source drive listed in turn as its own identity, its
// keys under users/<email>/ or shared-drives/<name>/, each file recorded with the subject a child downloads
// it as. A drive that cannot be read is reported failed with the reason; the others are copied.
import type { Settings } from '../config/settings.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import type { ListedEntry } from '../source/drive/drive-item.js';
import type { Pacer } from '../source/drive/pacer.js';
import { classifyDriveError } from '../source/drive/retry.js';
import { runListing, runSharedWithMeListing } from './listing-task.js';
import type { ListingTaskOptions } from './listing-task.js';
import { SHARED_WITH_ME_SEGMENT } from '../source/drive/shared-with-me.js';
import { sourceKeyPrefix, sourceLabel } from './org-sources.js';
import type { SourceDrive } from './org-sources.js';
import type { PassContext, PassResult } from './sync-pass.js';

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
 * List one source drive whole (--shard chose the drives, run-command.ts orgShardFilter): the drive, then, for a
 * user with --shared-with-me, what was shared with them, its keys under the user's `Shared with me/` folder.
 */
export async function listSource(o: SourceListingOptions): Promise<void> {
  const { source, ...rest } = o;
  const scope = source.sharedWithMe;
  const listing = { ...rest, ...sourceListing(o.settings, o.prefix, source), shard: null };
  if (scope === undefined || source.subject === null) {
    await runListing(listing);
    return;
  }
  // The user's own folders: a shared item filed in one of them was copied with the My Drive.
  const myFolders = new Set<string>();
  await runListing({ ...listing, reservedRootSegments: [SHARED_WITH_ME_SEGMENT], onFolder: (f) => myFolders.add(f.id) });
  await runSharedWithMeListing({ ...listing, lister: source.subject, scope, myFolders });
}

export async function orgFullPass(c: PassContext, org: OrgSources): Promise<PassResult> {
  const { journal, guard } = c;
  guard.run(() => journal.delta.startFullPass(), undefined);
  org.failures.length = 0;
  org.listingSkips.clear();
  const readAt = Date.now();
  const generation = journal.startNewListing();
  /** Key prefixes of the drives listed to the end: only their unseen rows can be gone. */
  const listed: string[] = [];
  for (const source of org.sources) {
    const label = sourceLabel(source);
    if (source.subject === null) {
      org.failures.push({ source: label, reason: source.problem ?? 'no identity to read it as' });
      continue;
    }
    const subject = source.subject;
    const skips: Record<string, number> = {};
    org.listingSkips.set(label, skips);
    // A shared drive is read as its organizer: it spends, and is paced by, that user's quota.
    const lister = org.listerPace(subject);
    try {
      await listSource({
        source,
        settings: c.settings,
        prefix: c.prefix,
        drive: org.driveFor(subject),
        pacer: lister.pacer,
        log: c.log.child({ source: label }),
        signal: c.signal,
        progress: c.progress,
        ...(c.outage ? { outage: c.outage } : {}),
        write: (entries) => {
          countSkips(skips, entries);
          guard.run(() => journal.recordListed(withSubject(entries, subject)), undefined);
          c.notify();
        },
      });
      listed.push(sourceKeyPrefix(c.prefix, source));
    } catch (err) {
      if (c.signal.aborted) throw err;
      const reason = reasonOf(err);
      c.log.error({ source: label, subject, reason }, 'this drive could not be listed: its files are not copied, the other drives are');
      org.failures.push({ source: label, reason });
    } finally {
      lister.leave();
    }
  }
  guard.run(() => journal.setListingComplete(), undefined);
  // Gone is decided per drive, among the drives listed to the end: a drive that failed was not seen, and one
  // left out by this run's --users/--exclude-users was not looked at (--deletes delete must not remove it).
  let gone = 0;
  for (const p of listed) {
    const unseen = journal.delta.unseenUnder(generation, p);
    guard.run(() => journal.delta.markGone(unseen.map((r) => r.seq)), undefined);
    gone += unseen.length;
  }
  const notSelected = journal.delta.countOutside(org.sources.map((s) => sourceKeyPrefix(c.prefix, s)));
  // No change token: each drive has its own change feed, and an organisation run makes full passes (design.md).
  return { kind: 'full', token: '', delta: null, fellBack: false, gone, readAt, serverCopied: 0, notSelected };
}
