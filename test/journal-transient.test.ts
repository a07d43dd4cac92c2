// Which failures a plain rerun takes again (issue 20, point 4): the journal records whether a failure was
// transient and in how many runs the file failed; version-1 journals gain those columns when opened.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DriveItem } from '../src/source/drive/drive-item.js';
import { JournalError } from '../src/errors.js';
import { isTransientFailure } from '../src/journal/failure-kind.js';
import { Journal } from '../src/journal/journal.js';
import { JournalReader } from '../src/journal/journal-reader.js';
import { SCHEMA_VERSION } from '../src/journal/schema.js';
import type { JournalIdentity } from '../src/journal/types.js';

const root = mkdtempSync(join(tmpdir(), 'journal-transient-'));
after(() => rmSync(root, { recursive: true, force: true }));
const IDENTITY: JournalIdentity = { source: 'folder:abc', target: 'http://127.0.0.1:4569 bucket/' };
let counter = 0;

function open(path: string): Journal {
  return Journal.open(path, IDENTITY, { fresh: false });
}

function item(n: number): DriveItem {
  return {
    id: `d-${n}`, name: `f-${n}`, path: `f-${n}`, key: `f-${n}`, mimeType: 'application/octet-stream', contentType: 'application/octet-stream',
    size: n, md5: `md5-${n}`, sha1: null, modifiedTime: '2024-01-01T00:00:00.000Z', download: { kind: 'media' },
  };
}

/** A journal with items 1..n listed and taken (in progress), and their item ids by Drive id. */
function journalWith(n: number): { path: string; journal: Journal; ids: Map<string, string> } {
  counter += 1;
  const path = join(root, `case-${counter}.db`);
  const journal = open(path);
  journal.recordListed(Array.from({ length: n }, (_, i) => ({ kind: 'file' as const, item: item(i + 1) })));
  const ids = new Map(journal.takePending(n, () => 0).map((w) => [(w.payload as { id: string }).id, w.id]));
  return { path, journal, ids };
}

function statusOf(journal: Journal): string[] {
  return journal.failures(100).map((f) => f.driveId).sort();
}

test('transient: retryable errors and child deaths; permanent: the rest and content that kept mismatching', () => {
  assert.equal(isTransientFailure({ code: 'server-error', retryable: true }), true);
  assert.equal(isTransientFailure({ code: 's3-server-error', retryable: true }), true);
  assert.equal(isTransientFailure({ code: 'poison', retryable: false }), true, 'its children kept dying');
  assert.equal(isTransientFailure({ code: 'forbidden', retryable: false }), false);
  assert.equal(isTransientFailure({ code: 'not-found', retryable: false }), false);
  assert.equal(isTransientFailure({ code: 'sha1-mismatch', retryable: true }), false);
  assert.equal(isTransientFailure({ code: 'size-mismatch', retryable: true }), false);
});

test('requeueTransientFailures takes transient failures back until they failed in maxRuns runs', () => {
  const { journal, ids } = journalWith(2);
  const transient = ids.get('d-1') ?? '';
  journal.markFailed(transient, 'server-error: 500', true);
  journal.markFailed(ids.get('d-2') ?? '', 'forbidden: 403', false);
  assert.equal(journal.requeueTransientFailures(2), 1);
  assert.deepEqual(statusOf(journal), ['d-2']);
  assert.equal(journal.takePending(10, () => 0).map((w) => w.id).join(), transient);
  journal.markFailed(transient, 'server-error: 500', true);
  assert.equal(journal.requeueTransientFailures(2), 0, 'failed in 2 runs: the limit');
  assert.equal(journal.requeueTransientFailures(3), 1, 'a higher limit takes it again');
  journal.close();
});

test('a version-1 journal gains the columns when opened for writing; a read-only open refuses it', () => {
  const { path, journal, ids } = journalWith(1);
  journal.markFailed(ids.get('d-1') ?? '', 'server-error: 500', true);
  journal.close();
  // Make it what version 1 wrote: no failure columns, version 1.
  const db = new Database(path);
  db.exec('ALTER TABLE items DROP COLUMN failure_transient; ALTER TABLE items DROP COLUMN failed_runs; ALTER TABLE items DROP COLUMN gone_at; ALTER TABLE items DROP COLUMN source_meta; DROP TABLE folders; DROP INDEX items_key;');
  db.prepare("UPDATE meta SET value = '1' WHERE name = 'schema_version'").run();
  db.close();
  assert.throws(() => JournalReader.openReadOnly(path), (err: unknown) => err instanceof JournalError && /schema version 1/.test(err.message));

  const reopened = open(path);
  // A failure recorded before the migration is counted as permanent: only retry-failed takes it.
  assert.equal(reopened.requeueTransientFailures(3), 0);
  reopened.close();
  const check = new Database(path, { readonly: true });
  assert.equal(check.prepare<[], { value: string }>("SELECT value FROM meta WHERE name = 'schema_version'").get()?.value, String(SCHEMA_VERSION));
  check.close();
});
