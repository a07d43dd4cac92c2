// The organisation flags (issue 23): what an --all-users / --users / --all-shared-drives run needs, refused up
// front with one line naming the flag, and --exclude-users read from a list or an @file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { resolveSettings } from '../../src/config/settings.js';

const refused = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv, message: RegExp): void => {
  assert.throws(() => resolveSettings(flags, env), (err: Error) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'));
};

test('--all-users needs --admin-subject and service-account credentials', () => {
  refused({ allUsers: true, googleCredentials: 'sa.json' }, {}, /^--all-users \(SUPERVISOR_ALL_USERS\) needs --admin-subject/);
  refused({ allSharedDrives: true, googleCredentials: 'sa.json' }, {}, /^--all-shared-drives \(SUPERVISOR_ALL_SHARED_DRIVES\) needs --admin-subject/);
  refused({ allUsers: true, adminSubject: 'admin@x.com', driveAccessToken: 't' }, {}, /^--all-users needs service-account credentials/);
  refused({ allUsers: true, adminSubject: 'admin@x.com', googleCredentials: 'metadata-server' }, {}, /^--all-users needs service-account credentials/);
  refused({ users: 'a@x.com', googleCredentials: 'sa.json', sharedDriveId: 'sd1' }, {}, /^--users copies whole drives: --shared-drive-id/);
  refused({ users: 'not-an-address', googleCredentials: 'sa.json' }, {}, /^invalid --users: "not-an-address" is not an email address/);
  refused({ excludeUsers: 'a@x.com' }, {}, /^--exclude-users \(SUPERVISOR_EXCLUDE_USERS\) needs --all-users or --users/);
  refused({}, { SUPERVISOR_ALL_USERS: 'true', SUPERVISOR_ADMIN_SUBJECT: 'admin@x.com', SUPERVISOR_GOOGLE_CREDENTIALS: 'sa.json', SUPERVISOR_ADMIN_ROOT_URL: 'ftp://x' }, /^invalid --admin-root-url/);
  const s = resolveSettings({}, { SUPERVISOR_ALL_USERS: 'true', SUPERVISOR_ADMIN_SUBJECT: 'admin@x.com', GOOGLE_APPLICATION_CREDENTIALS: 'sa.json' });
  assert.equal(s.allUsers, true);
  assert.equal(s.adminSubject, 'admin@x.com');
});

test('--exclude-users takes addresses and @file lines, lower-cased and deduplicated', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'org-settings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'leavers.txt');
  writeFileSync(file, '# leavers\nCarol@Example.com\n\n dan@example.com # on leave\n');
  const s = resolveSettings({ allUsers: true, adminSubject: 'admin@example.com', googleCredentials: 'sa.json', excludeUsers: `eve@example.com,@${file},carol@example.com` }, {});
  assert.deepEqual(s.excludeUsers, ['eve@example.com', 'carol@example.com', 'dan@example.com']);
  refused({ users: 'a@x.com', googleCredentials: 'sa.json', excludeUsers: `@${join(dir, 'missing.txt')}` }, {}, /^invalid --exclude-users: file .*missing\.txt cannot be read \(ENOENT\)/);
});

test('--shard-sizes needs an organisation run and --shard', () => {
  refused({ shardSizes: 'sizes.json', shard: '0/2' }, {}, /^--shard-sizes \(SUPERVISOR_SHARD_SIZES\) sizes drives: it needs --all-users, --users or --all-shared-drives/);
  refused({ shardSizes: 'sizes.json', users: 'a@x.com', googleCredentials: 'sa.json' }, {}, /^--shard-sizes \(SUPERVISOR_SHARD_SIZES\) needs --shard/);
  assert.equal(resolveSettings({ shardSizes: 'sizes.json', shard: '1/4', users: 'a@x.com', googleCredentials: 'sa.json' }, {}).shardSizes, 'sizes.json');
});

test('--plan-sizes-out needs an organisation run', () => {
  refused({ planSizesOut: 'sizes.json' }, {}, /^--plan-sizes-out \(SUPERVISOR_PLAN_SIZES_OUT\) writes the sizes of drives: it needs --all-users, --users or --all-shared-drives/);
  assert.equal(resolveSettings({ planSizesOut: 'sizes.json', users: 'a@x.com', googleCredentials: 'sa.json' }, {}).planSizesOut, 'sizes.json');
});

test('--shared-with-me needs users to add to; its env twin sets it', () => {
  refused({ sharedWithMe: true }, {}, /^--shared-with-me \(SUPERVISOR_SHARED_WITH_ME\) adds what was shared with users: it needs --all-users or --users/);
  refused({ sharedWithMe: true, allSharedDrives: true, adminSubject: 'admin@x.com', googleCredentials: 'sa.json' }, {}, /^--shared-with-me .* needs --all-users or --users/);
  const s = resolveSettings({ users: 'a@x.com', googleCredentials: 'sa.json' }, { SUPERVISOR_SHARED_WITH_ME: 'true' });
  assert.equal(s.sharedWithMe, true);
});
