// The whole organisation (issue 23), end to end: the real CLI, supervisor and children against the fake
// Drive's organisation and s3rver. Every user's My Drive read as that user, every shared drive as one of its
// organizers, keys under users/<email>/ and shared-drives/<name>/; a user whose token is refused is reported
// failed with the reason while the others are copied; --users and --exclude-users narrow the run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FOLDER_MIME, SHORTCUT_MIME } from '../src/fake-drive/index.js';
import type { FakeNodeSpec } from '../src/fake-drive/index.js';
import { listKeys, objectMd5, orgWorldFlags, readManifest, runCli, startWorld } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { testServiceAccount } from './support/service-account.js';

const SA = 'copier@project.iam.gserviceaccount.com';
const ADMIN = 'admin@example.com';
const BIG = 'x'.repeat(300_000);

const txt = (id: string, name: string, parent: string, content: string, extra: Partial<FakeNodeSpec> = {}): FakeNodeSpec => ({ id, name, parents: [parent], mimeType: 'text/plain', content, ...extra });

const NODES: FakeNodeSpec[] = [
  { id: 'a-dir', name: 'Ann docs', parents: ['root'], mimeType: FOLDER_MIME, owners: ['ann@example.com'] },
  txt('a-1', 'a.txt', 'a-dir', 'ann in a folder'),
  txt('a-2', 'notes.txt', 'root', 'ann notes', { owners: ['ann@example.com'] }),
  txt('b-1', 'b.txt', 'root', 'bob', { owners: ['bob@example.com'] }),
  txt('b-2', 'big.bin', 'root', BIG, { owners: ['bob@example.com'], mimeType: 'application/octet-stream' }),
  txt('c-1', 'c.txt', 'root', 'carol', { owners: ['carol@example.com'] }),
  txt('m-1', 'admin.txt', 'root', 'the admin', { owners: [ADMIN] }),
  txt('s-1', 'budget.csv', 'sd1', '1,2', { mimeType: 'text/csv' }),
  { id: 's-dir', name: 'Q1', parents: ['sd1'], mimeType: FOLDER_MIME },
  txt('s-2', 'plan.txt', 's-dir', 'the plan'),
  txt('l-1', 'contract.txt', 'sd2', 'signed'),
  // Per-drive rows: a listing skip in Finance, a failed file in Bob's drive.
  { id: 's-3', name: 'link to budget', parents: ['sd1'], mimeType: SHORTCUT_MIME, shortcutTargetId: 's-1' },
  txt('b-3', 'wrong-sha1.bin', 'root', 'not what Drive says', { owners: ['bob@example.com'], sha1: '0'.repeat(40) }),
];

/** Every object the first run must write, with its content. */
const EXPECTED: Record<string, string> = {
  'org/users/ann@example.com/Ann docs/a.txt': 'ann in a folder',
  'org/users/ann@example.com/notes.txt': 'ann notes',
  'org/users/bob@example.com/b.txt': 'bob',
  'org/users/bob@example.com/big.bin': BIG,
  'org/shared-drives/Finance/budget.csv': '1,2',
  'org/shared-drives/Finance/Q1/plan.txt': 'the plan',
  'org/shared-drives/Legal/contract.txt': 'signed',
};

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

let w: World;
let keyFile: string;

before(async () => {
  const sa = testServiceAccount(SA);
  w = await startWorld({
    org: {
      users: [{ email: ADMIN, isAdmin: true }, { email: 'ann@example.com' }, { email: 'bob@example.com' }, { email: 'carol@example.com', refuseToken: true }, { email: 'gone@example.com', suspended: true }],
      serviceAccountEmail: SA,
      serviceAccountPublicKey: sa.publicKeyPem,
    },
    sharedDrives: [
      { id: 'sd1', name: 'Finance', members: [{ role: 'organizer', type: 'user', emailAddress: 'bob@example.com' }] },
      { id: 'sd2', name: 'Legal', members: [{ role: 'reader', type: 'user', emailAddress: 'carol@example.com' }, { role: 'organizer', type: 'user', emailAddress: 'ann@example.com' }] },
    ],
    nodes: NODES,
  });
  keyFile = join(w.dir, 'sa.json');
  sa.writeKeyFile(keyFile, w.drive.tokenUrl);
});

