// What a delta pass (issue 22) keeps in the journal: the change token, the folders of the copied tree as
// the last pass keyed them, and which rows are gone from Drive. A folder's objects are found by its key
// prefix: key segments never contain '/', so `prefix/segments/` selects exactly that folder's subtree.
// A store has a scope: '' for a one-folder or one-drive run, or an organisation drive's key prefix
// (`<s3-prefix>/users/<email>/`), whose token, folders and rows are that drive's alone (issue 23).
import type Database from 'better-sqlite3';
import type { ItemStatus } from './types.js';

export interface FolderRecord {
  id: string;
  /** null for the copied folder (or shared drive) itself. */
  parentId: string | null;
  /** Display path below the copied folder ('' for the root). */
  path: string;
  /** Mapped key segments below the copied folder. */
  segments: string[];
  /** The keys of this folder's children start with this ('' or ending in '/'). */
  keyPrefix: string;
}

export interface KeyedRow {
  seq: number;
  driveId: string;
  key: string;
  status: ItemStatus;
}

/** A row a pass found gone from Drive, as the report lists it. */
export interface GoneRecord {
  key: string;
  driveId: string;
  path: string;
  status: ItemStatus;
}

/** A done row of the same file and content at another key: its object can be copied inside S3 (a rename or move). */
export interface CopySource {
  key: string;
  bytes: number;
  md5: string | null;
  etag: string | null;
}

export const GONE_SKIP_REASON = 'gone-from-drive';
const PAST_EVERY = String.fromCodePoint(0x10ffff);
// Key ranges [p, p + U+10FFFF) use items_key; U+10FFFF sorts after every character in UTF-8.
const LIVE_UNDER = `key >= @p AND key < @p || '${PAST_EVERY}' AND key <> '' AND gone_at IS NULL`;

interface FolderRow {
  id: string;
  parent_id: string | null;
  path: string;
  segments: string;
  key_prefix: string;
}

const toFolder = (r: FolderRow): FolderRecord => ({ id: r.id, parentId: r.parent_id, path: r.path, segments: JSON.parse(r.segments) as string[], keyPrefix: r.key_prefix });

/** The key prefix of a folder's children: `prefix/` + segments joined + `/` ('' for the root without prefix). */
export function folderKeyPrefix(prefix: string, segments: readonly string[]): string {
  const parts = [...(prefix === '' ? [] : [prefix]), ...segments];
  return parts.length === 0 ? '' : `${parts.join('/')}/`;
}

