// Scale-out with an Indexed Job: COUNT shards run one after another, each with its own journal, write
// exactly the object set of a single run, and no file is downloaded (so no object written) twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FOLDER_MIME, generateTree } from '../src/fake-drive/index.js';
import { listKeys, objectMd5, readManifest, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const COUNT = 3;
let w: World;

before(async () => {
  w = await startWorld({
    nodes: [
      { id: 'S', name: 'sharded', parents: ['root'], mimeType: FOLDER_MIME },
      ...generateTree({ seed: 11, depth: 1, foldersPerFolder: 3, filesPerFolder: 15, sizes: [10, 2048, 70_000], rootId: 'S', idPrefix: 's-' }),
    ],
  });
});

after(async () => {
  await w.close();
});

test('COUNT shards run one after another produce exactly the objects of a single run, each file once', async () => {
  const single = await runCli([...worldFlags(w, 'S'), '--s3-prefix', 'single', '--state', join(w.dir, 'single.db')], {}, w.s3);
  assert.equal(single.code, 0, single.stderr);
  const singleKeys = (await listKeys(w, 'single/')).map((k) => k.slice('single/'.length));

  w.drive.resetStats();
  for (let i = 0; i < COUNT; i++) {
    // INDEX from JOB_COMPLETION_INDEX, as in the Indexed Job.
    const r = await runCli([...worldFlags(w, 'S'), '--s3-prefix', 'sharded', '--shard', `/${COUNT}`, '--state', join(w.dir, `shard-${i}.db`)], { JOB_COMPLETION_INDEX: String(i) }, w.s3);
    assert.equal(r.code, 0, r.stderr);
  }
  const shardedKeys = (await listKeys(w, 'sharded/')).map((k) => k.slice('sharded/'.length));
  assert.deepEqual(shardedKeys, singleKeys);
  assert.ok(singleKeys.length >= 50);
  // Each file was downloaded by exactly one shard.
  for (const [id, n] of w.drive.stats.mediaRequestsByFile) assert.equal(n, 1, `file ${id} downloaded ${n} times`);
  assert.equal(w.drive.stats.mediaRequestsByFile.size, singleKeys.length);
  for (const k of singleKeys.slice(0, 10)) assert.equal(await objectMd5(w, `sharded/${k}`), await objectMd5(w, `single/${k}`));

  // Each shard writes a manifest of its own files under its own name; together they list every file once.
  const manifests = (await listKeys(w, 'sharded/', { manifests: true })).filter((k) => !shardedKeys.includes(k.slice('sharded/'.length)));
  assert.deepEqual(manifests, Array.from({ length: COUNT }, (_, i) => `sharded/_manifest.shard-${i}-of-${COUNT}.jsonl.gz`));
  const listed: string[] = [];
  for (const m of manifests) for (const line of await readManifest(w, m)) listed.push(String(line.key).slice('sharded/'.length));
  assert.deepEqual(listed.sort(), [...singleKeys].sort());
  assert.deepEqual(await listKeys(w, 'single/', { manifests: true }), [...(await listKeys(w, 'single/')), 'single/_manifest.jsonl.gz'].sort());
});

test('a shard refuses another shard\'s journal', async () => {
  const r = await runCli([...worldFlags(w, 'S'), '--s3-prefix', 'sharded', '--shard', '1/3', '--state', join(w.dir, 'shard-0.db')], {}, w.s3);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^supervisor: .*shard 0\/3.*shard 1\/3/m);
});
