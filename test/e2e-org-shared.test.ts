// --shared-with-me (issue 23), end to end: the real CLI, supervisor and children against the fake Drive's
// organisation and s3rver. What was shared with a user is copied once: with its owner's drive when the run
// copies the owner, else under the first-sorting selected recipient's `Shared with me/<owner>/`; the other
// recipients' rows say why they skipped it, and two shards listing different users copy each object once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import type { FakeNodeSpec } from '../src/fake-drive/index.js';
import { listKeys, objectMd5, orgWorldFlags, readManifest, runCli, startWorld } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { testServiceAccount } from './support/service-account.js';

const SA = 'copier@project.iam.gserviceaccount.com';
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';
const EXT = 'ext@other.org';
const USERS = `${CAROL},${ALICE},${BOB}`;

const txt = (id: string, name: string, parent: string, content: string, extra: Partial<FakeNodeSpec> = {}): FakeNodeSpec => ({ id, name, parents: [parent], mimeType: 'text/plain', content, ...extra });
const user = (role: 'owner' | 'writer' | 'reader', emailAddress: string): { role: 'owner' | 'writer' | 'reader'; type: 'user'; emailAddress: string } => ({ role, type: 'user', emailAddress });

const NODES: FakeNodeSpec[] = [
  // Alice shares a folder of her My Drive with Bob and Carol: it is copied with her drive alone.
  { id: 'a-dir', name: 'Team plans', parents: ['root'], mimeType: FOLDER_MIME, owners: [ALICE], permissions: [user('owner', ALICE), user('writer', BOB), user('reader', CAROL)] },
  txt('a-1', 'plan.txt', 'a-dir', 'the plan'),
  txt('a-2', 'notes.txt', 'root', 'alice notes', { owners: [ALICE] }),
  // An outsider shares a file with Bob (a writer: the listing serves its permissions) and Carol (a reader: she
  // asks permissions.list); Bob sorts first, so it is his.
  txt('x-1', 'offer.txt', 'root', 'from outside', { owners: [EXT], permissions: [user('owner', EXT), user('writer', BOB), user('reader', CAROL)] }),
  // ... and a folder with Carol alone: walked, under her.
  { id: 'x-dir', name: 'Ext folder', parents: ['root'], mimeType: FOLDER_MIME, owners: [EXT], permissions: [user('owner', EXT), user('reader', CAROL)] },
  txt('x-2', 'inside.txt', 'x-dir', 'deep inside'),
  txt('b-1', 'b.txt', 'root', 'bob', { owners: [BOB] }),
  // Bob's own folder named like the shared tree takes the id suffix: the two never share a key.
  { id: 'b-swm', name: 'Shared with me', parents: ['root'], mimeType: FOLDER_MIME, owners: [BOB] },
  txt('b-2', 'mine.txt', 'b-swm', 'bob keeps this'),
  txt('c-1', 'c.txt', 'root', 'carol', { owners: [CAROL] }),
  // A shared drive's file shared with Bob, who is no member: the run copies no shared drive, so nobody copies it.
  txt('s-1', 'budget.csv', 'sd1', '1,2', { permissions: [user('reader', BOB)] }),
];

