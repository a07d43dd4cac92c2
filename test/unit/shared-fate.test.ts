// Who copies an item shared with a user (--shared-with-me, issue 23): decided from the file alone, so every
// lister of it, in any shard, names the same one copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copiedUnder, SHARED_SKIPS, sharedFate } from '../../src/source/drive/shared-with-me.js';
import type { SharedItem } from '../../src/source/drive/shared-with-me.js';

const scope = { users: new Set(['alice@x.com', 'bob@x.com', 'carol@x.com']), sharedDrives: new Set(['sd1']) };
const none = new Set<string>();
const item = (extra: Partial<SharedItem>): SharedItem => ({ owners: ['ext@y.org'], driveId: null, parents: ['p-ext'], permissions: [], ...extra });
const to = (...emails: string[]): { type: string; email: string }[] => emails.map((email) => ({ type: 'user', email }));

test("an item owned by a selected user is its owner's drive's, whoever lists it", () => {
  for (const lister of ['bob@x.com', 'carol@x.com']) assert.deepEqual(sharedFate(item({ owners: ['Alice@X.com'], permissions: to('bob@x.com', 'carol@x.com') }), lister, scope, none), { kind: 'skip', reason: SHARED_SKIPS.withOwner });
});

test('an outsider\'s item: the first-sorting selected recipient copies it, every other recipient names them', () => {
  const shared = item({ permissions: [{ type: 'user', email: 'ext@y.org' }, { type: 'domain' }, ...to('Carol@x.com', 'bob@x.com', 'dave@x.com')] });
  assert.deepEqual(sharedFate(shared, 'bob@x.com', scope, none), { kind: 'copy' });
  assert.deepEqual(sharedFate(shared, 'carol@x.com', scope, none), { kind: 'skip', reason: copiedUnder('bob@x.com') });
  // Reached through a group (not named): the named recipient still copies it; nobody named: the lister does.
  assert.deepEqual(sharedFate(shared, 'alice@x.com', scope, none), { kind: 'skip', reason: copiedUnder('bob@x.com') });
  assert.deepEqual(sharedFate(item({ permissions: [{ type: 'group', email: 'team@x.com' }] }), 'carol@x.com', scope, none), { kind: 'copy' });
  assert.deepEqual(sharedFate(item({ permissions: null }), 'carol@x.com', scope, none), { kind: 'copy' });
});

test('shared-drive items and items filed in the user\'s own folders are never taken from shared-with-me', () => {
  assert.deepEqual(sharedFate(item({ driveId: 'sd1' }), 'bob@x.com', scope, none), { kind: 'skip', reason: SHARED_SKIPS.withSharedDrive });
  assert.deepEqual(sharedFate(item({ driveId: 'sd9' }), 'bob@x.com', scope, none), { kind: 'skip', reason: SHARED_SKIPS.sharedDriveNotCopied });
  assert.deepEqual(sharedFate(item({ parents: ['bob-folder'], permissions: to('bob@x.com') }), 'bob@x.com', scope, new Set(['bob-folder'])), { kind: 'skip', reason: SHARED_SKIPS.inMyDrive });
});
