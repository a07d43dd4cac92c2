// The journal's tables. One row per (Drive file id, S3 key); see journal.ts for why that pair.
// Bump SCHEMA_VERSION with any change and add a step to MIGRATIONS (a writable open migrates; a read-only one
// asks for a run first).
import type Database from 'better-sqlite3';
import { JournalError } from '../errors.js';

export const SCHEMA_VERSION = 5;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS items (
  -- The rowid: dispatch order (listing order) and the opaque item id handed out as WorkItem.id.
  seq            INTEGER PRIMARY KEY,
  drive_id       TEXT NOT NULL,
  -- '' for entries the listing skipped (they have no S3 key).
  key            TEXT NOT NULL,
  path           TEXT NOT NULL,
  size           INTEGER,
  md5            TEXT,
  mime_type      TEXT NOT NULL,
  modified_time  TEXT,
  -- The DriveItem minus the fields stored in columns above (rebuilt by item-row.ts). NULL for listing skips.
  payload        TEXT,
  status         TEXT NOT NULL CHECK (status IN ('pending', 'in-progress', 'done', 'skipped', 'failed')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  last_error     TEXT,
  -- 1 when the last failure was transient (failure-kind.ts): a plain run retries it, see failed_runs.
  failure_transient INTEGER NOT NULL DEFAULT 0,
  -- Runs this file failed in since it was listed or retry-failed (bounded by --max-runs-per-file).
  failed_runs    INTEGER NOT NULL DEFAULT 0,
  skip_reason    TEXT,
  -- 1 when the listing (not the copy) skipped this file row: listing it as a file again un-skips it.
  skipped_by_listing INTEGER NOT NULL DEFAULT 0,
  bytes_copied   INTEGER NOT NULL DEFAULT 0,
  done_md5       TEXT,
  etag           TEXT,
  checkpoint     TEXT,
  -- Mirrors checkpoint.uploadId so orphaned multipart uploads can be found without parsing JSON.
  upload_id      TEXT,
  -- 1 when a listing saw the file change while a child held it: its result must not be taken as done.
  changed_in_flight INTEGER NOT NULL DEFAULT 0,
  -- The listing generation that last saw this entry (missing-from-Drive detection).
  seen_gen       INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  finished_at    INTEGER,
  -- The file's SourceMeta (owners, permissions, description…) as JSON, for the manifest; NULL for skips.
  source_meta    TEXT,
  -- When a pass found the file gone from Drive (deleted, trashed, moved out, or now at another key): the
  -- object is kept under --deletes keep. NULL while the file is there.
  gone_at        INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS items_identity ON items (drive_id, key);
-- (status, rowid): pending items in dispatch order without a sort, and counts without reading rows.
CREATE INDEX IF NOT EXISTS items_status ON items (status);
CREATE INDEX IF NOT EXISTS items_upload ON items (upload_id) WHERE upload_id IS NOT NULL;
-- Key ranges: a folder's objects and a name's clash check in a delta pass without a table scan.
CREATE INDEX IF NOT EXISTS items_key ON items (key);

-- Folders of the copied tree as the last pass keyed them (issue 22): a delta pass keys a changed file from
-- its parent's row and finds a folder's objects by key_prefix (segments never contain '/'). scope is the
-- drive's key prefix in an organisation run (every My Drive's root is 'root'), '' for one folder or drive.
CREATE TABLE IF NOT EXISTS folders (
  scope       TEXT NOT NULL DEFAULT '',
  id          TEXT NOT NULL,
  parent_id   TEXT,
  path        TEXT NOT NULL,
  segments    TEXT NOT NULL,
  key_prefix  TEXT NOT NULL,
  PRIMARY KEY (scope, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS folders_prefix ON folders (key_prefix);

-- An organisation run's change token per drive (issue 23), by the drive's key prefix: each drive has its own
-- change feed. Taken before the drive's full listing, stored once the pass completes (a one-drive run keeps
-- its token in meta).
CREATE TABLE IF NOT EXISTS drive_tokens (
  scope      TEXT PRIMARY KEY,
  token      TEXT NOT NULL,
  synced_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Unused (the listing never persisted its frontier; docs/design.md): kept so that builds reading this
-- version, which prepare statements on it, still open a new journal. Drop it with the next version.
CREATE TABLE IF NOT EXISTS folder_queue (
  pos   INTEGER PRIMARY KEY,
  entry TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
  id          INTEGER PRIMARY KEY,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  bytes       INTEGER NOT NULL DEFAULT 0,
  files       INTEGER NOT NULL DEFAULT 0,
  exit_code   INTEGER
);
`;

/** Create the schema in an empty database, or check the version of an existing one. Returns true when created. */
export function createOrCheckSchema(db: Database.Database, path: string): boolean {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  if (!hasMeta) {
    const hasOther = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table'").get() !== undefined;
    if (hasOther) throw new JournalError(`${path} is an SQLite database but not a journal of this tool (no meta table)`);
    db.exec(DDL);
    db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    return true;
  }
  migrate(db);
  checkSchemaVersion(db, path);
  return false;
}

/** Steps from each older version to the next; run inside the caller's IMMEDIATE transaction. */
const MIGRATIONS: Record<number, string> = {
  // Version 2: which failures are transient, and in how many runs a file failed (issue 20).
  1: `ALTER TABLE items ADD COLUMN failure_transient INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE items ADD COLUMN failed_runs INTEGER NOT NULL DEFAULT 0;`,
  // Version 3: delta passes (issue 22). No change token yet, so the next run is a full pass that fills folders.
  2: `ALTER TABLE items ADD COLUMN gone_at INTEGER;
      CREATE TABLE folders (id TEXT PRIMARY KEY, parent_id TEXT, path TEXT NOT NULL, segments TEXT NOT NULL, key_prefix TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX folders_prefix ON folders (key_prefix);
      CREATE INDEX IF NOT EXISTS items_key ON items (key);`,
  // Version 4: what the per-drive manifest keeps beyond the copy (issue 23); filled by the next listing.
  3: `ALTER TABLE items ADD COLUMN source_meta TEXT;`,
  // Version 5: an organisation run's token and folders per drive (issue 23). Old folders are one drive's
  // (scope ''); an organisation journal had none, so its next run lists each drive in full once.
  4: `CREATE TABLE folders_v5 (scope TEXT NOT NULL DEFAULT '', id TEXT NOT NULL, parent_id TEXT, path TEXT NOT NULL, segments TEXT NOT NULL, key_prefix TEXT NOT NULL, PRIMARY KEY (scope, id)) WITHOUT ROWID;
      INSERT INTO folders_v5 (scope, id, parent_id, path, segments, key_prefix) SELECT '', id, parent_id, path, segments, key_prefix FROM folders;
      DROP TABLE folders;
      ALTER TABLE folders_v5 RENAME TO folders;
      CREATE INDEX folders_prefix ON folders (key_prefix);
      CREATE TABLE IF NOT EXISTS drive_tokens (scope TEXT PRIMARY KEY, token TEXT NOT NULL, synced_at INTEGER NOT NULL) WITHOUT ROWID;`,
};

function migrate(db: Database.Database): void {
  const row = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?').get('schema_version');
  for (let version = Number(row?.value); version < SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version];
    if (step === undefined) return;
    db.exec(step);
    db.prepare('UPDATE meta SET value = ? WHERE name = ?').run(String(version + 1), 'schema_version');
  }
}

export function checkSchemaVersion(db: Database.Database, path: string): void {
  const row = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?').get('schema_version');
  const version = row === undefined ? NaN : Number(row.value);
  if (version !== SCHEMA_VERSION) {
    throw new JournalError(
      `journal ${path} has schema version ${row?.value ?? 'none'}, this build reads version ${SCHEMA_VERSION}; ` +
        (version < SCHEMA_VERSION && MIGRATIONS[version] !== undefined
          ? 'a `run` of this build upgrades it'
          : 'use the matching release, or --fresh / another --state to start a new journal'),
    );
  }
}