after(async () => {
  await w.close();
});

function orgFlags(name: string, extra: string[]): string[] {
  return orgWorldFlags(w, keyFile, name, ['--drive-tps', '10000', ...extra]);
}

interface OrgReport {
  exitCode: number;
  sources?: { source: string; subject: string | null; status: string; reason: string | null; files: number; bytes: number; pending: number; skipped: Record<string, number>; failed: Record<string, number> }[];
  sourceFailures?: { source: string; reason: string }[];
  thisRun: { done: number; failed: number };
}

test('every user and shared drive in one run, each as its own identity; a refused user is failed with the reason', async () => {
  const run = await runCli(orgFlags('all', ['--s3-prefix', 'org', '--all-users', '--all-shared-drives', '--admin-subject', ADMIN, '--exclude-users', ADMIN]), {}, w.s3);
  assert.equal(run.code, 1, run.stderr);
  assert.deepEqual(await listKeys(w, 'org/'), Object.keys(EXPECTED).sort());
  for (const [key, content] of Object.entries(EXPECTED)) assert.equal(await objectMd5(w, key), md5(content), key);
  assert.match(run.stderr, /failed drive: users\/carol@example\.com: unauthorized: HTTP 401: token exchange at \S+ failed: unauthorized_client/);
  const report = JSON.parse(await readFile(join(w.dir, 'all.json'), 'utf8')) as OrgReport;
  assert.equal(report.exitCode, 1);
  assert.equal(report.thisRun.done, Object.keys(EXPECTED).length);
  assert.equal(report.thisRun.failed, 1);
  assert.equal(report.sourceFailures?.length, 1);
  assert.equal(report.sourceFailures?.[0]?.source, 'users/carol@example.com');
  assert.match(report.sourceFailures?.[0]?.reason ?? '', /unauthorized_client: Client is unauthorized/);
  // One row per drive: what it copied, skipped and failed by reason, and the drive that could not be listed.
  const rows = new Map((report.sources ?? []).map((r) => [r.source, r]));
  assert.deepEqual([...rows.keys()], ['users/ann@example.com', 'users/bob@example.com', 'users/carol@example.com', 'shared-drives/Finance', 'shared-drives/Legal']);
  const bytes = (...keys: string[]): number => keys.reduce((n, k) => n + Buffer.byteLength(EXPECTED[k] ?? ''), 0);
  assert.deepEqual(
    { ...rows.get('users/bob@example.com'), reason: null },
    { source: 'users/bob@example.com', kind: 'user', subject: 'bob@example.com', status: 'listed', reason: null, files: 2, bytes: bytes('org/users/bob@example.com/b.txt', 'org/users/bob@example.com/big.bin'), pending: 0, skipped: {}, failed: { 'sha1-mismatch': 1 } },
  );
  assert.deepEqual(rows.get('shared-drives/Finance'), { source: 'shared-drives/Finance', kind: 'shared-drive', subject: 'bob@example.com', status: 'listed', reason: null, files: 2, bytes: bytes('org/shared-drives/Finance/budget.csv', 'org/shared-drives/Finance/Q1/plan.txt'), pending: 0, skipped: { shortcut: 1 }, failed: {} });
  assert.equal(rows.get('shared-drives/Legal')?.subject, 'ann@example.com');
  assert.equal(rows.get('users/carol@example.com')?.status, 'failed');
  assert.match(rows.get('users/carol@example.com')?.reason ?? '', /unauthorized_client/);
  const csv = (await readFile(join(w.dir, 'all.sources.csv'), 'utf8')).split('\r\n');
  assert.equal(csv[0], 'source,kind,subject,status,reason,files,bytes,pending,skipped,failed');
  assert.equal(csv[4], `shared-drives/Finance,shared-drive,bob@example.com,listed,,2,${bytes('org/shared-drives/Finance/budget.csv', 'org/shared-drives/Finance/Q1/plan.txt')},0,shortcut=1,`);
  assert.match(csv[3] ?? '', /^users\/carol@example\.com,user,carol@example\.com,failed,"?[^,]*unauthorized_client/);
  // A manifest per drive read, under its own prefix, of its own copied files; none for the drive that failed.
  const drives = ['org/users/ann@example.com/', 'org/users/bob@example.com/', 'org/shared-drives/Finance/', 'org/shared-drives/Legal/'];
  for (const drive of drives) {
    const lines = await readManifest(w, `${drive}_manifest.jsonl.gz`);
    assert.deepEqual(lines.map((l) => l.key).sort(), Object.keys(EXPECTED).filter((k) => k.startsWith(drive)).sort(), drive);
  }
  const manifests = await listKeys(w, 'org/', { manifests: true });
  assert.deepEqual(manifests.filter((k) => k.endsWith('_manifest.jsonl.gz')), drives.map((d) => `${d}_manifest.jsonl.gz`).sort(), 'one per drive read, none at --s3-prefix');
  // Neither the suspended user nor the excluded admin was listed; each drive was read as its own user.
  assert.ok(!w.drive.stats.tokenSubjects.includes('gone@example.com'));
  for (const subject of ['ann@example.com', 'bob@example.com']) assert.ok(w.drive.stats.tokenSubjects.includes(subject), subject);
});

test('--users and --exclude-users (an @file) narrow the run; no failure, exit 0', async () => {
  const leavers = join(w.dir, 'leavers.txt');
  await writeFile(leavers, '# left in March\ncarol@example.com\n');
  const run = await runCli(orgFlags('narrow', ['--s3-prefix', 'narrow', '--all-users', '--admin-subject', ADMIN, '--users', 'ann@example.com,carol@example.com', '--exclude-users', `@${leavers}`]), {}, w.s3);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(await listKeys(w, 'narrow/'), ['narrow/users/ann@example.com/Ann docs/a.txt', 'narrow/users/ann@example.com/notes.txt']);

  const only = await runCli(orgFlags('only', ['--s3-prefix', 'only', '--users', 'ADMIN@example.com,bob@example.com', '--exclude-users', 'bob@example.com']), {}, w.s3);
  assert.equal(only.code, 0, only.stderr);
  assert.deepEqual(await listKeys(w, 'only/'), ['only/users/admin@example.com/admin.txt']);
});

test('--all-users without --admin-subject is refused in one line, exit 2', async () => {
  const run = await runCli(orgFlags('refused', ['--all-users']), {}, w.s3);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--all-users \(SUPERVISOR_ALL_USERS\) needs --admin-subject/);
});

