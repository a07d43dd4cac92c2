// One drive's part of a pass (issues 22, 23): its delta from a change token, or its full listing after taking
// the start token. A one-drive run makes one; an organisation run one per drive, each with its own feed,
// folders and key prefix (org-pass.ts). Nothing here stores the token: finishPass does, once the run completes.
import type { Settings } from '../config/settings.js';
import type { Shard } from '../config/shard.js';
import { startPageToken } from '../source/drive/changes.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import type { ListedEntry } from '../source/drive/drive-item.js';
import type { Pacer } from '../source/drive/pacer.js';
import { folderKeyPrefix } from '../journal/delta-store.js';
import type { DeltaStore, FolderRecord } from '../journal/delta-store.js';
import type { Logger } from '../observability/logger.js';
import { runDelta } from './delta-pass.js';
import type { DeltaResult } from './delta-pass.js';
import { DeltaMoves } from './delta-moves.js';
import { runDriveListing } from './listing-task.js';
import type { SharedWithMeListing } from './listing-task.js';
import type { PassContext } from './sync-pass.js';

/** The drive a pass reads: the journal's one drive, or one drive of an organisation run as its own identity. */
export interface DriveScope {
  /** sharedDriveId set for a shared drive. */
  settings: Settings;
  drive: DriveClient;
  /** Its token and folders (journal.delta, or journal.deltaFor(its key prefix)). */
  store: DeltaStore;
  rootId: string;
  /** The normalised key prefix of its objects, without the trailing '/'. */
  prefix: string;
  pacer: Pacer;
  shard: Shard | null;
  log: Logger;
  /** An organisation drive's entries carry the subject a child downloads them as. */
  stamp?: (entries: ListedEntry[]) => ListedEntry[];
  /** A user's My Drive: its change feed without the shared drives the user is a member of (each has its own). */
  myDriveOnly?: boolean;
  /** --shared-with-me for a user: after the My Drive, what was shared with them, under `Shared with me/`. */
  sharedWithMe?: SharedWithMeListing;
}

function stamped(d: DriveScope, entries: ListedEntry[]): ListedEntry[] {
  return d.stamp ? d.stamp(entries) : entries;
}

function record(c: PassContext, entries: ListedEntry[]): void {
  for (const e of entries) {
    if (e.kind === 'file') c.progress.listed++;
    else c.progress.skipped++;
  }
  c.guard.run(() => c.journal.recordListed(entries), undefined);
  c.notify();
}

/** The drive's changes since `token` applied to the journal; throws ChangeTokenRefusedError for a refused token. */
export async function deltaOfDrive(c: PassContext, d: DriveScope, token: string): Promise<{ delta: DeltaResult; serverCopied: number }> {
  const { journal, guard } = c;
  const moves = c.copy ? new DeltaMoves({ journal, guard, log: d.log, copy: c.copy, signal: c.signal }) : null;
  const delta = await runDelta({
    settings: d.settings,
    drive: d.drive,
    store: d.store,
    rootId: d.rootId,
    prefix: d.prefix,
    token,
    pacer: d.pacer,
    shard: d.shard,
    log: d.log,
    signal: c.signal,
    existing: (driveId, key) => journal.delta.existing(driveId, key),
    ...(d.myDriveOnly ? { myDriveOnly: true } : {}),
    ...(c.outage ? { outage: c.outage } : {}),
    ...(c.beforeWrite ? { beforeWrite: c.beforeWrite } : {}),
    write: (entries) => {
      const all = stamped(d, entries);
      record(c, moves ? moves.take(all) : all);
    },
  });
  const serverCopied = moves ? (await moves.apply()).copied : 0;
  guard.run(() => journal.delta.markGone(delta.gone.map((r) => r.seq)), undefined);
  d.log.info({ ...delta.counts }, 'delta pass: changes applied to the journal');
  return { delta, serverCopied };
}

/** The drive's start token, taken BEFORE it is listed (edits made meanwhile are the next delta's), then its full listing. */
export async function listInFull(c: PassContext, d: DriveScope): Promise<string> {
  const { journal, guard } = c;
  guard.run(() => d.store.startFullPass(), undefined);
  const token = await startPageToken({
    drive: d.drive.drive,
    ...(d.settings.sharedDriveId ? { sharedDriveId: d.settings.sharedDriveId } : {}),
    pacer: d.pacer,
    retry: { maxRetries: d.settings.driveRetries, baseMs: 1000, signal: c.signal },
    signal: c.signal,
    ...(c.outage ? { outage: c.outage, log: d.log } : {}),
  });
  let folders: FolderRecord[] = [{ id: d.rootId, parentId: null, path: '', segments: [], keyPrefix: folderKeyPrefix(d.prefix, []) }];
  const flushFolders = (): void => {
    if (folders.length === 0) return;
    const batch = folders;
    folders = [];
    guard.run(() => d.store.recordFolders(batch), undefined);
  };
  await runDriveListing(
    {
      settings: d.settings,
      drive: d.drive,
      rootFolderId: d.rootId,
      prefix: d.prefix,
      pacer: d.pacer,
      shard: d.shard,
      log: d.log,
      signal: c.signal,
      progress: c.progress,
      ...(c.outage ? { outage: c.outage } : {}),
      onFolder: (f) => folders.push({ id: f.id, parentId: f.parentId, path: f.path, segments: f.segments, keyPrefix: folderKeyPrefix(d.prefix, f.segments) }),
      write: (entries) => {
        flushFolders();
        guard.run(() => journal.recordListed(stamped(d, entries)), undefined);
        c.notify();
      },
    },
    d.sharedWithMe,
  );
  flushFolders();
  return token;
}
