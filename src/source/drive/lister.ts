// Walk a Drive folder (or shared drive) breadth-first and yield one ListedEntry per file, page by page.
// Memory holds the queue of folders still to list and, for the folder being listed, the current group of
// names that might clash (see keys/key-mapper.ts `clashGroup`) — never the file list.
import { createHash } from 'node:crypto';
import type { drive_v3 } from '@googleapis/drive';
import { PreflightError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Drive } from './drive-client.js';
import { SOURCE_META_FIELDS, sourceMeta } from './source-meta.js';
import type { DriveItem, ListedEntry } from './drive-item.js';
import { pickExportFormat, resolveExportFormats } from './export-formats.js';
import type { ExportFormat } from './export-formats.js';
import { buildKey, clashGroup, exportedName, joinPath, mapNameSegment, resolveClashes, withIdSuffix } from '../../keys/key-mapper.js';
import type { OutageView } from '../../ipc/service-signals.js';
import { paced } from './pacer.js';
import type { Pacer } from './pacer.js';
import { classifyDriveError } from './retry.js';
import { withOutageWait } from './outage-wait.js';
import type { RetryOptions } from './retry.js';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';
export const SHORTCUT_MIME = 'application/vnd.google-apps.shortcut';
const WORKSPACE_PREFIX = 'application/vnd.google-apps.';

/** The fields the lister reads; asking for them keeps Drive's responses small. */
export const FILE_FIELDS =
  `id, name, mimeType, size, md5Checksum, sha1Checksum, modifiedTime, parents, trashed, shortcutDetails(targetId, targetMimeType), capabilities(canDownload), exportLinks, driveId, ${SOURCE_META_FIELDS}`;
const LIST_FIELDS = `nextPageToken, incompleteSearch, files(${FILE_FIELDS})`;

export const DEFAULT_PAGE_SIZE = 1000;

/** Skip reasons recorded in the journal and report. */
export const SKIP_REASONS = {
  shortcut: 'shortcut',
  shortcutLoop: 'shortcut-loop',
  shortcutTargetMissing: 'shortcut-target-missing',
  cannotDownload: 'cannot-download',
  notExportable: 'not-exportable',
  noExportFormat: 'no-export-format',
  folderAlreadyListed: 'folder-already-listed',
} as const;

export interface PageInfo {
  folderId: string;
  /** Display path of the folder below the migrated folder ('' for the root). */
  path: string;
  /** Entries in this page. */
  entries: number;
  folderPagesSoFar: number;
}

/** A folder as the listing keyed it (recorded for delta passes, issue 22). */
export interface ListedFolder {
  id: string;
  parentId: string;
  path: string;
  segments: string[];
}

/** A folder to start listing from, keyed already (a delta pass re-lists folders, not the tree). */
export interface StartFolder {
  id: string;
  path: string;
  segments: string[];
}

export interface ListDriveOptions {
  drive: Drive;
  /** The folder to migrate; default the shared drive (when sharedDriveId is set) or 'root' (My Drive). */
  rootFolderId?: string;
  sharedDriveId?: string;
  /** Preferred export formats as extensions (docx, xlsx, pptx, svg, pdf, ...), first match wins. */
  exportFormats: readonly string[];
  shortcuts: 'skip' | 'follow';
  /**
   * Accepted for symmetry with downloads: Drive's listing does not say which files are abuse-flagged (only
   * alt=media answers 403 cannotDownloadAbusiveFile), so this has no effect here; see download.ts.
   */
  acknowledgeAbuse: boolean;
  prefix: string;
  pacer: Pacer;
  log: Logger;
  onPage?: (info: PageInfo) => void;
  signal?: AbortSignal;
  retry?: Partial<RetryOptions>;
  pageSize?: number;
  /**
   * The supervisor's outage watch (issue 20 point 5): an unreachable failure is reported at its first retry,
   * and while the watch holds Drive down the listing waits where it is instead of failing the run.
   */
  outage?: OutageView;
  /** List these folders instead of the root (default: the root, segments []). */
  start?: readonly StartFolder[];
  /** Each subfolder found, before it is listed; false: do not descend into it. */
  onFolder?: (folder: ListedFolder) => boolean;
  /** Segments the root folder's own items may not take (they get the id suffix): a tree of ours sits there. */
  reservedRootSegments?: readonly string[];
}

