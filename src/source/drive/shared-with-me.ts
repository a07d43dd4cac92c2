// What was shared with a user but lives outside the run's drives (issue 23, --shared-with-me): files.list
// q=sharedWithMe as that user, folders walked like any other. Each item's fate is decided from the file alone
// (owners, permissions, driveId), so shards that list different users agree on its one copy
// (docs/design.md "Organisation sources", "Shared with me").
import type { drive_v3 } from '@googleapis/drive';
import { buildKey, joinPath, mapNameSegment, resolveClashes } from '../../keys/key-mapper.js';
import type { ListedEntry } from './drive-item.js';
import { resolveExportFormats } from './export-formats.js';
import { DEFAULT_PAGE_SIZE, FILE_FIELDS, FOLDER_MIME, listDrive, listerCall, resolveFileEntry, SHORTCUT_MIME, SKIP_REASONS, toItem } from './lister.js';
import type { ListDriveOptions, Resolved, StartFolder } from './lister.js';
import { classifyDriveError } from './retry.js';
import { sourceMeta } from './source-meta.js';

/** The folder under users/<recipient>/ that holds what was shared with them, by owner: `Shared with me/<owner>/<path>`. */
export const SHARED_WITH_ME_SEGMENT = 'Shared with me';

/** Why a shared item is not copied under this user (the report's skip reasons). */
export const SHARED_SKIPS = {
  withOwner: "copied with its owner's drive",
  withSharedDrive: 'copied with its shared drive',
  sharedDriveNotCopied: 'in a shared drive this run does not copy',
  inMyDrive: "in the user's My Drive",
} as const;

export const copiedUnder = (recipient: string): string => `copied under ${recipient}`;

/** What every shard knows alike: the whole selection, not only its own drives. */
export interface SharedWithMeScope {
  /** Every user the organisation run copies (all shards), lower-cased. */
  users: ReadonlySet<string>;
  /** Every shared drive the run copies (all shards); empty without --all-shared-drives. */
  sharedDrives: ReadonlySet<string>;
}

/** The parts of a shared item its fate depends on; permissions null: the user may not read them. */
export interface SharedItem {
  owners: readonly string[];
  driveId: string | null;
  parents: readonly string[];
  permissions: readonly { type: string; email?: string }[] | null;
}

export type SharedFate = { kind: 'copy' } | { kind: 'skip'; reason: string };

/**
 * Who copies an item shared with `lister`: its owner's drive when the run copies the owner, its shared drive,
 * the user's own folder it sits in, else the first-sorting selected user it is shared with. Unknown
 * permissions, or access through a group or domain only, leave the lister as the only recipient it knows of.
 */
export function sharedFate(item: SharedItem, lister: string, scope: SharedWithMeScope, myFolders: ReadonlySet<string>): SharedFate {
  if (item.driveId !== null) return { kind: 'skip', reason: scope.sharedDrives.has(item.driveId) ? SHARED_SKIPS.withSharedDrive : SHARED_SKIPS.sharedDriveNotCopied };
  if (item.owners.some((o) => scope.users.has(o.toLowerCase()))) return { kind: 'skip', reason: SHARED_SKIPS.withOwner };
  if (item.parents.some((p) => myFolders.has(p))) return { kind: 'skip', reason: SHARED_SKIPS.inMyDrive };
  // The item's own recipients, not the whole selection, are what is sorted: an organisation has thousands of users.
  const recipients = (item.permissions ?? []).flatMap((p) => (p.type === 'user' && p.email !== undefined ? [p.email.toLowerCase()] : [])).filter((u) => scope.users.has(u));
  const first = recipients.sort()[0] ?? lister.toLowerCase();
  return first === lister.toLowerCase() ? { kind: 'copy' } : { kind: 'skip', reason: copiedUnder(first) };
}

export interface ListSharedWithMeOptions extends ListDriveOptions {
  /** The user listed (the JWT subject). */
  lister: string;
  scope: SharedWithMeScope;
  /** The folders of the lister's own My Drive listing: what sits in them was copied with it. */
  myFolders: ReadonlySet<string>;
}

interface Kept {
  file: drive_v3.Schema$File;
  owner: string;
}

const LIST_FIELDS = `nextPageToken, files(${FILE_FIELDS})`;

