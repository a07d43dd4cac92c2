// An organisation run's --shard (config/drive-shards.ts): every drive in exactly one shard, a drive's shard
// unchanged when other drives are added, and --shard-sizes packing within the largest drive of total/n.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { driveShards, readDriveSizes, rendezvousShard, writeDriveSizes } from '../../src/config/drive-shards.js';
import { ConfigError } from '../../src/errors.js';

const KEYS = [...Array.from({ length: 40 }, (_, i) => `users/user${i}@example.com`), ...Array.from({ length: 12 }, (_, i) => `shared-drives/0AD${i}Uk9PVA`)];

/** A deterministic spread of sizes over five orders of magnitude. */
const SIZES = new Map(KEYS.map((k, i) => [k, ((i * 7919) % 97) * 10 ** (i % 5) + 1]));

for (const sizes of [null, SIZES]) {
  test(`every drive lands in exactly one of n shards, n = 1..8 (${sizes ? 'by size' : 'by hash'})`, () => {
    for (let n = 1; n <= 8; n++) {
      const shardOf = driveShards(n, sizes);
      const members = Array.from({ length: n }, (_, i) => KEYS.filter((k) => shardOf(k) === i));
      assert.deepEqual(members.flat().sort(), [...KEYS].sort(), `n = ${n}`);
      for (const k of KEYS) assert.ok(Number.isInteger(shardOf(k)) && shardOf(k) >= 0 && shardOf(k) < n, `${k} n = ${n}`);
      // Every pod computes the same answer.
      const again = driveShards(n, sizes === null ? null : new Map([...sizes].reverse()));
      for (const k of KEYS) assert.equal(again(k), shardOf(k), `${k} n = ${n}`);
    }
  });
}

test('by hash, adding drives moves no other drive; the hash spreads drives over every shard', () => {
  for (let n = 2; n <= 8; n++) {
    const before = new Map(KEYS.map((k) => [k, driveShards(n, null)(k)]));
    const added = [...KEYS, 'users/new-hire@example.com', 'shared-drives/0ANEWDRIVE'];
    const shardOf = driveShards(n, null);
    for (const k of KEYS) assert.equal(shardOf(k), before.get(k), `${k} moved when drives were added, n = ${n}`);
    assert.ok(added.every((k) => shardOf(k) < n));
    assert.equal(new Set(KEYS.map((k) => rendezvousShard(k, n))).size, n, `n = ${n}: some shard got no drive of ${KEYS.length}`);
  }
});

test('by hash, going from n to n+1 shards moves drives only into the new shard', () => {
  for (let n = 1; n < 8; n++) {
    for (const k of KEYS) {
      const to = rendezvousShard(k, n + 1);
      assert.ok(to === rendezvousShard(k, n) || to === n, `${k}: ${rendezvousShard(k, n)} → ${to} going from ${n} to ${n + 1}`);
    }
  }
});

test('by size, the fullest shard holds at most the largest drive plus total/n', () => {
  const total = [...SIZES.values()].reduce((a, b) => a + b, 0);
  const largest = Math.max(...SIZES.values());
  for (let n = 1; n <= 8; n++) {
    const shardOf = driveShards(n, SIZES);
    const loads = new Array<number>(n).fill(0);
    for (const [k, bytes] of SIZES) loads[shardOf(k)] = (loads[shardOf(k)] ?? 0) + bytes;
    assert.ok(Math.max(...loads) <= largest + total / n, `n = ${n}: loads ${loads.join(', ')}`);
  }
  // Two equal drives and one as large as both: the large one alone, the two together.
  const three = driveShards(2, new Map([['a', 5], ['b', 5], ['c', 10]]));
  assert.equal(three('a'), three('b'));
  assert.notEqual(three('a'), three('c'));
});

test('by size, a drive the sizes file does not name (added since) goes by its hash', () => {
  const shardOf = driveShards(4, SIZES);
  assert.equal(shardOf('users/new-hire@example.com'), rendezvousShard('users/new-hire@example.com', 4));
});

test('--shard-sizes: an object of drive key to bytes, anything else refused naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drive-shards-'));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  assert.deepEqual(readDriveSizes(file('ok.json', '{"users/ann@example.com": 10, "shared-drives/0AB": 0}')), new Map([['users/ann@example.com', 10], ['shared-drives/0AB', 0]]));
  assert.throws(() => readDriveSizes(file('list.json', '[1]')), (e: unknown) => e instanceof ConfigError && /--shard-sizes .*list\.json is not an object/.test(e.message));
  assert.throws(() => readDriveSizes(file('neg.json', '{"users/a@x": -1}')), (e: unknown) => e instanceof ConfigError && /gives users\/a@x -1, not a number of bytes/.test(e.message));
  assert.throws(() => readDriveSizes(file('bad.json', '{')), (e: unknown) => e instanceof ConfigError && /is not JSON/.test(e.message));
  assert.throws(() => readDriveSizes(join(dir, 'missing.json')), (e: unknown) => e instanceof ConfigError && /cannot be read \(ENOENT\)/.test(e.message));
});

test('writeDriveSizes writes what readDriveSizes reads: the same keys and bytes, keys sorted', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sizes-')), 'sizes.json');
  writeDriveSizes(file, new Map([...SIZES].reverse()));
  assert.deepEqual(readDriveSizes(file), new Map([...SIZES].sort(([a], [b]) => (a < b ? -1 : 1))));
  assert.deepEqual([...readDriveSizes(file).keys()], [...SIZES.keys()].sort());
});