test('a shared drive whose listing answers 403 is failed with the reason; the other is copied', async () => {
  w.drive.addFault({ route: 'list', fileId: 'sd2', fault: { type: 'status', status: 403, reason: 'insufficientFilePermissions' } });
  const run = await runCli(orgFlags('forbidden', ['--s3-prefix', 'forbidden', '--all-shared-drives', '--admin-subject', ADMIN]), {}, w.s3);
  assert.equal(run.code, 1, run.stderr);
  assert.deepEqual(await listKeys(w, 'forbidden/'), ['forbidden/shared-drives/Finance/Q1/plan.txt', 'forbidden/shared-drives/Finance/budget.csv']);
  assert.match(run.stderr, /failed drive: shared-drives\/Legal: forbidden: HTTP 403 insufficientFilePermissions/);
  const report = JSON.parse(await readFile(join(w.dir, 'forbidden.json'), 'utf8')) as OrgReport;
  assert.deepEqual(report.sourceFailures?.map((f) => f.source), ['shared-drives/Legal']);
});

/** The drive a files.list request read: the shared drive it names, else the My Drive of the user it was made as. */
const listedDrive = (l: { subject: string | null; driveId: string | null }): string => (l.driveId !== null ? `shared-drives/${l.driveId}` : `users/${l.subject ?? '?'}`);

