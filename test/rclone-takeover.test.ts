// rclone can take over from our bucket: it reads each object's modification time from our `mtime` metadata,
// so a later `rclone sync` from a copy of the same files with the same times finds nothing to transfer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import { runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const run = promisify(execFile);
const FILES = [
  { id: 'a', name: 'a.txt', content: 'alpha\n', modifiedTime: '2023-05-06T07:08:09.123Z' },
  { id: 'b', name: 'b.bin', content: 'bravo bravo\n', modifiedTime: '2021-01-01T00:00:00.000Z' },
  { id: 'c', name: 'c.md', content: '# charlie\n', modifiedTime: '2024-12-31T23:59:59.999Z' },
];
let w: World;

before(async () => {
  w = await startWorld({
    nodes: [
      { id: 'R', name: 'root', parents: ['root'], mimeType: FOLDER_MIME },
      ...FILES.map((f) => ({ ...f, parents: ['R'], mimeType: 'text/plain' })),
    ],
  });
});

after(async () => {
  await w.close();
});

function rclone(args: string[]): Promise<{ stdout: string; stderr: string }> {
  // The AWS_* of this shell (a CA bundle, a profile) are not the test store's: rclone's S3 SDK would read them.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const env = {
    ...inherited,
    TZ: 'UTC',
    RCLONE_CONFIG: '/dev/null',
    RCLONE_CONFIG_OURS_TYPE: 's3',
    RCLONE_CONFIG_OURS_PROVIDER: 'Other',
    RCLONE_CONFIG_OURS_ENDPOINT: w.s3.endpoint,
    RCLONE_CONFIG_OURS_ACCESS_KEY_ID: w.s3.credentials.accessKeyId,
    RCLONE_CONFIG_OURS_SECRET_ACCESS_KEY: w.s3.credentials.secretAccessKey,
    RCLONE_CONFIG_OURS_REGION: w.s3.region,
    RCLONE_CONFIG_OURS_FORCE_PATH_STYLE: 'true',
  };
  return run('rclone', args, { env });
}

test('rclone lists our objects with Drive modifiedTime, and a sync from the same files has nothing to do', async () => {
  const copy = await runCli(worldFlags(w, 'R', ['--s3-prefix', 'p/']), {}, w.s3);
  assert.equal(copy.code, 0, copy.stderr);

  const listed = (await rclone(['lsl', `ours:${w.s3.bucket}/p`])).stdout;
  for (const f of FILES) {
    const [date = '', time = ''] = f.modifiedTime.replace('Z', '').split('T');
    const line = listed.split('\n').find((l) => l.endsWith(` ${f.name}`));
    assert.ok(line, `rclone lists ${f.name}:\n${listed}`);
    assert.match(line, new RegExp(`^\\s*${Buffer.byteLength(f.content)} ${date} ${time.replace('.', '\\.')}0{6} ${f.name}$`));
  }

  const local = join(w.dir, 'local');
  await mkdir(local);
  for (const f of FILES) {
    await writeFile(join(local, f.name), f.content);
    // touch sets the exact nanoseconds; fs.utimes goes through a float and can be off by a few hundred ns.
    await run('touch', ['-d', f.modifiedTime, join(local, f.name)]);
  }
  const sync = await rclone(['sync', '--dry-run', '-v', local, `ours:${w.s3.bucket}/p`]);
  assert.doesNotMatch(sync.stderr, /Skipped (copy|update modification time)/, sync.stderr);
  assert.match(sync.stderr, /There was nothing to transfer|Unchanged skipping|Transferred:\s+0 B/, sync.stderr);
});
