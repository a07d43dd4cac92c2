// The journal's work scope (issue 23): an organisation run hands out only rows of the drives it selected,
// told by key prefix; a prefix is a whole drive segment, so users/ann@x/ never takes in users/ann@x.org/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { IN_WORK_SCOPE, WorkScope, scopeRanges } from '../../src/journal/work-scope.js';

test('keys under a selected drive are in scope, others and near misses are not; null scope takes every key', () => {
  const db = new Database(':memory:');
  try {
    const scope = new WorkScope(db);
    db.exec(`CREATE TABLE items (key TEXT)`);
    const keys = ['org/users/ann@x/a.txt', 'org/users/ann@x/deep/b.txt', 'org/users/ann@x.org/c.txt', 'org/users/bob@x/d.txt', 'org/shared-drives/Finance/e.csv', 'org/users', ''];
    const insert = db.prepare('INSERT INTO items (key) VALUES (?)');
    for (const k of keys) insert.run(k);
    const inScope = (): string[] => db.prepare<[], { key: string }>(`SELECT key FROM items WHERE ${IN_WORK_SCOPE} ORDER BY rowid`).all().map((r) => r.key);
    assert.deepEqual(inScope(), keys);
    scope.set(['org/users/ann@x/', 'org/shared-drives/Finance/']);
    assert.deepEqual(inScope(), ['org/users/ann@x/a.txt', 'org/users/ann@x/deep/b.txt', 'org/shared-drives/Finance/e.csv']);
    scope.set(['users/bob@x/', 'org/users/bob@x/']);
    assert.deepEqual(inScope(), ['org/users/bob@x/d.txt'], 'prefixes of different depths');
    scope.set(null);
    assert.equal(inScope().length, keys.length);
  } finally {
    db.close();
  }
});

test('the scope\'s ranges: a prefix under another one is dropped, so none overlap; an empty selection takes no key', () => {
  assert.deepEqual(scopeRanges(['org/users/ann@x/deep/', 'org/users/ann@x/', 'org/users/bob@x/', 'org/users/ann@x/']), [
    { from: 'org/users/ann@x/', below: 'org/users/ann@x0' },
    { from: 'org/users/bob@x/', below: 'org/users/bob@x0' },
  ]);
  assert.deepEqual(scopeRanges(null), [{ from: '', below: null }]);
  const db = new Database(':memory:');
  try {
    const scope = new WorkScope(db);
    db.exec(`CREATE TABLE items (key TEXT)`);
    const insert = db.prepare('INSERT INTO items (key) VALUES (?)');
    for (const k of ['org/a/x', 'org/a/y/z', 'org/b/x', 'org/ab/x']) insert.run(k);
    const inScope = (): string[] => db.prepare<[], { key: string }>(`SELECT key FROM items WHERE ${IN_WORK_SCOPE} ORDER BY rowid`).all().map((r) => r.key);
    scope.set(['org/a/y/', 'org/a/']);
    assert.deepEqual(inScope(), ['org/a/x', 'org/a/y/z'], 'nested prefixes: the outer one\'s keys, each once');
    scope.set([]);
    assert.deepEqual(inScope(), []);
  } finally {
    db.close();
  }
});
