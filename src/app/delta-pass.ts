// A delta pass (issue 22): the changes since the journal's token, turned into the same journal writes a full
// listing would make, for the folders they touch only. A changed file re-lists its folder (old and new), so
// clash suffixes are resolved exactly as a full pass resolves them; a renamed or moved folder re-lists its
// subtree; rows of re-listed folders that the re-listing did not see are gone from Drive. See
// docs/operations.md "Delta passes".
import type { Settings } from '../config/settings.js';
import { inShard } from '../config/shard.js';
import type { Shard } from '../config/shard.js';
import { listChanges } from '../source/drive/changes.js';
import type { ChangeSet } from '../source/drive/changes.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import type { ListedEntry } from '../source/drive/drive-item.js';
import type { drive_v3 } from '@googleapis/drive';
import type { DriveItem, SourceMeta } from '../source/drive/drive-item.js';
import { sourceMeta } from '../source/drive/source-meta.js';
import { resolveExportFormats } from '../source/drive/export-formats.js';
import { buildKey, joinPath, mapNameSegment, splitExtension } from '../keys/key-mapper.js';
import { FOLDER_MIME, SHORTCUT_MIME, listDrive, resolveFileEntry, toItem } from '../source/drive/lister.js';
import type { ListedFolder, StartFolder } from '../source/drive/lister.js';
import type { Pacer } from '../source/drive/pacer.js';
import { listerOptions } from './listing-task.js';
import { folderKeyPrefix, keyDirectory } from '../journal/delta-store.js';
import type { DeltaStore, FolderRecord, KeyedRow } from '../journal/delta-store.js';
import type { Logger } from '../observability/logger.js';
import type { OutageView } from '../ipc/service-signals.js';

const FLUSH_ENTRIES = 1000;
const MAX_DEPTH = 1000;

export interface DeltaCounts {
  /** Files Drive reported changed (after coalescing), in scope or not. */
  changes: number;
  new: number;
  changed: number;
  moved: number;
  gone: number;
  /** Folders re-listed (changed files' folders and moved subtrees). */
  foldersListed: number;
}

export interface DeltaResult {
  newToken: string;
  counts: DeltaCounts;
  /** Rows gone from Drive: the caller applies --deletes to them. */
  gone: KeyedRow[];
  /** Folder records to store once the copy of this pass is applied (after dropping `dropPrefixes`). */
  folders: FolderRecord[];
  dropPrefixes: string[];
}

export interface DeltaOptions {
  settings: Settings;
  drive: DriveClient;
  store: DeltaStore;
  rootId: string;
  /** Normalised S3 prefix ('' for none). */
  prefix: string;
  token: string;
  pacer: Pacer;
  shard: Shard | null;
  log: Logger;
  signal: AbortSignal;
  /** Existing row of (drive id, key): how a re-listed entry is counted (new, changed, moved). */
  existing: (driveId: string, key: string) => { size: number | null; md5: string | null; modifiedTime: string | null } | undefined;
  /** Drive unreachable: the changes listing and the re-listings wait for it (listing-task.ts, outage.ts). */
  outage?: OutageView;
  /** A user's My Drive in an organisation run: the shared drives they are a member of have their own feeds. */
  myDriveOnly?: boolean;
  /** Called once, after the changes are known and before anything is recorded, when there are changes. */
  beforeWrite?: () => Promise<void>;
  /** Record a batch of re-listed entries (null: plan only, nothing written). */
  write: ((entries: ListedEntry[]) => void) | null;
}