/** The 3 users (carol left out) and 2 shared drives, copied as `--shard i/2` runs with their own journals. */
async function copyInShards(name: string, extra: string[]): Promise<{ code: number | null; listed: string[]; journalKeys: string[]; doneKeys: string[] }[]> {
  const out = [];
  for (let i = 0; i < 2; i++) {
    w.drive.resetStats();
    const run = await runCli(orgFlags(`${name}-${i}`, ['--s3-prefix', name, '--all-users', '--all-shared-drives', '--admin-subject', ADMIN, '--exclude-users', 'carol@example.com', '--shard', `${i}/2`, ...extra]), {}, w.s3);
    const db = new Database(join(w.dir, `${name}-${i}.db`), { readonly: true, fileMustExist: true });
    const rows = db.prepare("SELECT key, status FROM items WHERE key <> '' ORDER BY key").all() as { key: string; status: string }[];
    db.close();
    const doneKeys = rows.filter((r) => r.status === 'done').map((r) => r.key);
    out.push({ code: run.code, listed: [...new Set(w.drive.stats.listings.map(listedDrive))].sort(), journalKeys: rows.map((r) => r.key), doneKeys });
  }
  return out;
}

/** Every object the five drives hold, under `prefix`. */
const everyKey = (prefix: string): string[] => [...Object.keys(EXPECTED), 'org/users/admin@example.com/admin.txt'].map((k) => k.replace(/^org\//, `${prefix}/`)).sort();
const DRIVE_PREFIX: Record<string, string> = { 'shared-drives/sd1': 'shared-drives/Finance/', 'shared-drives/sd2': 'shared-drives/Legal/' };
const keyPrefixOf = (prefix: string, drive: string): string => `${prefix}/${DRIVE_PREFIX[drive] ?? `${drive}/`}`;

test('--shard i/2 in an organisation run: whole drives per shard, each listed by its shard alone, every key once', async () => {
  w.drive.clearFaults();
  const shards = await copyInShards('sharded', []);
  // Every object exactly once: the two shards' journals hold disjoint copied keys that together are every key.
  const journalled = shards.flatMap((s) => s.doneKeys).sort();
  assert.deepEqual(journalled, everyKey('sharded'));
  assert.deepEqual(await listKeys(w, 'sharded/'), everyKey('sharded'));
  for (const [key, content] of Object.entries(EXPECTED)) assert.equal(await objectMd5(w, key.replace(/^org\//, 'sharded/')), md5(content), key);
  // Each drive was listed by one shard only, and each shard's journal holds only the drives it listed.
  const [a, b] = shards;
  assert.ok(a !== undefined && b !== undefined);
  assert.ok(a.listed.length > 0 && b.listed.length > 0, `one shard listed nothing: ${a.listed.join()} | ${b.listed.join()}`);
  assert.deepEqual([...a.listed, ...b.listed].sort(), ['shared-drives/sd1', 'shared-drives/sd2', 'users/admin@example.com', 'users/ann@example.com', 'users/bob@example.com']);
  for (const s of shards) {
    for (const key of s.journalKeys) assert.ok(s.listed.some((d) => key.startsWith(keyPrefixOf('sharded', d))), `${key} is in the journal of a shard that listed ${s.listed.join(', ')}`);
    // Bob's drive holds the file whose SHA-1 Drive gets wrong: its shard alone exits 1.
    assert.equal(s.code, s.listed.includes('users/bob@example.com') ? 1 : 0);
  }
  // Each drive's manifest was written by the shard that copied it, and lists that shard's copies of the drive.
  for (const s of shards) {
    const lines = (await Promise.all(s.listed.map((d) => readManifest(w, `${keyPrefixOf('sharded', d)}_manifest.jsonl.gz`)))).flat();
    assert.deepEqual(lines.map((l) => String(l.key)).sort(), s.doneKeys);
  }
});

test('--shard-sizes packs the drives largest first: the largest alone in one shard, the rest in the other', async () => {
  const sizes = join(w.dir, 'sizes.json');
  await writeFile(sizes, JSON.stringify({ 'users/bob@example.com': 1000, 'users/ann@example.com': 1, 'users/admin@example.com': 1, 'shared-drives/sd1': 1, 'shared-drives/sd2': 1 }));
  const shards = await copyInShards('sized', ['--shard-sizes', sizes]);
  assert.deepEqual(shards.map((s) => s.listed), [['users/bob@example.com'], ['shared-drives/sd1', 'shared-drives/sd2', 'users/admin@example.com', 'users/ann@example.com']]);
  assert.deepEqual(shards.map((s) => s.code), [1, 0]);
  assert.deepEqual(await listKeys(w, 'sized/'), everyKey('sized'));
  assert.deepEqual(shards.flatMap((s) => s.doneKeys).sort(), everyKey('sized'));
  assert.ok(shards[1]?.journalKeys.every((k) => !k.startsWith('sized/users/bob@example.com/')));
});

test('plan lists each drive as its subject, writes --plan-sizes-out; the shards it packs copy every key once', async () => {
  w.drive.clearFaults();
  const sizesFile = join(w.dir, 'planned-sizes.json');
  // Carol is refused: her drive is reported with the reason, left out of the sizes, and the plan exits 1 as a run would.
  const plan = await runCli(['plan', ...orgFlags('plan', ['--all-users', '--all-shared-drives', '--admin-subject', ADMIN, '--plan-sizes-out', sizesFile])], {}, w.s3);
  assert.equal(plan.code, 1, plan.stderr);
  const files: Record<string, number> = { 'users/admin@example.com': 1, 'users/ann@example.com': 2, 'users/bob@example.com': 3, 'shared-drives/Finance': 2, 'shared-drives/Legal': 1 };
  for (const [drive, n] of Object.entries(files)) assert.match(plan.stdout, new RegExp(`^  ${drive.replace(/[.]/g, '\\.')} +${n} `, 'm'), drive);
  assert.match(plan.stdout, /^ {2}shared-drives\/Finance .* shortcut 1$/m);
  assert.match(plan.stdout, /^ {2}users\/carol@example\.com +FAILED: unauthorized: .*unauthorized_client/m);
  assert.match(plan.stdout, /^source: 9 files, /m);
  assert.match(plan.stdout, /^largest files:\n +\S+ KiB {2}users\/bob@example\.com\/big\.bin$/m);
  assert.match(plan.stdout, /^fits the pod: yes/m);
  const bytesOf = (...ids: string[]): number => ids.reduce((n, id) => n + Buffer.byteLength(NODES.find((x) => x.id === id)?.content ?? ''), 0);
  const sizes = JSON.parse(await readFile(sizesFile, 'utf8')) as Record<string, number>;
  assert.deepEqual(sizes, {
    'shared-drives/sd1': bytesOf('s-1', 's-2'),
    'shared-drives/sd2': bytesOf('l-1'),
    'users/admin@example.com': bytesOf('m-1'),
    'users/ann@example.com': bytesOf('a-1', 'a-2'),
    'users/bob@example.com': bytesOf('b-1', 'b-2', 'b-3'),
  });
  const shards = await copyInShards('planned', ['--shard-sizes', sizesFile]);
  // Bob's drive is the largest by far: alone in shard 0, the other four in shard 1.
  assert.deepEqual(shards.map((s) => s.listed), [['users/bob@example.com'], ['shared-drives/sd1', 'shared-drives/sd2', 'users/admin@example.com', 'users/ann@example.com']]);
  assert.deepEqual(shards.map((s) => s.code), [1, 0]);
  assert.deepEqual(await listKeys(w, 'planned/'), everyKey('planned'));
  assert.deepEqual(shards.flatMap((s) => s.doneKeys).sort(), everyKey('planned'));
});

test('a shard left without a drive (8 shards, 5 drives) lists nothing, copies nothing and exits 0', async () => {
  w.drive.resetStats();
  // Shard 0 of 8 holds none of the five drives' keys (users/{admin,ann,bob}@example.com, shared-drives/sd{1,2}).
  const run = await runCli(orgFlags('empty-shard', ['--s3-prefix', 'empty', '--all-users', '--all-shared-drives', '--admin-subject', ADMIN, '--exclude-users', 'carol@example.com', '--shard', '0/8']), {}, w.s3);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(w.drive.stats.listings, []);
  assert.deepEqual(await listKeys(w, 'empty/'), []);
});

interface JournalRow {
  key: string;
  status: string;
  gone_at: number | null;
  attempts: number;
  failed_runs: number;
  updated_at: number;
}

function bobRows(): JournalRow[] {
  const db = new Database(join(w.dir, 'scope.db'), { readonly: true });
  try {
    return db.prepare<[], JournalRow>(`SELECT key, status, gone_at, attempts, failed_runs, updated_at FROM items WHERE key LIKE 'scope/users/bob@example.com/%' ORDER BY key`).all();
  } finally {
    db.close();
  }
}

test('a later run that selects fewer users leaves the others as they are: none gone, no object deleted, no work', async () => {
  w.drive.addNodes([txt('a-tmp', 'tmp.txt', 'root', 'ann, briefly', { owners: ['ann@example.com'] })]);
  const flags = (extra: string[]): string[] => orgFlags('scope', ['--s3-prefix', 'scope', '--deletes', 'delete', ...extra]);
  const first = await runCli(flags(['--users', 'ann@example.com,bob@example.com']), {}, w.s3);
  assert.equal(first.code, 1, first.stderr); // bob's wrong-sha1.bin
  const bobKeys = ['scope/users/bob@example.com/b.txt', 'scope/users/bob@example.com/big.bin'];
  assert.deepEqual(await listKeys(w, 'scope/users/bob@example.com/'), bobKeys);

  // As if the run had stopped before Bob's b.txt was copied: pending work of a drive the next run leaves out.
  const db = new Database(join(w.dir, 'scope.db'));
  db.prepare(`UPDATE items SET status = 'pending' WHERE key = ?`).run(bobKeys[0]);
  db.close();
  const bobBefore = bobRows();
  assert.deepEqual(bobBefore.map((r) => [r.key, r.status]), [[bobKeys[0], 'pending'], [bobKeys[1], 'done'], ['scope/users/bob@example.com/wrong-sha1.bin', 'failed']]);

  // Ann's temporary file goes from Drive; the second run selects Ann alone.
  w.drive.removeNode('a-tmp');
  const second = await runCli(flags(['--users', 'ann@example.com']), {}, w.s3);
  assert.equal(second.code, 0, `Bob's failure is not this run's: ${second.stderr}`);
  assert.deepEqual(await listKeys(w, 'scope/users/ann@example.com/'), ['scope/users/ann@example.com/Ann docs/a.txt', 'scope/users/ann@example.com/notes.txt'], 'a file gone from a listed drive is deleted');
  assert.deepEqual(await listKeys(w, 'scope/users/bob@example.com/'), bobKeys, 'the drive not selected keeps its objects');
  assert.deepEqual(bobRows(), bobBefore, "the drive not selected keeps its rows as they were: none gone, its pending file not copied");
  const annKeys = (await readManifest(w, 'scope/users/ann@example.com/_manifest.jsonl.gz')).map((l) => l.key).sort();
  assert.deepEqual(annKeys, ['scope/users/ann@example.com/Ann docs/a.txt', 'scope/users/ann@example.com/notes.txt'], "Ann's manifest is rewritten without the file gone");
  assert.deepEqual((await readManifest(w, 'scope/users/bob@example.com/_manifest.jsonl.gz')).map((l) => l.key).sort(), bobKeys, "Bob's stays as the first run wrote it");
  const report = JSON.parse(await readFile(join(w.dir, 'scope.json'), 'utf8')) as { pass: { gone: number; deleted: number; notSelected?: number; manifests?: { key: string; written: boolean }[] } };
  assert.deepEqual(report.pass.manifests?.map((m) => [m.key, m.written]), [['scope/users/ann@example.com/_manifest.jsonl.gz', true]]);
  assert.deepEqual({ gone: report.pass.gone, deleted: report.pass.deleted, notSelected: report.pass.notSelected }, { gone: 1, deleted: 1, notSelected: 3 });
  assert.match(second.stderr, /3 rows of drives not in this run's selection left as they are/);
});
