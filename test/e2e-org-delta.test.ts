// Delta passes of an organisation run (issues 22, 23): after the full pass each drive is read from its own change
// feed, as its own user (a shared drive as its organizer, with driveId); only what changed is downloaded, an idle
// pass downloads and lists nothing, a drive whose token Drive refuses is listed in full alone, and each drive's
// manifest follows its delta.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import type { FakeNodeSpec } from '../src/fake-drive/index.js';
import { listKeys, objectMd5, orgWorldFlags, readManifest, runCli, startWorld } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { testServiceAccount } from './support/service-account.js';

const SA = 'copier@project.iam.gserviceaccount.com';
const ADMIN = 'admin@example.com';
const ANN = 'ann@example.com';
const BOB = 'bob@example.com';

const txt = (id: string, name: string, parent: string, content: string, owner?: string): FakeNodeSpec => ({ id, name, parents: [parent], mimeType: 'text/plain', content, ...(owner ? { owners: [owner] } : {}) });
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

const NODES: FakeNodeSpec[] = [
  { id: 'a-dir', name: 'Docs', parents: ['root'], mimeType: FOLDER_MIME, owners: [ANN] },
  txt('a-1', 'a.txt', 'a-dir', 'ann one', ANN),
  txt('a-2', 'old-name.txt', 'root', 'ann two', ANN),
  txt('b-1', 'b.txt', 'root', 'bob one', BOB),
  txt('b-2', 'doomed.txt', 'root', 'bob two', BOB),
  { id: 's-dir', name: 'Q1', parents: ['sd1'], mimeType: FOLDER_MIME },
  txt('s-1', 'plan.txt', 'sd1', 'the plan'),
  txt('s-2', 'budget.csv', 's-dir', '1,2'),
];

let w: World;
let keyFile: string;

before(async () => {
  const sa = testServiceAccount(SA);
  w = await startWorld({
    org: { users: [{ email: ADMIN, isAdmin: true }, { email: ANN }, { email: BOB }], serviceAccountEmail: SA, serviceAccountPublicKey: sa.publicKeyPem },
    sharedDrives: [{ id: 'sd1', name: 'Finance', members: [{ role: 'organizer', type: 'user', emailAddress: BOB }] }],
    nodes: NODES,
  });
  keyFile = join(w.dir, 'sa.json');
  sa.writeKeyFile(keyFile, w.drive.tokenUrl);
});

after(async () => {
  await w.close();
});

const flags = (extra: string[] = []): string[] => orgWorldFlags(w, keyFile, 'org', ['--drive-tps', '10000', '--s3-prefix', 'org', '--users', `${ANN},${BOB}`, '--all-shared-drives', '--admin-subject', ADMIN, ...extra]);

async function assertTree(expected: Record<string, string>): Promise<void> {
  assert.deepEqual(await listKeys(w, 'org/'), Object.keys(expected).sort());
  for (const [key, content] of Object.entries(expected)) assert.equal(await objectMd5(w, key), md5(content), key);
}

test('full pass, then a delta per drive from its own feed, an idle delta, and a refused token listed alone', async () => {
  const first = await runCli(flags(), {}, w.s3);
  assert.equal(first.code, 0, first.stderr);
  const tree: Record<string, string> = {
    'org/users/ann@example.com/Docs/a.txt': 'ann one',
    'org/users/ann@example.com/old-name.txt': 'ann two',
    'org/users/bob@example.com/b.txt': 'bob one',
    'org/users/bob@example.com/doomed.txt': 'bob two',
    'org/shared-drives/Finance/plan.txt': 'the plan',
    'org/shared-drives/Finance/Q1/budget.csv': '1,2',
  };
  await assertTree(tree);

  // Changes in two users' drives and the shared drive: new, edited, renamed, moved, trashed.
  w.drive.addNodes([txt('a-3', 'new.txt', 'a-dir', 'ann three', ANN)]);
  w.drive.updateFile('a-2', { name: 'new-name.txt' });
  w.drive.updateFile('b-1', { content: 'bob one, edited' });
  w.drive.updateFile('b-2', { trashed: true });
  w.drive.moveNode('s-1', ['s-dir']);
  w.drive.resetStats();
  const delta = await runCli(flags(['--deletes', 'delete']), {}, w.s3);
  assert.equal(delta.code, 0, delta.stderr);
  assert.match(delta.stdout + delta.stderr, /3 drives by delta, 0 listed in full/);
  // Only the new and the edited file were downloaded; the rename and the move were copied inside S3.
  assert.deepEqual([...w.drive.stats.mediaRequestsByFile.keys()].sort(), ['a-3', 'b-1']);
  assert.deepEqual(w.drive.stats.listings.filter((l) => l.driveId === null && l.subject === ADMIN), [], 'no drive listed as the admin');
  delete tree['org/users/ann@example.com/old-name.txt'];
  delete tree['org/users/bob@example.com/doomed.txt'];
  delete tree['org/shared-drives/Finance/plan.txt'];
  Object.assign(tree, {
    'org/users/ann@example.com/Docs/new.txt': 'ann three',
    'org/users/ann@example.com/new-name.txt': 'ann two',
    'org/users/bob@example.com/b.txt': 'bob one, edited',
    'org/shared-drives/Finance/Q1/plan.txt': 'the plan',
  });
  await assertTree(tree);
  // Each drive's manifest follows its delta.
  for (const drive of ['org/users/ann@example.com/', 'org/users/bob@example.com/', 'org/shared-drives/Finance/']) {
    const lines = await readManifest(w, `${drive}_manifest.jsonl.gz`);
    assert.deepEqual(lines.map((l) => l.key).sort(), Object.keys(tree).filter((k) => k.startsWith(drive)).sort(), drive);
  }

  // Idle: nothing downloaded, no folder listed.
  w.drive.resetStats();
  const idle = await runCli(flags(), {}, w.s3);
  assert.equal(idle.code, 0, idle.stderr);
  assert.equal(w.drive.stats.mediaRequests, 0);
  assert.equal(w.drive.stats.listings.length, 0, 'an idle organisation delta lists no folder');
  await assertTree(tree);

  // Bob's feed refuses its token: his drive alone is listed in full, the others stay deltas.
  w.drive.expireChangeTokens(BOB);
  w.drive.resetStats();
  const refused = await runCli(flags(), {}, w.s3);
  assert.equal(refused.code, 0, refused.stderr);
  assert.match(refused.stdout + refused.stderr, /2 drives by delta, 1 listed in full \(1 whose change token was refused\)/);
  assert.deepEqual([...new Set(w.drive.stats.listings.map((l) => l.subject))], [BOB], 'only Bob was listed');
  assert.equal(w.drive.stats.mediaRequests, 0, 'listed in full, nothing new to download');
  await assertTree(tree);
});
