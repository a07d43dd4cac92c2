// A prefix's keys as one range of the key column, [prefix, successor): the successor is computed on code
// points (SQLite compares UTF-8 bytes), so it holds at the edges of the encoding, checked here against SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { keyRangeOf, prefixSuccessor } from '../../src/journal/key-range.js';

const MAX = String.fromCodePoint(0x10ffff);

test('the successor: the last code point plus one, U+10FFFF carried, surrogates skipped; none for an empty prefix', () => {
  assert.equal(prefixSuccessor('org/users/ann@x/'), 'org/users/ann@x0');
  assert.equal(prefixSuccessor('a\u007f'), 'a\u0080', 'one byte to two in UTF-8');
  assert.equal(prefixSuccessor('a\uffff'), `a${String.fromCodePoint(0x10000)}`, 'past U+FFFF: a four-byte code point, not a carry');
  assert.equal(prefixSuccessor('a\ud7ff'), 'a\ue000', 'the surrogates are no code points UTF-8 holds');
  assert.equal(prefixSuccessor(`a${String.fromCodePoint(0x1f600)}`), `a${String.fromCodePoint(0x1f601)}`, 'a pair is one code point');
  assert.equal(prefixSuccessor(`ab${MAX}`), 'ac', 'U+10FFFF (bytes F4 8F BF BF) carries into the one before');
  assert.equal(prefixSuccessor(`a${MAX}${MAX}`), 'b');
  assert.equal(prefixSuccessor(`${MAX}${MAX}`), null, 'nothing follows: the range has no upper bound');
  assert.equal(prefixSuccessor(''), null);
  assert.deepEqual(keyRangeOf(''), { from: '', below: null });
});

test('in SQLite, the range holds exactly the keys that start with the prefix, whatever the characters', () => {
  const db = new Database(':memory:');
  try {
    db.exec('CREATE TABLE items (key TEXT NOT NULL); CREATE INDEX items_key ON items (key)');
    const chars = ['', '/', '0', 'a', 'b', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', String.fromCodePoint(0x10000), String.fromCodePoint(0x1f600), MAX];
    const keys = new Set<string>();
    for (const x of chars) for (const y of chars) for (const z of chars) keys.add(`p${x}${y}${z}`);
    for (const k of [...keys]) keys.add(k.slice(1));
    const insert = db.prepare('INSERT INTO items (key) VALUES (?)');
    for (const k of keys) insert.run(k);
    const bounded = db.prepare<[string, string], { key: string }>('SELECT key FROM items WHERE key >= ? AND key < ?');
    const open = db.prepare<[string], { key: string }>('SELECT key FROM items WHERE key >= ?');
    for (const prefix of ['p', 'pa', 'p\uffff', 'p\ud7ff', `p${MAX}`, `p${MAX}${MAX}`, `pa${MAX}`, MAX, `${MAX}${MAX}`, '', 'p/']) {
      const { from, below } = keyRangeOf(prefix);
      const got = (below === null ? open.all(from) : bounded.all(from, below)).map((r) => r.key).sort();
      assert.deepEqual(got, [...keys].filter((k) => k.startsWith(prefix)).sort(), `prefix ${JSON.stringify(prefix)}`);
    }
  } finally {
    db.close();
  }
});
