// A damaged journal through the real CLI (issue 20, point 9): cut to half its size, its header overwritten,
// or not SQLite at all. Each run stops before doing anything with one line naming the file and --fresh,
// exit 65; --fresh keeps the damaged file aside (0600) and finishes the copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ExitCode } from '../src/exit-codes.js';
import { folderOfFiles, listKeys, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const FILES = 12;
let w: World;
let good: string;

before(async () => {
  w = await startWorld({ nodes: folderOfFiles('C', 'corrupt', FILES, 700) });
  good = join(w.dir, 'journal.db');
  const first = await runCli(worldFlags(w, 'C'), {}, w.s3);
  assert.equal(first.code, ExitCode.Ok, first.stderr);
});

after(async () => {
  await w.close();
});

const damages: { name: string; damage: (path: string) => Promise<void> }[] = [
  {
    name: 'cut to half its size',
    damage: async (path) => {
      await copyFile(good, path);
      await truncate(path, Math.floor((await stat(path)).size / 2));
    },
  },
  {
    name: 'garbage over its header',
    damage: async (path) => {
      const bytes = await readFile(good);
      bytes.fill(0x5a, 0, 64);
      await writeFile(path, bytes);
    },
  },
  { name: 'not an SQLite file', damage: (path) => writeFile(path, 'name,size\nfile-0.bin,700\n'.repeat(200), { mode: 0o644 }) },
];

for (const { name, damage } of damages) {
  test(`a journal ${name}: one line naming it and --fresh, exit 65; --fresh keeps it aside and finishes`, async () => {
    const state = join(w.dir, `${name.replace(/\W+/g, '-')}.db`);
    await damage(state);
    const damaged = await readFile(state);
    const flags = [...worldFlags(w, 'C'), '--state', state];

    const refused = await runCli(flags, {}, w.s3);
    assert.equal(refused.code, ExitCode.JournalCorrupt, refused.stderr);
    const lines = refused.stderr.split('\n').filter((l) => l.startsWith('supervisor: '));
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0] ?? '', new RegExp(`^supervisor: journal ${state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged \\(.+\\): nothing was done\\. Run again with --fresh`));
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'a stack trace was printed');
    assert.doesNotMatch(refused.stdout, /child ready/);
    // Refusing touched nothing.
    assert.deepEqual(await readFile(state), damaged);

    const fresh = await runCli([...flags, '--fresh'], {}, w.s3);
    assert.equal(fresh.code, ExitCode.Ok, fresh.stderr);
    const aside = (await readdir(dirname(state))).filter((f) => f.startsWith(`${basename(state)}.corrupt-`));
    assert.equal(aside.length, 1, `kept aside: ${aside.join(', ')}`);
    const kept = join(dirname(state), aside[0] ?? '');
    assert.deepEqual(await readFile(kept), damaged, 'the damaged journal is kept as it was');
    assert.equal((await stat(kept)).mode & 0o777, 0o600);
    assert.equal((await listKeys(w)).length, FILES);
    const status = await runCli(['status', '--state', state]);
    assert.equal(status.code, ExitCode.Ok, status.stderr);
    assert.match(status.stdout, new RegExp(`done\\s+${FILES}\\s`));
  });
}

test('status on a damaged journal: the same line and exit 65', async () => {
  const state = join(w.dir, 'status-damaged.db');
  await writeFile(state, 'not a database at all, just text');
  const status = await runCli(['status', '--state', state]);
  assert.equal(status.code, ExitCode.JournalCorrupt, status.stderr);
  assert.match(status.stderr, /^supervisor: journal .* is damaged \(not an SQLite database: its header is missing or overwritten\)/);
});
