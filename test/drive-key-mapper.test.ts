import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildKey,
  clashGroup,
  exportedName,
  KEY_MAPPING_RULES,
  mapNameSegment,
  MAX_KEY_BYTES,
  resolveClashes,
  splitExtension,
  withIdSuffix,
} from '../src/keys/key-mapper.js';

test('key mapper: ordinary names stay exactly as Drive shows them', () => {
  for (const name of ['Résumé final (v2).pdf', '日本語のファイル.txt', 'emoji 🎉🚀.png', 'a b  c', 'Q&A #1 [draft] {x} $y %z', 'back\\slash', ' lead', 'trail ']) {
    assert.equal(mapNameSegment(name), name);
  }
  assert.equal(buildKey('backup/', ['Sub dir', 'été'], 'x 🎉.txt', 'id1'), 'backup/Sub dir/été/x 🎉.txt');
  assert.equal(buildKey('', [], 'x', 'id1'), 'x');
  assert.equal(buildKey('/p//', ['a'], 'x', 'id1'), 'p/a/x');
});

test('key mapper: slashes, dots, empty names and control characters are mapped safely', () => {
  assert.equal(mapNameSegment('a/b'), 'a\u2215b');
  assert.equal(mapNameSegment('/'), '\u2215');
  assert.equal(mapNameSegment(''), '_');
  assert.equal(mapNameSegment('.'), '\uFF0E');
  assert.equal(mapNameSegment('..'), '\uFF0E\uFF0E');
  assert.equal(mapNameSegment('...'), '...');
  assert.equal(mapNameSegment('a\nb\tc\u0000'), 'a\u240Ab\u2409c\u2400');
  assert.equal(mapNameSegment('x\u007fy\u0085'), 'x\u2421y\uFFFD');
  assert.equal(mapNameSegment('bad\uD800surrogate'), 'bad\uFFFDsurrogate');
  assert.equal(mapNameSegment('ok\uD83D\uDE00'), 'ok\uD83D\uDE00');
  for (const nasty of ['a/b', '.', '..', '', '\u0001', '/../..']) {
    const segment = mapNameSegment(nasty);
    assert.ok(!segment.includes('/'));
    assert.ok(segment !== '' && segment !== '.' && segment !== '..');
    // deterministic
    assert.equal(mapNameSegment(nasty), segment);
  }
  assert.ok(KEY_MAPPING_RULES.includes('\u2215'));
});

test('key mapper: extensions, id suffixes and exported names', () => {
  assert.deepEqual(splitExtension('report.pdf'), ['report', '.pdf']);
  assert.deepEqual(splitExtension('archive.tar.gz'), ['archive.tar', '.gz']);
  assert.deepEqual(splitExtension('.bashrc'), ['.bashrc', '']);
  assert.deepEqual(splitExtension('noext'), ['noext', '']);
  assert.deepEqual(splitExtension('trailing.'), ['trailing.', '']);
  assert.deepEqual(splitExtension('v1.0 final draft'), ['v1.0 final draft', '']);
  assert.equal(withIdSuffix('report.pdf', 'abc'), 'report (abc).pdf');
  assert.equal(withIdSuffix('README', 'abc'), 'README (abc)');
  assert.equal(exportedName('Report', 'docx'), 'Report.docx');
  assert.equal(exportedName('Report.DOCX', 'docx'), 'Report.DOCX');
});

test('key mapper: clashing names all get the id suffix, whatever the order', () => {
  const items = [
    { id: 'z9', segment: 'notes.txt' },
    { id: 'a1', segment: 'notes.txt' },
    { id: 'm5', segment: 'other.txt' },
  ];
  const out = resolveClashes(items);
  assert.deepEqual(out, ['notes (z9).txt', 'notes (a1).txt', 'other.txt']);
  const reversed = resolveClashes([...items].reverse());
  assert.deepEqual(reversed, [...out].reverse());
  assert.equal(new Set(out).size, 3);
  // Names that differ only by case or accents fall in one group (Drive sorts them together) but do not clash.
  assert.equal(clashGroup('Résumé'), clashGroup('resume'));
  assert.deepEqual(resolveClashes([{ id: '1', segment: 'Résumé' }, { id: '2', segment: 'resume' }]), ['Résumé', 'resume']);
});

test('key mapper: keys over 1024 UTF-8 bytes are truncated deterministically, keeping the extension', () => {
  const longName = `${'é'.repeat(700)}.pdf`; // 1404 bytes
  const key = buildKey('prefix', ['dir'], longName, 'file-1');
  assert.ok(Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES);
  assert.ok(key.endsWith('.pdf'));
  assert.match(key, /~[0-9a-f]{12}\.pdf$/);
  assert.ok(key.startsWith('prefix/dir/éé'));
  assert.equal(buildKey('prefix', ['dir'], longName, 'file-1'), key);
  // Same long name, another file: another key.
  assert.notEqual(buildKey('prefix', ['dir'], longName, 'file-2'), key);
  // No broken UTF-8: every character survives a round trip.
  assert.equal(Buffer.from(key, 'utf8').toString('utf8'), key);
  const emoji = buildKey('', Array.from({ length: 30 }, () => '🎉'.repeat(10)), 'x.bin', 'id');
  assert.ok(Buffer.byteLength(emoji, 'utf8') <= MAX_KEY_BYTES);
  assert.ok(!emoji.includes('\uFFFD'));
  const exact = buildKey('', [], 'a'.repeat(MAX_KEY_BYTES), 'id');
  assert.equal(exact, 'a'.repeat(MAX_KEY_BYTES));
});
