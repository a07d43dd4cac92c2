// The fake Drive's "Shared with me" (issue 23, --shared-with-me) through the real @googleapis/drive client:
// q=sharedWithMe is what carries a user permission for the caller who does not own it, a shared folder's
// children are readable (inherited) without being in the collection, 'root' stays the caller's own, and a
// listing serves `permissions` only to who may share the file (a reader asks permissions.list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeDrive, FOLDER_MIME } from '../src/fake-drive/index.js';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { createDriveClient } from '../src/source/drive/drive-client.js';
import type { Drive } from '../src/source/drive/drive-client.js';
import { keyFileFor, testServiceAccount } from './support/service-account.js';

const SA = 'copier@project.iam.gserviceaccount.com';

test('sharedWithMe: shared with the caller, not owned; inherited access reads children; permissions to sharers only', async (t) => {
  const sa = testServiceAccount(SA);
  const fake = await startFakeDrive({
    org: { users: [{ email: 'ann@example.com' }, { email: 'bob@example.com' }], serviceAccountEmail: SA, serviceAccountPublicKey: sa.publicKeyPem },
    nodes: [
      { id: 'a-dir', name: 'Shared', parents: ['root'], mimeType: FOLDER_MIME, owners: ['ann@example.com'], permissions: [{ role: 'owner', type: 'user', emailAddress: 'ann@example.com' }, { role: 'reader', type: 'user', emailAddress: 'bob@example.com' }] },
      { id: 'a-1', name: 'inside.txt', parents: ['a-dir'], mimeType: 'text/plain', content: 'in' },
      { id: 'a-2', name: 'edit.txt', parents: ['root'], mimeType: 'text/plain', content: 'e', owners: ['ann@example.com'], permissions: [{ role: 'writer', type: 'user', emailAddress: 'Bob@example.com' }] },
      { id: 'a-3', name: 'private.txt', parents: ['root'], mimeType: 'text/plain', content: 'p', owners: ['ann@example.com'] },
      { id: 'b-1', name: 'mine.txt', parents: ['root'], mimeType: 'text/plain', content: 'b', owners: ['bob@example.com'], permissions: [{ role: 'reader', type: 'user', emailAddress: 'bob@example.com' }] },
    ],
  });
  const keyFile = keyFileFor(t, sa, fake);
  const as = (subject: string): Drive => createDriveClient({ auth: createDriveAuth({ credentialsFile: keyFile, impersonate: subject, env: {} }), rootUrl: fake.rootUrl }).drive;
  const bob = as('bob@example.com');
  const ids = async (q: string): Promise<string[]> => ((await bob.files.list({ q, fields: 'files(id)' })).data.files ?? []).map((f) => f.id ?? '').sort();

  assert.deepEqual(await ids('sharedWithMe'), ['a-2', 'a-dir'], 'his own file is never shared with him, nor the folder\'s child');
  assert.deepEqual(await ids('sharedWithMe = true and trashed = false'), ['a-2', 'a-dir']);
  assert.deepEqual(await ids("'a-dir' in parents and trashed = false"), ['a-1'], 'the shared folder is walked');
  assert.deepEqual(await ids("'root' in parents"), ['b-1'], "'root' is his own My Drive");
  await assert.rejects(bob.files.get({ fileId: 'a-3' }), (err: { status?: number }) => err.status === 404);
  assert.deepEqual((await as('ann@example.com').files.list({ q: 'sharedWithMe', fields: 'files(id)' })).data.files ?? [], []);

  // A writer may share: its permissions come with the listing; a reader's come from permissions.list.
  const listed = new Map(((await bob.files.list({ q: 'sharedWithMe', fields: 'files(id, owners(emailAddress), permissions(type, emailAddress))' })).data.files ?? []).map((f) => [f.id, f]));
  assert.deepEqual(listed.get('a-2')?.owners?.map((o) => o.emailAddress), ['ann@example.com']);
  assert.deepEqual(listed.get('a-2')?.permissions?.map((p) => p.emailAddress), ['Bob@example.com']);
  assert.equal(listed.get('a-dir')?.permissions, undefined);
  const perms = await bob.permissions.list({ fileId: 'a-dir', fields: 'permissions(type, emailAddress)' });
  assert.deepEqual(perms.data.permissions?.map((p) => p.emailAddress), ['ann@example.com', 'bob@example.com']);
});