const EXPECTED: Record<string, string> = {
  'swm/users/alice@example.com/Team plans/plan.txt': 'the plan',
  'swm/users/alice@example.com/notes.txt': 'alice notes',
  'swm/users/bob@example.com/Shared with me (b-swm)/mine.txt': 'bob keeps this',
  'swm/users/bob@example.com/Shared with me/ext@other.org/offer.txt': 'from outside',
  'swm/users/bob@example.com/b.txt': 'bob',
  'swm/users/carol@example.com/Shared with me/ext@other.org/Ext folder/inside.txt': 'deep inside',
  'swm/users/carol@example.com/c.txt': 'carol',
};

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const under = (prefix: string): string[] => Object.keys(EXPECTED).map((k) => k.replace(/^swm\//, `${prefix}/`)).sort();

let w: World;
let keyFile: string;

before(async () => {
  const sa = testServiceAccount(SA);
  w = await startWorld({
    org: { users: [{ email: ALICE }, { email: BOB }, { email: CAROL }], serviceAccountEmail: SA, serviceAccountPublicKey: sa.publicKeyPem },
    sharedDrives: [{ id: 'sd1', name: 'Finance', members: [{ role: 'organizer', type: 'user', emailAddress: ALICE }] }],
    nodes: NODES,
  });
  keyFile = join(w.dir, 'sa.json');
  sa.writeKeyFile(keyFile, w.drive.tokenUrl);
});

after(async () => {
  await w.close();
});

const flags = (name: string, prefix: string, extra: string[] = []): string[] => orgWorldFlags(w, keyFile, name, ['--drive-tps', '10000', '--s3-prefix', prefix, '--users', USERS, '--shared-with-me', ...extra]);

interface Row {
  source: string;
  files: number;
  bytes: number;
  skipped: Record<string, number>;
  sharedWithMe?: { files: number; bytes: number };
}

test("each shared item once: with its owner's drive, else under the first-sorting recipient; the others say why", async () => {
  const run = await runCli(flags('one', 'swm'), {}, w.s3);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(await listKeys(w, 'swm/'), under('swm'));
  for (const [key, content] of Object.entries(EXPECTED)) assert.equal(await objectMd5(w, key), md5(content), key);

  const report = JSON.parse(await readFile(join(w.dir, 'one.json'), 'utf8')) as { sources: Row[] };
  const rows = new Map(report.sources.map((r) => [r.source, r]));
  const bytes = (...keys: string[]): number => keys.reduce((n, k) => n + Buffer.byteLength(EXPECTED[`swm/users/${k}`] ?? ''), 0);
  assert.deepEqual(rows.get(`users/${ALICE}`)?.skipped, {});
  assert.deepEqual(rows.get(`users/${ALICE}`)?.sharedWithMe, { files: 0, bytes: 0 });
  assert.deepEqual(rows.get(`users/${BOB}`)?.skipped, { "copied with its owner's drive": 1, 'in a shared drive this run does not copy': 1 });
  assert.deepEqual(rows.get(`users/${BOB}`)?.sharedWithMe, { files: 1, bytes: bytes(`${BOB}/Shared with me/${EXT}/offer.txt`) });
  assert.equal(rows.get(`users/${BOB}`)?.files, 3);
  assert.deepEqual(rows.get(`users/${CAROL}`)?.skipped, { "copied with its owner's drive": 1, [`copied under ${BOB}`]: 1 });
  assert.deepEqual(rows.get(`users/${CAROL}`)?.sharedWithMe, { files: 1, bytes: bytes(`${CAROL}/Shared with me/${EXT}/Ext folder/inside.txt`) });

  // The shared file is in its recipient's manifest, with its outside owner and who it is shared with.
  const manifest = await readManifest(w, `swm/users/${BOB}/_manifest.jsonl.gz`);
  const offer = manifest.find((l) => l.key === `swm/users/${BOB}/Shared with me/${EXT}/offer.txt`);
  assert.ok(offer, JSON.stringify(manifest.map((l) => l.key)));
  assert.match(JSON.stringify(offer), /ext@other\.org/);
  assert.match(JSON.stringify(offer), /carol@example\.com/);

  // A second run finds nothing new: the keys are stable, nothing is copied again or found gone.
  const again = await runCli(flags('one', 'swm'), {}, w.s3);
  assert.equal(again.code, 0, again.stderr);
  const second = JSON.parse(await readFile(join(w.dir, 'one.json'), 'utf8')) as { thisRun: { done: number } };
  assert.equal(second.thisRun.done, 0);
  assert.deepEqual(await listKeys(w, 'swm/'), under('swm'));
});

test('two shards listing different users copy every shared object exactly once in total', async () => {
  // Packed so that the two recipients of the outsider's file are in different shards: Bob alone, Alice and Carol.
  const sizes = join(w.dir, 'sizes.json');
  await writeFile(sizes, JSON.stringify({ [`users/${BOB}`]: 100, [`users/${CAROL}`]: 90, [`users/${ALICE}`]: 10 }));
  const done: string[][] = [];
  for (let i = 0; i < 2; i++) {
    const run = await runCli(flags(`shard-${i}`, 'sharded', ['--shard', `${i}/2`, '--shard-sizes', sizes]), {}, w.s3);
    assert.equal(run.code, 0, run.stderr);
    const db = new Database(join(w.dir, `shard-${i}.db`), { readonly: true, fileMustExist: true });
    done.push((db.prepare("SELECT key FROM items WHERE status = 'done' ORDER BY key").all() as { key: string }[]).map((r) => r.key));
    db.close();
  }
  assert.deepEqual(done[0], under('sharded').filter((k) => k.startsWith(`sharded/users/${BOB}/`)));
  assert.deepEqual(done[1], under('sharded').filter((k) => !k.startsWith(`sharded/users/${BOB}/`)));
  assert.deepEqual(await listKeys(w, 'sharded/'), under('sharded'));
});

test('plan: each user row counts what is shared with them and the skips by reason', async () => {
  const plan = await runCli(['plan', ...flags('plan', 'planned')], {}, w.s3);
  assert.equal(plan.code, 0, plan.stderr);
  const line = (who: string): string => plan.stdout.split('\n').find((l) => l.startsWith(`  users/${who} `)) ?? '';
  assert.match(line(BOB), /^ +users\/bob@example\.com +3 /);
  for (const why of ["copied with its owner's drive 1", 'in a shared drive this run does not copy 1']) assert.ok(line(BOB).includes(why), line(BOB));
  assert.match(line(CAROL), /^ +users\/carol@example\.com +2 /);
  for (const why of ["copied with its owner's drive 1", `copied under ${BOB} 1`]) assert.ok(line(CAROL).includes(why), line(CAROL));
});

test('--shared-with-me without users is refused in one line, exit 2', async () => {
  const run = await runCli(orgWorldFlags(w, keyFile, 'refused', ['--all-shared-drives', '--admin-subject', ALICE, '--shared-with-me']), {}, w.s3);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--shared-with-me \(SUPERVISOR_SHARED_WITH_ME\) adds what was shared with users: it needs --all-users or --users/);
});