/** Fetch the changes and apply them to the journal as re-listed entries; throws ChangeTokenRefusedError for a refused token. */
export async function runDelta(o: DeltaOptions): Promise<DeltaResult> {
  const retry = { maxRetries: o.settings.driveRetries, baseMs: 1000, signal: o.signal };
  const set = await listChanges(
    { drive: o.drive.drive, ...(o.settings.sharedDriveId ? { sharedDriveId: o.settings.sharedDriveId } : {}), ...(o.myDriveOnly ? { myDriveOnly: true } : {}), pacer: o.pacer, retry, signal: o.signal, ...(o.outage ? { outage: o.outage, log: o.log } : {}) },
    o.token,
  );
  if (set.changes.size > 0) await o.beforeWrite?.();
  const plan = planRelisting(o, set);
  const counts: DeltaCounts = { changes: set.changes.size, new: 0, changed: 0, moved: 0, gone: 0, foldersListed: 0 };
  const seen = new Set<string>();
  const folders = new Map<string, FolderRecord>();
  // Folders whose direct rows must be checked, and old prefixes whose whole subtree must be.
  const direct = new Set<string>(plan.start.map((f) => folderKeyPrefix(o.prefix, f.segments)));
  const subtrees = new Set<string>(plan.goneSubtrees);

  const onFolder = (f: ListedFolder): boolean => {
    const keyPrefix = folderKeyPrefix(o.prefix, f.segments);
    const stored = o.store.folder(f.id);
    const record: FolderRecord = { id: f.id, parentId: f.parentId, path: f.path, segments: f.segments, keyPrefix };
    if (stored === undefined || stored.keyPrefix !== keyPrefix) {
      // New in scope, or its keys change: list all of it; what was under the old prefix and is not seen is gone.
      if (stored !== undefined) subtrees.add(stored.keyPrefix);
      folders.set(f.id, record);
      return true;
    }
    if (stored.path !== f.path || stored.parentId !== f.parentId) folders.set(f.id, record);
    if (!plan.wanted.has(f.id)) return false;
    direct.add(keyPrefix);
    return true;
  };

  let batch: ListedEntry[] = [];
  const flush = (): void => {
    if (batch.length > 0 && o.write) o.write(batch);
    batch = [];
  };
  const take = (entry: ListedEntry): void => {
    if (entry.kind === 'file') {
      const { id, key } = entry.item;
      seen.add(`${id}\u0000${key}`);
      const before = o.existing(id, key);
      if (before === undefined) {
        // Rows of this file at other keys (not gone yet): a rename, a move, or a re-keyed subtree.
        if (o.store.rowsOf(id).length > 0) counts.moved++;
        else counts.new++;
      } else if (before.size !== entry.item.size || before.md5 !== entry.item.md5 || before.modifiedTime !== entry.item.modifiedTime) counts.changed++;
    }
    batch.push(entry);
    if (batch.length >= FLUSH_ENTRIES) flush();
  };
  for (const entry of plan.direct) take(entry);
  flush();
  if (plan.start.length > 0) {
    const entries = listDrive({
      ...listerOptions({ ...o, rootFolderId: o.rootId }),
      ...(o.outage ? { outage: o.outage } : {}),
      start: plan.start,
      onFolder,
      onPage: (info) => {
        if (info.folderPagesSoFar === 1) counts.foldersListed++;
        flush();
      },
    });
    for await (const entry of entries) {
      if (!inShard(entry.kind === 'file' ? entry.item.id : entry.skip.id, o.shard)) continue;
      take(entry);
    }
    flush();
  }

  const gone = new Map<number, KeyedRow>();
  const unseen = (rows: KeyedRow[]): void => {
    for (const row of rows) if (!seen.has(`${row.driveId}\u0000${row.key}`)) gone.set(row.seq, row);
  };
  for (const p of direct) unseen(o.store.rowsUnder(p, false));
  for (const p of subtrees) unseen(o.store.rowsUnder(p, true));
  unseen(plan.directGone);
  counts.gone = gone.size;
  return { newToken: set.newToken, counts, gone: [...gone.values()], folders: [...folders.values()], dropPrefixes: [...subtrees] };
}

interface RelistPlan {
  /** Folders to re-list, keyed from their stored records. */
  start: StartFolder[];
  /** Folders whose direct children must be re-listed even when their keys stay (a changed file is in them). */
  wanted: Set<string>;
  /** Old key prefixes of folders that left the scope (deleted, trashed, moved out). */
  goneSubtrees: string[];
  /** Changed files keyed without a listing (no clash possible), and the rows they leave behind. */
  direct: ListedEntry[];
  directGone: KeyedRow[];
}

interface FileCandidate {
  id: string;
  file: drive_v3.Schema$File | null;
  parent: FolderRecord | undefined;
  oldRows: KeyedRow[];
}

/**
 * Which folders the changes touch (the journal knows every folder of the copied tree). A changed file whose
 * name clashes with nothing in its folder — old or new — is keyed directly from its folder's record, as the
 * lister would key it; otherwise its folders are re-listed so that clash suffixes come out as in a full pass.
 */