/** Every item shared with the lister that is theirs to copy: top-level files keyed here, folders walked by listDrive. */
export async function* listSharedWithMe(options: ListSharedWithMeOptions): AsyncGenerator<ListedEntry, void, undefined> {
  const { drive, signal, log } = options;
  const call = listerCall(options);
  const opts = signal ? { signal } : {};
  const formats = resolveExportFormats(options.exportFormats);
  const permissionsOf = async (f: drive_v3.Schema$File): Promise<SharedItem['permissions']> => {
    // Drive serves `permissions` in a listing only to who may share the file: the others ask permissions.list.
    if (f.permissions !== undefined && f.permissions !== null) return sourceMeta(f).permissions;
    try {
      const res = await call(() => drive.permissions.list({ fileId: f.id ?? '', supportsAllDrives: true, fields: 'permissions(role,type,emailAddress,domain)' }, opts));
      return sourceMeta({ permissions: res.data.permissions ?? [] }).permissions;
    } catch (err) {
      const e = classifyDriveError(err);
      if (e.code !== 'forbidden' && e.code !== 'not-found') throw e;
      log.warn({ fileId: f.id, code: e.code }, 'the permissions of a shared item cannot be read: it is copied under this user');
      return null;
    }
  };
  const kept: Kept[] = [];
  let pageToken: string | undefined;
  do {
    const token = pageToken;
    const res = await call(() =>
      drive.files.list({ q: 'sharedWithMe = true and trashed = false', pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE, orderBy: 'name', fields: LIST_FIELDS, supportsAllDrives: true, includeItemsFromAllDrives: true, ...(token === undefined ? {} : { pageToken: token }) }, opts),
    );
    const skips: ListedEntry[] = [];
    for (const f of res.data.files ?? []) {
      if (f.trashed === true) continue;
      const owners = (f.owners ?? []).flatMap((o) => (o.emailAddress ? [o.emailAddress.toLowerCase()] : []));
      const base = { owners, driveId: f.driveId ?? null, parents: f.parents ?? [] };
      // The cheap tests first: permissions are fetched only for what could be this user's to copy.
      let fate = sharedFate({ ...base, permissions: [] }, options.lister, options.scope, options.myFolders);
      if (fate.kind === 'copy') fate = sharedFate({ ...base, permissions: await permissionsOf(f) }, options.lister, options.scope, options.myFolders);
      const owner = owners[0] ?? 'unknown owner';
      if (fate.kind === 'copy') kept.push({ file: f, owner });
      else skips.push({ kind: 'skip', skip: { id: f.id ?? '', path: joinPath(joinPath(SHARED_WITH_ME_SEGMENT, owner), f.name ?? ''), mimeType: f.mimeType ?? 'application/octet-stream', reason: fate.reason } });
    }
    yield* skips;
    options.onPage?.({ folderId: 'sharedWithMe', path: SHARED_WITH_ME_SEGMENT, entries: res.data.files?.length ?? 0, folderPagesSoFar: 0 });
    pageToken = res.data.nextPageToken ?? undefined;
  } while (pageToken !== undefined);

  // Names clash per owner, as in one folder: every clashing item gets its id suffix, in any listing order.
  const folders: StartFolder[] = [];
  for (const owner of [...new Set(kept.map((k) => k.owner))].sort()) {
    const ownerSegment = mapNameSegment(owner);
    const ownerPath = joinPath(SHARED_WITH_ME_SEGMENT, owner);
    const resolved = kept.filter((k) => k.owner === owner).map((k): Resolved => {
      const f = k.file;
      const id = f.id ?? '';
      const name = f.name ?? '';
      if (f.mimeType === FOLDER_MIME) return { kind: 'folder', keyId: id, name, targetId: id };
      if (f.mimeType === SHORTCUT_MIME) return { kind: 'skip', id, name, mimeType: SHORTCUT_MIME, reason: SKIP_REASONS.shortcut };
      return resolveFileEntry(f, id, formats);
    });
    const keyed = resolved.filter((r) => r.kind !== 'skip');
    const segments = resolveClashes(keyed.map((r) => ({ id: r.keyId, segment: mapNameSegment(r.name) })));
    let k = 0;
    for (const r of resolved) {
      const path = joinPath(ownerPath, r.name);
      if (r.kind === 'skip') {
        yield { kind: 'skip', skip: { id: r.id, path, mimeType: r.mimeType, reason: r.reason } };
        continue;
      }
      const segment = segments[k++] ?? mapNameSegment(r.name);
      if (r.kind === 'folder') folders.push({ id: r.targetId, path, segments: [SHARED_WITH_ME_SEGMENT, ownerSegment, segment] });
      else yield { kind: 'file', item: toItem(r, path, buildKey(options.prefix, [SHARED_WITH_ME_SEGMENT, ownerSegment], segment, r.keyId)), meta: sourceMeta(r.file) };
    }
  }
  if (folders.length > 0) yield* listDrive({ ...options, start: folders });
}
