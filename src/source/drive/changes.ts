// Drive's Changes API (issue 22): the start token a full pass takes before it lists, and the changes since
// a token, coalesced to the latest per file, for a delta pass. Paced and retried like the listing.
import type { drive_v3 } from '@googleapis/drive';
import type { Drive } from './drive-client.js';
import { FILE_FIELDS } from './lister.js';
import type { Pacer } from './pacer.js';
import { classifyDriveError } from './retry.js';
import type { RetryOptions } from './retry.js';
import type { OutageView } from '../../ipc/service-signals.js';
import type { Logger } from '../../observability/logger.js';
import { withOutageWait } from './outage-wait.js';

/** Drive no longer accepts the stored token (it answers 400 Invalid Value, or 404): a full pass is needed. */
export class ChangeTokenRefusedError extends Error {
  constructor(
    readonly token: string,
    readonly detail: string,
  ) {
    super(`Drive refused change token ${token}: ${detail}`);
    this.name = 'ChangeTokenRefusedError';
  }
}

export interface ChangesOptions {
  drive: Drive;
  sharedDriveId?: string;
  /** A user's My Drive only: without includeItemsFromAllDrives, no shared drive's changes (each has its own feed). */
  myDriveOnly?: boolean;
  pacer: Pacer;
  retry: RetryOptions;
  signal?: AbortSignal;
  /** Drive unreachable: wait with the rest of the run, as the listing does (outage-wait.ts). */
  outage?: OutageView;
  log?: Logger;
}

/** One file's latest change: removed (deleted, or access lost), or its metadata now (trashed included). */
export interface FileChange {
  fileId: string;
  removed: boolean;
  file: drive_v3.Schema$File | null;
}

export interface ChangeSet {
  changes: Map<string, FileChange>;
  /** Where the next delta starts. */
  newToken: string;
  pages: number;
}

const CHANGE_FIELDS = `nextPageToken, newStartPageToken, changes(fileId, removed, changeType, file(${FILE_FIELDS}))`;
const PAGE_SIZE = 1000;

function scope(o: ChangesOptions): { supportsAllDrives: true; includeItemsFromAllDrives: boolean; driveId?: string } {
  return { supportsAllDrives: true, includeItemsFromAllDrives: o.myDriveOnly !== true || o.sharedDriveId !== undefined, ...(o.sharedDriveId === undefined ? {} : { driveId: o.sharedDriveId }) };
}

function paced<T>(o: ChangesOptions, fn: () => Promise<T>): Promise<T> {
  const wait = o.outage && o.log ? { outage: o.outage, log: o.log, what: 'the changes listing' } : undefined;
  return withOutageWait(async () => {
    await o.pacer.take(o.signal);
    return fn();
  }, o.retry, wait);
}

/** The token of "now", taken before a full pass lists so that edits made while it lists are not lost. */
export async function startPageToken(o: ChangesOptions): Promise<string> {
  const res = await paced(o, () =>
    o.drive.changes.getStartPageToken(
      { supportsAllDrives: true, ...(o.sharedDriveId === undefined ? {} : { driveId: o.sharedDriveId }) },
      o.signal ? { signal: o.signal } : {},
    ),
  );
  const token = res.data.startPageToken;
  if (!token) throw new Error('Drive returned no startPageToken');
  return token;
}

/** Every change since `token`, the latest per file (a file changed on two pages counts once, as its last). */
export async function listChanges(o: ChangesOptions, token: string): Promise<ChangeSet> {
  const changes = new Map<string, FileChange>();
  let pageToken = token;
  let pages = 0;
  for (;;) {
    let data: drive_v3.Schema$ChangeList;
    try {
      const current = pageToken;
      data = (
        await paced(o, () =>
          o.drive.changes.list(
            { pageToken: current, includeRemoved: true, pageSize: PAGE_SIZE, fields: CHANGE_FIELDS, ...scope(o) },
            o.signal ? { signal: o.signal } : {},
          ),
        )
      ).data;
    } catch (err) {
      const e = classifyDriveError(err);
      // Only the first page's token is ours; a refused continuation token is Drive's own and also means start over.
      if (e.status === 400 || e.status === 404) throw new ChangeTokenRefusedError(token, e.message);
      throw e;
    }
    pages++;
    for (const c of data.changes ?? []) {
      if (!c.fileId || (c.changeType !== undefined && c.changeType !== null && c.changeType !== 'file')) continue;
      changes.delete(c.fileId);
      changes.set(c.fileId, { fileId: c.fileId, removed: c.removed === true, file: c.file ?? null });
    }
    if (data.nextPageToken) {
      pageToken = data.nextPageToken;
      continue;
    }
    if (!data.newStartPageToken) throw new Error('Drive ended the change list without a newStartPageToken');
    return { changes, newToken: data.newStartPageToken, pages };
  }
}
