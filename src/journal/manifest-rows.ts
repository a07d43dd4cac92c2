// The journal's side of the manifest: the rows it lists, read a page at a time, and a fingerprint that changes
// whenever one of them does (an idle delta then writes nothing).
import type Database from 'better-sqlite3';
import type { SourceMeta } from '../source/drive/drive-item.js';
import { fromRow } from './item-row.js';
import type { StoredItemRow } from './item-row.js';

export interface ManifestRow {
  id: string;
  path: string;
  key: string;
  size: number | null;
  md5: string | null;
  sha1: string | null;
  mimeType: string;
  contentType: string;
  modifiedTime: string;
  exportFormat: string | null;
  meta: SourceMeta | null;
}

const LIVE = `status = 'done' AND gone_at IS NULL AND key <> ''`;
// One drive's rows (an organisation run's manifest per drive): the key range [p, p + U+10FFFF) uses items_key;
// p = '' is every row.
const UNDER = `(@p = '' OR (key >= @p AND key < @p || '${String.fromCodePoint(0x10ffff)}'))`;
/** Rows read per query: the connection is free between pages (the lease heartbeat uses it while the manifest streams). */
const PAGE_ROWS = 1000;

type ManifestRecord = StoredItemRow & { seq: number; source_meta: string | null; bytes_copied: number; done_md5: string | null };

function toManifestRow(row: ManifestRecord): ManifestRow {
  const item = fromRow(row);
  return {
    id: item.id,
    path: item.path,
    key: item.key,
    // An export's size and md5 are known only once it has streamed.
    size: item.size ?? row.bytes_copied,
    md5: item.md5 ?? row.done_md5,
    sha1: item.sha1,
    mimeType: item.mimeType,
    contentType: item.contentType,
    modifiedTime: item.modifiedTime,
    exportFormat: item.download.kind === 'export' ? item.download.extension : null,
    meta: row.source_meta === null ? null : (JSON.parse(row.source_meta) as SourceMeta),
  };
}

/** The journal's manifest queries (Journal.manifest). */
export class ManifestStore {
  constructor(private readonly db: Database.Database) {}

  /**
   * Every copied file still in Drive, in key order, a page at a time: neither all rows in memory nor the
   * connection held by one open statement for as long as the manifest takes to write.
   */
  *rows(under = ''): Generator<ManifestRow> {
    const page = this.db.prepare<[{ key: string; seq: number; limit: number; p: string }], ManifestRecord>(
      `SELECT seq, drive_id, key, path, size, md5, mime_type, modified_time, payload, source_meta, bytes_copied, done_md5
       FROM items WHERE ${LIVE} AND ${UNDER} AND (key > @key OR (key = @key AND seq > @seq)) ORDER BY key, seq LIMIT @limit`,
    );
    let after = { key: under, seq: 0 };
    for (;;) {
      const rows = page.all({ ...after, limit: PAGE_ROWS, p: under });
      for (const row of rows) yield toManifestRow(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE_ROWS) return;
      after = { key: last.key, seq: last.seq };
    }
  }

  /** Changes whenever a listed row (under the key prefix `under`, '' for all) is added, updated, copied or found gone. */
  fingerprint(under = ''): string {
    const r = this.db
      .prepare<[{ p: string }], { n: number | null; updated: number | null; gone: number | null; goneAt: number | null }>(
        `SELECT SUM(CASE WHEN ${LIVE} THEN 1 ELSE 0 END) AS n, MAX(updated_at) AS updated,
                SUM(CASE WHEN gone_at IS NOT NULL THEN 1 ELSE 0 END) AS gone, MAX(gone_at) AS goneAt FROM items WHERE ${UNDER}`,
      )
      .get({ p: under });
    return `${r?.n ?? 0}:${r?.updated ?? 0}:${r?.gone ?? 0}:${r?.goneAt ?? 0}`;
  }

  /** The fingerprint of the manifest last written at this key, if any. */
  written(key: string): string | null {
    return this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?').get(`manifest:${key}`)?.value ?? null;
  }

  setWritten(key: string, fingerprint: string): void {
    this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(`manifest:${key}`, fingerprint);
  }

  /** True when a listed file would be overwritten by an object at this key. */
  keyTaken(key: string): boolean {
    return this.db.prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM items WHERE key = ?`).get(key)?.n !== 0;
  }
}