/** The key prefix of the folder an object key sits in. */
export function keyDirectory(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

export class DeltaStore {
  private readonly upsertFolder: Database.Statement<[FolderRow & { scope: string }]>;
  private readonly folderById: Database.Statement<[{ scope: string; id: string }], FolderRow>;
  private readonly folderByKeyPrefix: Database.Statement<[{ scope: string; p: string }], FolderRow>;
  private readonly rowsOfDrive: Database.Statement<[{ id: string; p: string }], KeyedRow>;
  private readonly rowsInFolder: Database.Statement<[{ p: string }], KeyedRow>;
  private readonly rowsInSubtree: Database.Statement<[{ p: string }], KeyedRow>;
  private readonly taken: Database.Statement<[{ id: string; exact: string; p: string; tail: string }], { 1: number }>;
  private readonly childFolders: Database.Statement<[{ scope: string; id: string }], { segments: string }>;
  private readonly setGone: Database.Statement<[{ seq: number; now: number; reason: string }]>;
  private readonly tokenOf: Database.Statement<[string], { token: string; synced_at: number }>;
  private readonly sameContent: Database.Statement<[{ id: string; key: string; size: number | null; md5: string | null; modifiedTime: string }], CopySource>;
  private readonly setCopied: Database.Statement<[{ id: string; key: string; bytes: number; md5: string | null; etag: string | null; now: number }]>;

  constructor(
    private readonly db: Database.Database,
    /** '' (the one drive of the journal) or an organisation drive's key prefix. */
    readonly scope = '',
  ) {
    this.upsertFolder = db.prepare(
      `INSERT INTO folders (scope, id, parent_id, path, segments, key_prefix) VALUES (@scope, @id, @parent_id, @path, @segments, @key_prefix)
       ON CONFLICT (scope, id) DO UPDATE SET parent_id = excluded.parent_id, path = excluded.path, segments = excluded.segments, key_prefix = excluded.key_prefix`,
    );
    this.folderById = db.prepare(`SELECT id, parent_id, path, segments, key_prefix FROM folders WHERE scope = @scope AND id = @id`);
    this.folderByKeyPrefix = db.prepare(`SELECT id, parent_id, path, segments, key_prefix FROM folders WHERE scope = @scope AND key_prefix = @p`);
    const cols = 'seq, drive_id AS driveId, key, status';
    // A file's rows in this scope only: the same file id may be another drive's row too.
    this.rowsOfDrive = db.prepare(`SELECT ${cols} FROM items WHERE drive_id = @id AND ${LIVE_UNDER}`);
    this.rowsInFolder = db.prepare(`SELECT ${cols} FROM items WHERE ${LIVE_UNDER} AND instr(substr(key, length(@p) + 1), '/') = 0`);
    this.rowsInSubtree = db.prepare(`SELECT ${cols} FROM items WHERE ${LIVE_UNDER}`);
    this.taken = db.prepare(
      `SELECT 1 FROM items WHERE drive_id <> @id AND gone_at IS NULL AND (key = @exact OR (key >= @p AND key < @p || '${PAST_EVERY}'
         AND substr(key, -length(@tail)) = @tail AND instr(substr(key, length(@p) + 1), '/') = 0)) LIMIT 1`,
    );
    this.childFolders = db.prepare('SELECT segments FROM folders WHERE scope = @scope AND parent_id = @id');
    this.tokenOf = db.prepare('SELECT token, synced_at FROM drive_tokens WHERE scope = ?');
    // A file gone before it was copied is skipped with the reason; a copied one keeps its status and object.
    this.setGone = db.prepare(
      `UPDATE items SET gone_at = @now, updated_at = @now,
         status = CASE WHEN status IN ('pending', 'failed') THEN 'skipped' ELSE status END,
         skip_reason = CASE WHEN status IN ('pending', 'failed') THEN @reason ELSE skip_reason END,
         checkpoint = CASE WHEN status IN ('pending', 'failed') THEN NULL ELSE checkpoint END,
         upload_id = CASE WHEN status IN ('pending', 'failed') THEN NULL ELSE upload_id END
       WHERE seq = @seq AND status <> 'in-progress'`,
    );
    // Same bytes: the md5 when Drive has one; an export (no md5) only when its modifiedTime did not move either.
    this.sameContent = db.prepare(
      `SELECT key, bytes_copied AS bytes, done_md5 AS md5, etag FROM items
       WHERE drive_id = @id AND key <> @key AND key <> '' AND status = 'done' AND changed_in_flight = 0 AND size IS @size
         AND ((@md5 IS NOT NULL AND md5 = @md5) OR (@md5 IS NULL AND md5 IS NULL AND modified_time = @modifiedTime))
       ORDER BY gone_at IS NOT NULL, seq DESC LIMIT 1`,
    );
    this.setCopied = db.prepare(
      `UPDATE items SET status = 'done', bytes_copied = @bytes, done_md5 = @md5, etag = @etag, finished_at = @now, attempts = 0,
         checkpoint = NULL, upload_id = NULL, last_error = NULL, skip_reason = NULL, updated_at = @now
       WHERE drive_id = @id AND key = @key AND status = 'pending'`,
    );
  }

  /** The object a newly keyed file can be copied from inside S3 (same file, same content, copied), if any. */
  copySource(item: { id: string; key: string; size: number | null; md5: string | null; modifiedTime: string }): CopySource | undefined {
    return this.sameContent.get({ id: item.id, key: item.key, size: item.size, md5: item.md5, modifiedTime: item.modifiedTime });
  }

  /** The row of (drive id, key) is done: its object was copied inside S3 from `from`. */
  markCopied(driveId: string, key: string, from: CopySource): void {
    this.setCopied.run({ id: driveId, key, bytes: from.bytes, md5: from.md5, etag: from.etag, now: Date.now() });
  }

  private meta(name: string): string | null {
    return this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?').get(name)?.value ?? null;
  }

  /** The token the last completed pass ended at: a run from it is a delta pass. */
  changeToken(): string | null {
    return this.scope === '' ? this.meta('change_token') : (this.tokenOf.get(this.scope)?.token ?? null);
  }

  /** When the last completed pass read Drive (epoch ms): what the sync lag is measured from. */
  syncedAt(): number | null {
    const value = this.scope === '' ? this.meta('synced_at') : (this.tokenOf.get(this.scope)?.synced_at ?? null);
    return value === null ? null : Number(value);
  }

  /** The token a completed pass ends at, and when that pass read Drive (its changes are all applied since). */
  setChangeToken(token: string, syncedAt: number): void {
    if (this.scope !== '') {
      this.db.prepare('INSERT INTO drive_tokens (scope, token, synced_at) VALUES (?, ?, ?) ON CONFLICT (scope) DO UPDATE SET token = excluded.token, synced_at = excluded.synced_at').run(this.scope, token, syncedAt);
      return;
    }
    const set = this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
    set.run('change_token', token);
    set.run('synced_at', String(syncedAt));
  }

  /** A full pass (of this scope's drive) starts: its folders are rebuilt by the listing, the old token no longer applies. */
  startFullPass(): void {
    this.db.transaction(() => {
      if (this.scope === '') this.db.prepare("DELETE FROM meta WHERE name = 'change_token'").run();
      else this.db.prepare('DELETE FROM drive_tokens WHERE scope = ?').run(this.scope);
      this.db.prepare('DELETE FROM folders WHERE scope = ?').run(this.scope);
    })();
  }

  recordFolders(folders: readonly FolderRecord[]): void {
    this.db.transaction(() => {
      for (const f of folders) this.upsertFolder.run({ scope: this.scope, id: f.id, parent_id: f.parentId, path: f.path, segments: JSON.stringify(f.segments), key_prefix: f.keyPrefix });
    })();
  }

  folder(id: string): FolderRecord | undefined {
    const row = this.folderById.get({ scope: this.scope, id });
    return row === undefined ? undefined : toFolder(row);
  }

  folderAt(keyPrefix: string): FolderRecord | undefined {
    const row = this.folderByKeyPrefix.get({ scope: this.scope, p: keyPrefix });
    return row === undefined ? undefined : toFolder(row);
  }

  /** Forget the folders at and below a key prefix (a subtree that left, or will be re-recorded). */
  dropFoldersUnder(keyPrefix: string): void {
    this.db.prepare('DELETE FROM folders WHERE scope = @scope AND substr(key_prefix, 1, length(@p)) = @p').run({ scope: this.scope, p: keyPrefix });
  }

  /** Rows (not gone) of a Drive file, at every key it has. */
  rowsOf(driveId: string): KeyedRow[] {
    return this.rowsOfDrive.all({ id: driveId, p: this.scope });
  }

  /** Rows (not gone) directly in the folder with this key prefix, or in its whole subtree. */
  rowsUnder(keyPrefix: string, recursive: boolean): KeyedRow[] {
    return (recursive ? this.rowsInSubtree : this.rowsInFolder).all({ p: keyPrefix });
  }

  /**
   * Whether another item of the folder already maps to `segment` (so the key-mapper's clash suffix would
   * apply): a file row at `<folder>/<segment>`, or at its suffixed form `<stem> (<id>)<ext>`, or a subfolder.
   */
  segmentTaken(folder: FolderRecord, segment: string, stem: string, ext: string, id: string): boolean {
    if (this.taken.get({ id, exact: folder.keyPrefix + segment, p: `${folder.keyPrefix}${stem} (`, tail: `)${ext}` }) !== undefined) return true;
    return this.childFolders.all({ scope: this.scope, id: folder.id }).some((r) => {
      const last = (JSON.parse(r.segments) as string[]).at(-1) ?? '';
      return last === segment || (last.startsWith(`${stem} (`) && last.endsWith(`)${ext}`));
    });
  }

  /** Rows an earlier listing saw and the current (complete) full listing did not. */
  unseenByListing(generation: number): KeyedRow[] {
    return this.db
      .prepare<[number], KeyedRow>(`SELECT seq, drive_id AS driveId, key, status FROM items WHERE key <> '' AND gone_at IS NULL AND seen_gen < ?`)
      .all(generation);
  }

  /** Rows under a key prefix an earlier listing saw and the current one did not (one drive of an organisation run). */
  unseenUnder(generation: number, keyPrefix: string): KeyedRow[] {
    return this.db
      .prepare<[{ g: number; p: string }], KeyedRow>(
        `SELECT seq, drive_id AS driveId, key, status FROM items WHERE ${LIVE_UNDER} AND seen_gen < @g`,
      )
      .all({ g: generation, p: keyPrefix });
  }

  /** Keyed rows not gone outside every one of these (disjoint) key prefixes: drives a run did not select. */
  countOutside(keyPrefixes: readonly string[]): number {
    const all = this.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM items WHERE key <> '' AND gone_at IS NULL`).get()?.n ?? 0;
    const under = this.db.prepare<[{ p: string }], { n: number }>(`SELECT COUNT(*) AS n FROM items WHERE ${LIVE_UNDER}`);
    return keyPrefixes.reduce((n, p) => n - (under.get({ p })?.n ?? 0), all);
  }

  /** Mark rows gone from Drive (objects kept); a row a child holds right now is left for the next pass. */
  markGone(seqs: readonly number[]): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const seq of seqs) this.setGone.run({ seq, now, reason: GONE_SKIP_REASON });
    })();
  }

  /** Forget a row whose object was deleted (--deletes delete). */
  deleteRow(seq: number): void {
    this.db.prepare('DELETE FROM items WHERE seq = ?').run(seq);
  }

  /** The stored state of (drive id, key), to tell a re-listed entry new, changed or unchanged. */
  existing(driveId: string, key: string): { size: number | null; md5: string | null; modifiedTime: string | null } | undefined {
    return this.db
      .prepare<[string, string], { size: number | null; md5: string | null; modifiedTime: string | null }>(
        'SELECT size, md5, modified_time AS modifiedTime FROM items WHERE drive_id = ? AND key = ?',
      )
      .get(driveId, key);
  }

  /** A delta pass completed: its folder changes and the token it ends at, in one commit. */
  finishDelta(dropPrefixes: readonly string[], folders: readonly FolderRecord[], token: string, syncedAt: number): void {
    this.db.transaction(() => {
      for (const p of dropPrefixes) this.dropFoldersUnder(p);
      this.recordFolders(folders);
      this.setChangeToken(token, syncedAt);
    })();
  }

  /** Gone rows with an object to delete (--deletes delete): every pass's, so an interrupted delete is finished later. */
  goneWithKeys(): { seq: number; key: string }[] {
    return this.db.prepare<[], { seq: number; key: string }>(`SELECT seq, key FROM items WHERE gone_at IS NOT NULL AND key <> '' ORDER BY seq`).all();
  }

  goneCount(): number {
    return this.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM items WHERE gone_at IS NOT NULL AND key <> ''`).get()?.n ?? 0;
  }

  /** Rows marked gone, for the report (what --deletes delete would remove). */
  goneRows(limit: number): GoneRecord[] {
    return this.db
      .prepare<[number], GoneRecord>(`SELECT key, drive_id AS driveId, path, status FROM items WHERE gone_at IS NOT NULL ORDER BY seq LIMIT ?`)
      .all(limit);
  }
}