interface QueuedFolder {
  id: string;
  path: string;
  segments: string[];
}

/** One child, resolved (shortcut followed) but not yet keyed. */
export type Resolved =
  | { kind: 'folder'; keyId: string; name: string; targetId: string }
  | { kind: 'file'; keyId: string; name: string; file: drive_v3.Schema$File; export: (ExportFormat & { url: string }) | null }
  | { kind: 'skip'; id: string; name: string; mimeType: string; reason: string };

function quote(id: string): string {
  return `'${id.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function segmentHash(segment: string): string {
  return createHash('sha1').update(segment).digest('base64').slice(0, 12);
}

/** Build the query and shared-drive parameters for listing one folder's children. */
function listParams(folderId: string, sharedDriveId: string | undefined, pageSize: number, pageToken: string | undefined): drive_v3.Params$Resource$Files$List {
  return {
    q: `${quote(folderId)} in parents and trashed = false`,
    pageSize,
    // Sorting by name keeps clashing names next to each other, so clashes are resolved one group at a time.
    orderBy: 'name',
    fields: LIST_FIELDS,
    supportsAllDrives: true,
    includeItemsFromAllDrives: true,
    ...(sharedDriveId === undefined ? {} : { corpora: 'drive', driveId: sharedDriveId }),
    ...(pageToken === undefined ? {} : { pageToken }),
  };
}

/** How a listing calls Drive: paced, retried with backoff, and waiting out an outage the watch reports. */
export function listerCall(options: Pick<ListDriveOptions, 'pacer' | 'log' | 'signal' | 'retry' | 'outage'>): <T>(fn: () => Promise<T>) => Promise<T> {
  const { pacer, log, signal } = options;
  const retry: RetryOptions = {
    maxRetries: options.retry?.maxRetries ?? 8,
    baseMs: options.retry?.baseMs ?? 1000,
    capMs: options.retry?.capMs ?? 32_000,
    ...(signal === undefined ? {} : { signal }),
    // withOutageWait reports an unreachable Drive to the outage watch at each retry.
    onRetry: (info) => {
      log.warn({ attempt: info.attempt, delayMs: info.delayMs, code: info.error.code, err: info.error.message }, 'drive list request retried');
      options.retry?.onRetry?.(info);
    },
    ...(options.retry?.random === undefined ? {} : { random: options.retry.random }),
  };
  const wait = options.outage === undefined ? undefined : { outage: options.outage, log, what: 'the listing' };
  return <T>(fn: () => Promise<T>): Promise<T> => withOutageWait(() => paced(pacer, signal, fn), retry, wait);
}

export async function* listDrive(options: ListDriveOptions): AsyncGenerator<ListedEntry, void, undefined> {
  const { drive, log, signal } = options;
  const formats = resolveExportFormats(options.exportFormats);
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const call = listerCall(options);
  const rootId = options.rootFolderId ?? options.sharedDriveId ?? 'root';
  const queue: QueuedFolder[] = options.start?.map((f) => ({ ...f })) ?? [{ id: rootId, path: '', segments: [] }];
  const visited = new Set<string>([rootId, ...queue.map((f) => f.id)]);

  const resolve = async (f: drive_v3.Schema$File): Promise<Resolved> => {
    const id = f.id ?? '';
    const name = f.name ?? '';
    const mimeType = f.mimeType ?? 'application/octet-stream';
    if (mimeType === FOLDER_MIME) return { kind: 'folder', keyId: id, name, targetId: id };
    if (mimeType === SHORTCUT_MIME) {
      if (options.shortcuts === 'skip') return { kind: 'skip', id, name, mimeType, reason: SKIP_REASONS.shortcut };
      const targetId = f.shortcutDetails?.targetId;
      if (!targetId) return { kind: 'skip', id, name, mimeType, reason: SKIP_REASONS.shortcutTargetMissing };
      let target: drive_v3.Schema$File;
      try {
        target = (await call(() => drive.files.get({ fileId: targetId, fields: FILE_FIELDS, supportsAllDrives: true }, { ...(signal ? { signal } : {}) }))).data;
      } catch (err) {
        const error = classifyDriveError(err);
        if (error.code === 'not-found' || error.code === 'forbidden') {
          return { kind: 'skip', id, name, mimeType, reason: SKIP_REASONS.shortcutTargetMissing };
        }
        throw error;
      }
      if (target.trashed === true) return { kind: 'skip', id, name, mimeType, reason: SKIP_REASONS.shortcutTargetMissing };
      if (target.mimeType === FOLDER_MIME) return { kind: 'folder', keyId: id, name, targetId };
      if (target.mimeType === SHORTCUT_MIME) return { kind: 'skip', id, name, mimeType, reason: SKIP_REASONS.shortcutLoop };
      return resolveFile({ ...target, name }, id);
    }
    return resolveFile(f, id);
  };

  const resolveFile = (f: drive_v3.Schema$File, keyId: string): Resolved => resolveFileEntry(f, keyId, formats);

  while (queue.length > 0) {
    const folder = queue.shift();
    if (!folder) break;
    // Segments already used in this folder by earlier groups: catches clashes Drive's ordering did not put
    // side by side (e.g. 'a/b' and 'a∕b'); those get the id suffix in listing order.
    const usedSegments = new Set<string>();
    let group: Resolved[] = [];
    let groupKey: string | null = null;

    const flush = function* (): Generator<ListedEntry> {
      const keyed = group.filter((r): r is Exclude<Resolved, { kind: 'skip' }> => r.kind !== 'skip');
      const segments = resolveClashes(keyed.map((r) => ({ id: r.keyId, segment: mapNameSegment(r.name) })));
      let k = 0;
      for (const r of group) {
        const path = joinPath(folder.path, r.name);
        if (r.kind === 'skip') {
          yield { kind: 'skip', skip: { id: r.id, path, mimeType: r.mimeType, reason: r.reason } };
          continue;
        }
        let segment = segments[k++] ?? mapNameSegment(r.name);
        if (folder.id === rootId && options.reservedRootSegments?.includes(segment) === true) segment = withIdSuffix(segment, r.keyId);
        const hash = segmentHash(segment);
        if (usedSegments.has(hash)) {
          log.warn({ folderId: folder.id, fileId: r.keyId }, 'name clash across sort groups: id suffix added');
          segment = withIdSuffix(segment, r.keyId);
        }
        usedSegments.add(segmentHash(segment));
        if (r.kind === 'folder') {
          if (visited.has(r.targetId)) {
            yield { kind: 'skip', skip: { id: r.keyId, path, mimeType: FOLDER_MIME, reason: r.keyId === r.targetId ? SKIP_REASONS.folderAlreadyListed : SKIP_REASONS.shortcutLoop } };
            continue;
          }
          visited.add(r.targetId);
          const segments = [...folder.segments, segment];
          if (options.onFolder?.({ id: r.targetId, parentId: folder.id, path, segments }) === false) continue;
          queue.push({ id: r.targetId, path, segments });
          continue;
        }
        yield { kind: 'file', item: toItem(r, path, buildKey(options.prefix, folder.segments, segment, r.keyId)), meta: sourceMeta(r.file) };
      }
      group = [];
      groupKey = null;
    };

    let pageToken: string | undefined;
    let pages = 0;
    do {
      const token = pageToken;
      const response = await call(() => drive.files.list(listParams(folder.id, options.sharedDriveId, pageSize, token), { ...(signal ? { signal } : {}) }));
      const files = response.data.files ?? [];
      pages++;
      for (const f of files) {
        if (f.trashed === true) continue;
        const key = clashGroup(f.name ?? '');
        if (groupKey !== null && key !== groupKey) yield* flush();
        groupKey = key;
        group.push(await resolve(f));
      }
      options.onPage?.({ folderId: folder.id, path: folder.path, entries: files.length, folderPagesSoFar: pages });
      pageToken = response.data.nextPageToken ?? undefined;
    } while (pageToken);
    yield* flush();
  }
}

/** A file (not a folder or shortcut) as the listing keys it: exported name and format, or why it is skipped. */
export function resolveFileEntry(f: drive_v3.Schema$File, keyId: string, formats: ReturnType<typeof resolveExportFormats>): Resolved {
  const id = f.id ?? '';
  const name = f.name ?? '';
  const mimeType = f.mimeType ?? 'application/octet-stream';
  if (f.capabilities?.canDownload === false) return { kind: 'skip', id, name, mimeType, reason: SKIP_REASONS.cannotDownload };
  if (mimeType.startsWith(WORKSPACE_PREFIX)) {
    const links = f.exportLinks;
    if (!links || Object.keys(links).length === 0) return { kind: 'skip', id, name, mimeType, reason: SKIP_REASONS.notExportable };
    const format = pickExportFormat(formats, links);
    if (!format) return { kind: 'skip', id, name, mimeType, reason: SKIP_REASONS.noExportFormat };
    return { kind: 'file', keyId, name: exportedName(name, format.extension), file: f, export: format };
  }
  return { kind: 'file', keyId, name, file: f, export: null };
}

export function toItem(r: Extract<Resolved, { kind: 'file' }>, path: string, key: string): DriveItem {
  const f = r.file;
  const mimeType = f.mimeType ?? 'application/octet-stream';
  const common = { id: f.id ?? '', name: f.name ?? '', path, key, mimeType, modifiedTime: f.modifiedTime ?? '' };
  if (r.export) {
    // An export's size and md5 are unknown until it has streamed.
    const { url, mimeType: exportMime, extension } = r.export;
    return { ...common, contentType: exportMime, size: null, md5: null, sha1: null, download: { kind: 'export', url, mimeType: exportMime, extension } };
  }
  const size = f.size === undefined || f.size === null ? null : Number(f.size);
  return { ...common, contentType: mimeType, size: size !== null && Number.isFinite(size) ? size : null, md5: f.md5Checksum ?? null, sha1: f.sha1Checksum ?? null, download: { kind: 'media' } };
}

export interface ResolvedRoot {
  id: string;
  name: string;
  kind: 'folder' | 'shared-drive';
}

export interface ResolveRootOptions {
  drive: Drive;
  rootFolderId?: string;
  sharedDriveId?: string;
  signal?: AbortSignal;
}

/**
 * Preflight: the folder or shared drive to migrate exists and these credentials can read it.
 * Throws PreflightError with one line naming --drive-folder-id or --shared-drive-id.
 */
export async function resolveRoot(options: ResolveRootOptions): Promise<ResolvedRoot> {
  const { drive, sharedDriveId, rootFolderId, signal } = options;
  const opts = signal ? { signal } : {};
  const explain = (setting: string, value: string, err: unknown): PreflightError => {
    const e = classifyDriveError(err);
    // The token source failed before Drive was asked anything (a metadata server or token endpoint that does
    // not answer): the credentials are the setting to look at, not the folder.
    if (/Could not refresh access token/.test(e.message)) return new PreflightError(`Drive credentials (--google-credentials, --drive-access-token or --oauth-*): could not get an access token (${e.message})`);
    if (e.code === 'not-found') return new PreflightError(`${setting} ${value}: not found, or not shared with these credentials`);
    if (e.code === 'unauthorized') return new PreflightError(`${setting} ${value}: Drive rejected the credentials (${e.message})`);
    if (e.code === 'forbidden') return new PreflightError(`${setting} ${value}: not readable with these credentials (${e.message})`);
    return new PreflightError(`${setting} ${value}: Drive check failed (${e.message})`);
  };
  if (sharedDriveId !== undefined) {
    let shared: ResolvedRoot;
    try {
      const res = await drive.drives.get({ driveId: sharedDriveId, fields: 'id, name' }, opts);
      shared = { id: res.data.id ?? sharedDriveId, name: res.data.name ?? '', kind: 'shared-drive' };
    } catch (err) {
      throw explain('--shared-drive-id', sharedDriveId, err);
    }
    if (rootFolderId === undefined) return shared;
  }
  const folderId = rootFolderId ?? 'root';
  let file: drive_v3.Schema$File;
  try {
    file = (await drive.files.get({ fileId: folderId, fields: FILE_FIELDS, supportsAllDrives: true }, opts)).data;
  } catch (err) {
    throw explain('--drive-folder-id', folderId, err);
  }
  if (file.mimeType !== FOLDER_MIME) throw new PreflightError(`--drive-folder-id ${folderId}: is not a folder (${file.mimeType ?? 'unknown type'})`);
  if (file.trashed === true) throw new PreflightError(`--drive-folder-id ${folderId}: is in the trash`);
  if (sharedDriveId !== undefined && file.driveId !== sharedDriveId) {
    throw new PreflightError(`--drive-folder-id ${folderId}: is not in shared drive --shared-drive-id ${sharedDriveId}`);
  }
  return { id: file.id ?? folderId, name: file.name ?? '', kind: 'folder' };
}
