import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JWT } from 'google-auth-library';
import { startFakeDrive, FOLDER_MIME } from '../src/fake-drive/index.js';
import type { FakeDrive } from '../src/fake-drive/index.js';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { createDriveClient } from '../src/source/drive/drive-client.js';
import { DIRECTORY_USER_READONLY_SCOPE, findOrganizer, listDirectoryUsers, listSharedDrives } from '../src/source/drive/directory.js';
import { TokenUriJwt } from '../src/source/drive/token-uri-jwt.js';

const SA = 'copier@project.iam.gserviceaccount.com';
const ADMIN = 'admin@example.com';

function keyPair(): { pem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

async function org(publicPem: string): Promise<FakeDrive> {
  const users = [
    { email: ADMIN, isAdmin: true },
    { email: 'ann@example.com' },
    { email: 'bob@example.com' },
    { email: 'gone@example.com', suspended: true },
  ];
  return startFakeDrive({
    org: { users, serviceAccountEmail: SA, serviceAccountPublicKey: publicPem },
    sharedDrives: [
      { id: 'sd1', name: 'Finance', members: [{ role: 'organizer', type: 'user', emailAddress: 'bob@example.com' }] },
      { id: 'sd2', name: 'Legal', members: [{ role: 'reader', type: 'user', emailAddress: 'ann@example.com' }, { role: 'organizer', type: 'user', emailAddress: ADMIN }] },
    ],
    nodes: [
      { id: 'a-dir', name: 'Ann docs', parents: ['root'], mimeType: FOLDER_MIME, owners: ['ann@example.com'] },
      { id: 'a-1', name: 'a.txt', parents: ['a-dir'], mimeType: 'text/plain', content: 'ann' },
      { id: 'b-1', name: 'b.txt', parents: ['root'], mimeType: 'text/plain', content: 'bob', owners: ['bob@example.com'], permissions: [{ role: 'reader', type: 'domain', domain: 'example.com' }] },
      { id: 's-1', name: 'budget.csv', parents: ['sd1'], mimeType: 'text/csv', content: '1,2' },
    ],
  });
}

async function setup(t: { after(fn: () => Promise<void>): void }): Promise<{ pem: string; fake: FakeDrive; dir: string; file: string }> {
  const { pem, publicPem } = keyPair();
  const fake = await org(publicPem);
  const dir = mkdtempSync(join(tmpdir(), 'org-auth-'));
  t.after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await fake.close();
  });
  return { pem, fake, dir, file: keyFile(dir, pem, fake.tokenUrl) };
}

function keyFile(dir: string, pem: string, tokenUri?: string, name = tokenUri === undefined ? 'google' : 'custom'): string {
  const file = join(dir, `sa-${name}.json`);
  writeFileSync(file, JSON.stringify({ type: 'service_account', client_email: SA, private_key: pem, private_key_id: 'k1', ...(tokenUri === undefined ? {} : { token_uri: tokenUri }) }));
  return file;
}

test("auth: a service account's token exchange goes to its key file's token_uri, a token per JWT subject", async (t) => {
  const { pem, fake, dir, file } = await setup(t);
  const google = createDriveAuth({ credentialsFile: keyFile(dir, pem), impersonate: 'ann@example.com', env: {} });
  assert.ok(google instanceof JWT && !(google instanceof TokenUriJwt), "Google's own token_uri keeps the stock client");

  const list = async (subject: string): Promise<string[]> => {
    const auth = createDriveAuth({ credentialsFile: file, impersonate: subject, env: {} });
    assert.ok(auth instanceof TokenUriJwt);
    const { drive } = createDriveClient({ auth, rootUrl: fake.rootUrl });
    const res = await drive.files.list({ q: "trashed = false", includeItemsFromAllDrives: true, supportsAllDrives: true, fields: 'files(id,owners,permissions)' });
    return (res.data.files ?? []).map((f) => f.id ?? '').sort();
  };
  // A user sees their own My Drive and the shared drives they belong to, nothing else.
  assert.deepEqual(await list('ann@example.com'), ['a-1', 'a-dir']);
  assert.deepEqual(await list('bob@example.com'), ['b-1', 's-1']);
  assert.deepEqual(fake.stats.tokenSubjects, ['ann@example.com', 'bob@example.com']);

  const bobAuth = createDriveAuth({ credentialsFile: file, impersonate: 'bob@example.com', env: {} });
  const { drive: bobDrive } = createDriveClient({ auth: bobAuth, rootUrl: fake.rootUrl });
  const b1 = await bobDrive.files.get({ fileId: 'b-1', fields: 'owners,permissions' });
  assert.deepEqual(b1.data.owners?.map((o) => o.emailAddress), ['bob@example.com']);
  assert.deepEqual(b1.data.permissions?.map((p) => [p.role, p.type, p.domain]), [['reader', 'domain', 'example.com']]);
  await assert.rejects(bobDrive.files.get({ fileId: 'a-1' }), (err: { status?: number }) => err.status === 404);

  // A suspended user gets no token; a key the fake does not know signs nothing it accepts (and the key is not in the message).
  const gone = createDriveAuth({ credentialsFile: file, impersonate: 'gone@example.com', env: {} });
  await assert.rejects(gone.getAccessToken(), /invalid_grant: Invalid email or User ID/);
  const other = keyPair();
  const forged = createDriveAuth({ credentialsFile: keyFile(dir, other.pem, fake.tokenUrl, 'forged'), impersonate: 'ann@example.com', env: {} });
  await assert.rejects(forged.getAccessToken(), (err: Error) => err.name === 'TokenExchangeError' && /Invalid JWT Signature/.test(err.message) && !err.message.includes('PRIVATE KEY'));
});

test('directory: users.list through @googleapis/admin, paged; drives.list and permissions.list with useDomainAdminAccess', async (t) => {
  const { fake, file } = await setup(t);
  const adminAuth = createDriveAuth({ credentialsFile: file, impersonate: ADMIN, scopes: [DIRECTORY_USER_READONLY_SCOPE], env: {} });
  const users = await listDirectoryUsers(adminAuth, fake.rootUrl);
  assert.deepEqual(users, [
    { email: ADMIN, suspended: false },
    { email: 'ann@example.com', suspended: false },
    { email: 'bob@example.com', suspended: false },
    { email: 'gone@example.com', suspended: true },
  ]);
  // A user who is not an admin is refused the directory.
  const annAuth = createDriveAuth({ credentialsFile: file, impersonate: 'ann@example.com', env: {} });
  await assert.rejects(listDirectoryUsers(annAuth, fake.rootUrl), (err: { status?: number }) => err.status === 403);

  const { drive } = createDriveClient({ auth: createDriveAuth({ credentialsFile: file, impersonate: ADMIN, env: {} }), rootUrl: fake.rootUrl });
  assert.deepEqual(await listSharedDrives(drive), [{ id: 'sd1', name: 'Finance' }, { id: 'sd2', name: 'Legal' }]);
  assert.equal(await findOrganizer(drive, 'sd1'), 'bob@example.com');
  assert.equal(await findOrganizer(drive, 'sd2'), ADMIN);
  const { drive: annDrive } = createDriveClient({ auth: annAuth, rootUrl: fake.rootUrl });
  await assert.rejects(listSharedDrives(annDrive), (err: { status?: number }) => err.status === 403);
});
