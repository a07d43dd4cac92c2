// Which drives an organisation run copies (issue 23): the directory's active users narrowed by --users and
// --exclude-users, every shared drive with an organizer to read it as, clashing drive names with the id suffix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeDrive } from '../src/fake-drive/index.js';
import { resolveSettings } from '../src/config/settings.js';
import { withIdSuffix } from '../src/keys/key-mapper.js';
import { resolveOrgSources } from '../src/app/org-sources.js';
import { PreflightError } from '../src/errors.js';
import { keyFileFor, testServiceAccount } from './support/service-account.js';

const SA = 'copier@project.iam.gserviceaccount.com';
const ADMIN = 'admin@example.com';

test('users from the directory, shared drives with their organizers; clashing names get the id suffix', async (t) => {
  const sa = testServiceAccount(SA);
  const fake = await startFakeDrive({
    org: {
      users: [{ email: ADMIN, isAdmin: true }, { email: 'ann@example.com' }, { email: 'bob@example.com' }, { email: 'gone@example.com', suspended: true }],
      serviceAccountEmail: SA,
      serviceAccountPublicKey: sa.publicKeyPem,
    },
    sharedDrives: [
      { id: 'sd1', name: 'Finance', members: [{ role: 'organizer', type: 'user', emailAddress: 'bob@example.com' }] },
      { id: 'sd2', name: 'Finance', members: [{ role: 'organizer', type: 'user', emailAddress: 'ann@example.com' }] },
      { id: 'sd3', name: 'a/b', members: [{ role: 'reader', type: 'user', emailAddress: 'ann@example.com' }] },
    ],
  });
  const keyFile = keyFileFor(t, sa, fake);
  const settings = (flags: Record<string, unknown>): ReturnType<typeof resolveSettings> =>
    resolveSettings({ googleCredentials: keyFile, driveRootUrl: fake.rootUrl, adminRootUrl: fake.rootUrl, adminSubject: ADMIN, ...flags }, {});

  const all = await resolveOrgSources(settings({ allUsers: true, allSharedDrives: true, excludeUsers: ADMIN }), {});
  assert.deepEqual(all, [
    { kind: 'user', name: 'ann@example.com', rootId: 'root', subject: 'ann@example.com', segments: ['users', 'ann@example.com'] },
    { kind: 'user', name: 'bob@example.com', rootId: 'root', subject: 'bob@example.com', segments: ['users', 'bob@example.com'] },
    { kind: 'shared-drive', name: 'Finance', rootId: 'sd1', subject: 'bob@example.com', segments: ['shared-drives', withIdSuffix('Finance', 'sd1')] },
    { kind: 'shared-drive', name: 'Finance', rootId: 'sd2', subject: 'ann@example.com', segments: ['shared-drives', withIdSuffix('Finance', 'sd2')] },
    { kind: 'shared-drive', name: 'a/b', rootId: 'sd3', subject: null, segments: ['shared-drives', 'a\u2215b'], problem: 'no organizer: nobody can read this shared drive as a member' },
  ]);
  // --users narrows the directory (a suspended user stays out even when named).
  const narrowed = await resolveOrgSources(settings({ allUsers: true, users: 'BOB@example.com,gone@example.com' }), {});
  assert.deepEqual(narrowed.map((s) => s.name), ['bob@example.com']);
  // Flags that leave nothing to copy are refused, not reported as a success.
  await assert.rejects(resolveOrgSources(settings({ users: 'ann@example.com', excludeUsers: 'ANN@example.com' }), {}), (err: Error) => err instanceof PreflightError && /select no drive/.test(err.message));
  // The directory refused (the subject is no admin): a preflight line, exit 2.
  await assert.rejects(resolveOrgSources(settings({ allUsers: true, adminSubject: 'ann@example.com' }), {}), (err: Error) => err instanceof PreflightError && /^--all-users: the directory's users\.list as --admin-subject ann@example\.com failed: /.test(err.message));
});

test("the admin's requests are retried through its quota: every shared drive still finds its organizer", async (t) => {
  const sa = testServiceAccount(SA);
  const drives = Array.from({ length: 6 }, (_, i) => ({ id: `sd${i}`, name: `Team ${i}`, members: [{ role: 'organizer' as const, type: 'user' as const, emailAddress: 'ann@example.com' }] }));
  // Four requests a second for everyone, a burst of one: drives.list and six permissions.list cannot all pass at once.
  const fake = await startFakeDrive({
    org: { users: [{ email: ADMIN, isAdmin: true }, { email: 'ann@example.com' }], serviceAccountEmail: SA, serviceAccountPublicKey: sa.publicKeyPem },
    sharedDrives: drives,
    quota: { requestsPerSecond: 4, burst: 1 },
  });
  const keyFile = keyFileFor(t, sa, fake);
  const settings = resolveSettings({ googleCredentials: keyFile, driveRootUrl: fake.rootUrl, adminRootUrl: fake.rootUrl, adminSubject: ADMIN, allSharedDrives: true, users: 'ann@example.com' }, {});
  const sources = await resolveOrgSources(settings, {});
  const shared = sources.filter((s) => s.kind === 'shared-drive');
  assert.equal(shared.length, 6);
  assert.deepEqual(shared.map((s) => [s.subject, s.problem]), drives.map(() => ['ann@example.com', undefined]));
  assert.ok(fake.quota.stats.refused > 0, 'the quota refused some of the admin requests (else this test proves nothing)');
});