function planRelisting(o: DeltaOptions, set: ChangeSet): RelistPlan {
  const wanted = new Set<string>();
  const changedFolders = new Set<string>();
  const goneSubtrees: string[] = [];
  const files: FileCandidate[] = [];
  const knownParent = (parents: readonly string[] | null | undefined): FolderRecord | undefined => {
    for (const p of parents ?? []) {
      const f = o.store.folder(p);
      if (f !== undefined) return f;
    }
    return undefined;
  };
  for (const c of set.changes.values()) {
    if (c.fileId === o.rootId) continue;
    const f = c.file;
    const present = !c.removed && f !== null && f.trashed !== true;
    const parent = present ? knownParent(f.parents) : undefined;
    const known = o.store.folder(c.fileId);
    if (known !== undefined || f?.mimeType === FOLDER_MIME) {
      if (known !== undefined) {
        changedFolders.add(c.fileId);
        if (known.parentId !== null) wanted.add(known.parentId);
        if (parent === undefined) goneSubtrees.push(known.keyPrefix);
      }
      if (parent !== undefined) wanted.add(parent.id);
      continue;
    }
    files.push({ id: c.fileId, file: present ? f : null, parent, oldRows: o.store.rowsOf(c.fileId) });
  }
  // A folder inside a changed folder is reached through it (with its new keys), not from its stored record.
  const underChanged = (id: string): boolean => {
    let current = o.store.folder(id);
    for (let depth = 0; current !== undefined && depth < MAX_DEPTH; depth++) {
      if (changedFolders.has(current.id)) return true;
      if (current.parentId === null) return false;
      current = o.store.folder(current.parentId);
    }
    return current === undefined;
  };

  const formats = resolveExportFormats(o.settings.exportFormats);
  const keyed = new Map<string, { c: FileCandidate; item: DriveItem; meta: SourceMeta }>();
  const bySegment = new Map<string, string[]>();
  const slow = (c: FileCandidate): void => {
    if (c.parent !== undefined) wanted.add(c.parent.id);
    for (const row of c.oldRows) {
      const dir = o.store.folderAt(keyDirectory(row.key));
      if (dir !== undefined) wanted.add(dir.id);
    }
  };
  for (const c of files) {
    if (!inShard(c.id, o.shard)) continue; // another pod's file: not in this journal, nothing to list for it
    // An old key with this file's id suffix: its old siblings may lose theirs, so that folder is re-listed.
    const suffix = ` (${mapNameSegment(c.id)})`;
    if (c.oldRows.some((r) => r.key.slice(keyDirectory(r.key).length).includes(suffix))) {
      slow(c);
      continue;
    }
    if (c.parent === undefined || c.file === null) continue; // gone: its rows are dropped below
    const resolved = c.file.mimeType === SHORTCUT_MIME ? null : resolveFileEntry(c.file, c.id, formats);
    if (resolved === null || resolved.kind !== 'file') {
      slow(c);
      continue;
    }
    const segment = mapNameSegment(resolved.name);
    const [stem, ext] = splitExtension(segment);
    if (o.store.segmentTaken(c.parent, segment, stem, ext, c.id)) {
      slow(c);
      continue;
    }
    const item = toItem(resolved, joinPath(c.parent.path, resolved.name), buildKey(o.prefix, c.parent.segments, segment, c.id));
    keyed.set(c.id, { c, item, meta: sourceMeta(c.file) });
    const group = `${c.parent.id}\u0000${segment}`;
    bySegment.set(group, [...(bySegment.get(group) ?? []), c.id]);
  }
  // Two changed files taking the same new name in one folder clash with each other.
  for (const ids of bySegment.values()) {
    if (ids.length < 2) continue;
    for (const id of ids) {
      const k = keyed.get(id);
      if (k === undefined) continue;
      keyed.delete(id);
      slow(k.c);
    }
  }
  // A file whose folder is re-listed anyway is keyed by the listing; repeat until no folder is added.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [id, k] of keyed) {
      const parent = k.c.parent;
      if (parent === undefined || (!wanted.has(parent.id) && !underChanged(parent.id))) continue;
      const before = wanted.size;
      keyed.delete(id);
      slow(k.c);
      changed ||= wanted.size !== before;
    }
  }
  const direct: ListedEntry[] = [];
  const directGone: KeyedRow[] = [];
  for (const k of keyed.values()) {
    direct.push({ kind: 'file', item: k.item, meta: k.meta });
    for (const row of k.c.oldRows) if (row.key !== k.item.key) directGone.push(row);
  }
  // Gone files (deleted, trashed, out of scope) without a suffixed key: their rows go, no folder listed.
  for (const c of files) if (c.file === null || c.parent === undefined) directGone.push(...c.oldRows);

  const start: StartFolder[] = [];
  for (const id of wanted) {
    const f = o.store.folder(id);
    if (f === undefined || underChanged(id)) continue;
    start.push({ id: f.id, path: f.path, segments: f.segments });
  }
  return { start, wanted, goneSubtrees, direct, directGone };
}
