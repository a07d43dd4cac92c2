// The listing, run inside the supervisor while children already copy: Drive pages go into the journal a
// page at a time (never the whole tree in memory), filtered to this pod's shard, and wake the dispatcher.
import type { Logger } from '../observability/logger.js';
import type { Settings } from '../config/settings.js';
import { inShard } from '../config/shard.js';
import type { Shard } from '../config/shard.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import type { ListedEntry } from '../source/drive/drive-item.js';
import { listDrive } from '../source/drive/lister.js';
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

export async function runListing(o: ListingTaskOptions): Promise<ListingProgress> {
  const progress = o.progress ?? { listed: 0, skipped: 0, pages: 0 };
  let batch: ListedEntry[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    o.write(batch);
    batch = [];
  };
  const entries = listDrive({
    ...listerOptions(o),
    ...(o.outage ? { outage: o.outage } : {}),
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
