// The listing, run inside the supervisor while children already copy: Drive pages go into the journal a
// page at a time (never the whole tree in memory), filtered to this pod's shard, and wake the dispatcher.
import type { Logger } from '../observability/logger.js';
import type { Settings } from '../config/settings.js';
import { inShard } from '../config/shard.js';
import type { Shard } from '../config/shard.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import type { ListedEntry } from '../source/drive/drive-item.js';
import { listDrive } from '../source/drive/lister.js';
import { listSharedWithMe, SHARED_WITH_ME_SEGMENT } from '../source/drive/shared-with-me.js';
import type { ListSharedWithMeOptions, SharedWithMeScope } from '../source/drive/shared-with-me.js';
import type { OutageView } from '../ipc/service-signals.js';
import type { ListDriveOptions, ListedFolder } from '../source/drive/lister.js';
import type { Pacer } from '../source/drive/pacer.js';

const FLUSH_ENTRIES = 1000;

export interface ListingProgress {
  listed: number;
  skipped: number;
  pages: number;
}

export interface ListingTaskOptions {
  settings: Settings;
  drive: DriveClient;
  rootFolderId: string;
  prefix: string;
  pacer: Pacer;
  shard: Shard | null;
  log: Logger;
  signal: AbortSignal;
  /** Receives each batch (≤ 1000 entries) to record; called synchronously in order. */
  write: (entries: ListedEntry[]) => void;
  progress?: ListingProgress;
  /** Drive unreachable: the listing pauses with dispatch and resumes when it answers (issue 20 point 5). */
  outage?: OutageView | null;
  /** Each folder the listing descends into (recorded for delta passes). */
  onFolder?: (folder: ListedFolder) => void;
  /** Segments the root's own items may not take (lister.ts): --shared-with-me's folder in a My Drive. */
  reservedRootSegments?: readonly string[];
}

function entryId(e: ListedEntry): string {
  return e.kind === 'file' ? e.item.id : e.skip.id;
}

/** What every listing of this run tells the lister, from the settings: one place for the full pass and a delta's re-listings. */
export function listerOptions(o: { settings: Settings; drive: DriveClient; rootFolderId: string; prefix: string; pacer: Pacer; log: Logger; signal?: AbortSignal | undefined }): ListDriveOptions {
  return {
    drive: o.drive.drive,
    rootFolderId: o.rootFolderId,
    ...(o.settings.sharedDriveId ? { sharedDriveId: o.settings.sharedDriveId } : {}),
    exportFormats: o.settings.exportFormats,
    shortcuts: o.settings.shortcuts,
    acknowledgeAbuse: o.settings.acknowledgeAbuse,
    prefix: o.prefix,
    pacer: o.pacer,
    log: o.log,
    ...(o.signal ? { signal: o.signal } : {}),
    retry: { maxRetries: o.settings.driveRetries },
  };
}

type ListingHooks = Pick<ListDriveOptions, 'onFolder' | 'onPage' | 'outage' | 'reservedRootSegments'>;

/** Record a listing's entries in batches, flushed at each page boundary and every 1000 entries. */
async function drainListing(o: ListingTaskOptions, list: (hooks: ListingHooks) => AsyncIterable<ListedEntry>): Promise<ListingProgress> {
  const progress = o.progress ?? { listed: 0, skipped: 0, pages: 0 };
  let batch: ListedEntry[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    o.write(batch);
    batch = [];
  };
  const entries = list({
    ...(o.outage ? { outage: o.outage } : {}),
    ...(o.reservedRootSegments ? { reservedRootSegments: o.reservedRootSegments } : {}),
    onFolder: (f: ListedFolder) => {
      o.onFolder?.(f);
      return true;
    },
    onPage: () => {
      progress.pages++;
      // A page boundary is a natural commit point: children can start on what was just listed.
      flush();
    },
  });
  for await (const entry of entries) {
    if (!inShard(entryId(entry), o.shard)) continue;
    if (entry.kind === 'file') progress.listed++;
    else progress.skipped++;
    batch.push(entry);
    if (batch.length >= FLUSH_ENTRIES) flush();
  }
  flush();
  return progress;
}

export function runListing(o: ListingTaskOptions): Promise<ListingProgress> {
  return drainListing(o, (hooks) => listDrive({ ...listerOptions(o), ...hooks }));
}

/** What was shared with `lister` (source/drive/shared-with-me.ts), recorded as runListing records a drive. */
function runSharedWithMeListing(o: ListingTaskOptions & Pick<ListSharedWithMeOptions, 'lister' | 'scope' | 'myFolders'>): Promise<ListingProgress> {
  return drainListing(o, (hooks) => listSharedWithMe({ ...listerOptions(o), ...hooks, lister: o.lister, scope: o.scope, myFolders: o.myFolders }));
}

/** --shared-with-me for one user: who they are, and the whole selection that decides each item's one copy. */
export interface SharedWithMeListing {
  lister: string;
  scope: SharedWithMeScope;
}

/**
 * A drive's whole listing; for a user with --shared-with-me, their My Drive (our folder's segment reserved at
 * its root) and then what was shared with them. `onFolder` sees the My Drive's folders only (delta passes
 * record them; a shared folder is not the user's tree).
 */
export async function runDriveListing(o: ListingTaskOptions, sharedWithMe?: SharedWithMeListing): Promise<void> {
  if (sharedWithMe === undefined) {
    await runListing(o);
    return;
  }
  // The user's own folders: a shared item filed in one of them was copied with the My Drive (shared-with-me.ts).
  const myFolders = new Set<string>();
  const { onFolder, ...rest } = o;
  await runListing({
    ...rest,
    reservedRootSegments: [SHARED_WITH_ME_SEGMENT],
    onFolder: (f) => {
      myFolders.add(f.id);
      onFolder?.(f);
    },
  });
  await runSharedWithMeListing({ ...rest, ...sharedWithMe, myFolders });
}
