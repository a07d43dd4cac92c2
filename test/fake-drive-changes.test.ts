// The fake Drive's change log through the real @googleapis/drive client (issue 22): tokens, coalescing,
// removed and trashed entries, shared-drive filtering, pagination and refused tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { drive_v3 } from '@googleapis/drive';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { createDriveClient } from '../src/source/drive/drive-client.js';
import { classifyDriveError } from '../src/source/drive/retry.js';
import { FOLDER_MIME, startFakeDrive } from '../src/fake-drive/index.js';

const TOKEN = 'changes-test-token';
const BIN = 'application/octet-stream';

async function allChanges(drive: drive_v3.Drive, pageToken: string, extra: drive_v3.Params$Resource$Changes$List = {}): Promise<{ changes: drive_v3.Schema$Change[]; pages: number; next: string }> {
  const changes: drive_v3.Schema$Change[] = [];
  let token: string | undefined = pageToken;
  let pages = 0;
  for (;;) {
    const res: { data: drive_v3.Schema$ChangeList } = await drive.changes.list({ pageToken: token, includeRemoved: true, fields: '*', ...extra });
    pages++;
    changes.push(...(res.data.changes ?? []));
    if (res.data.nextPageToken) {
      assert.equal(res.data.newStartPageToken, undefined, 'a page with nextPageToken has no newStartPageToken');
      token = res.data.nextPageToken;
      continue;
    }
    assert.ok(res.data.newStartPageToken, 'the last page carries newStartPageToken');
    return { changes, pages, next: res.data.newStartPageToken };
  }
}

test('fake drive changes: coalesced per file, removed and trashed entries, moves, pagination, new start token', async (t) => {
  const fake = await startFakeDrive({
    token: TOKEN,
    sharedDrives: [{ id: 'sd1', name: 'Team' }],
    nodes: [
      { id: 'dir', name: 'dir', parents: ['root'], mimeType: FOLDER_MIME },
      { id: 'a', name: 'a.bin', parents: ['dir'], mimeType: BIN, size: 10 },
      { id: 'b', name: 'b.bin', parents: ['dir'], mimeType: BIN, size: 10 },
      { id: 'c', name: 'c.bin', parents: ['dir'], mimeType: BIN, size: 10 },
      { id: 'team-file', name: 't.bin', parents: ['sd1'], mimeType: BIN, size: 5 },
    ],
  });
  t.after(() => fake.close());
  const { drive } = createDriveClient({ auth: createDriveAuth({ accessToken: TOKEN }), rootUrl: fake.rootUrl });

  const start = (await drive.changes.getStartPageToken({})).data.startPageToken ?? '';
  assert.match(start, /^\d+$/);
  const idle = await allChanges(drive, start);
  assert.deepEqual(idle.changes, []);
  assert.equal(idle.next, start, 'no change: the same token comes back');

  fake.updateFile('a', { size: 20 });
  fake.updateFile('a', { name: 'a2.bin' });
  fake.updateFile('b', { trashed: true });
  fake.removeNode('c');
  fake.moveNode('a', ['root']);
  fake.addNodes([{ id: 'd', name: 'd.bin', parents: ['dir'], mimeType: BIN, size: 3 }]);
  fake.updateFile('team-file', { size: 6 });

  const seen = await allChanges(drive, start);
  assert.deepEqual(seen.changes.map((c) => c.fileId), ['b', 'c', 'a', 'd'], 'one entry per file, in the order of its latest change; shared drive left out');
  const byId = new Map(seen.changes.map((c) => [c.fileId, c]));
  assert.equal(byId.get('a')?.file?.name, 'a2.bin');
  assert.deepEqual(byId.get('a')?.file?.parents, ['root']);
  assert.equal(byId.get('a')?.file?.size, '20');
  assert.equal(byId.get('b')?.removed, false);
  assert.equal(byId.get('b')?.file?.trashed, true);
  assert.equal(byId.get('c')?.removed, true);
  assert.equal(byId.get('c')?.file, undefined);
  assert.equal(byId.get('d')?.changeType, 'file');

  const withoutRemoved = await allChanges(drive, start, { includeRemoved: false });
  assert.deepEqual(withoutRemoved.changes.map((c) => c.fileId), ['b', 'a', 'd']);

  const paged = await allChanges(drive, start, { pageSize: 1 });
  assert.equal(paged.pages, 4);
  assert.deepEqual(paged.changes.map((c) => c.fileId), ['b', 'c', 'a', 'd']);
  assert.equal(paged.next, seen.next);

  const team = await allChanges(drive, start, { driveId: 'sd1', supportsAllDrives: true, includeItemsFromAllDrives: true });
  assert.deepEqual(team.changes.map((c) => [c.fileId, c.driveId]), [['team-file', 'sd1']]);
  const everything = await allChanges(drive, start, { supportsAllDrives: true, includeItemsFromAllDrives: true });
  assert.equal(everything.changes.length, 5);

  const after = await allChanges(drive, seen.next);
  assert.deepEqual(after.changes, [], 'nothing after the new start token');
  fake.updateFile('d', { size: 4 });
  assert.deepEqual((await allChanges(drive, seen.next)).changes.map((c) => c.fileId), ['d']);
});

test('fake drive changes: a malformed, future or expired token is refused with 400 Invalid Value', async (t) => {
  const fake = await startFakeDrive({ token: TOKEN, nodes: [{ id: 'x', name: 'x.bin', parents: ['root'], mimeType: BIN, size: 1 }] });
  t.after(() => fake.close());
  const { drive } = createDriveClient({ auth: createDriveAuth({ accessToken: TOKEN }), rootUrl: fake.rootUrl });
  const start = (await drive.changes.getStartPageToken({ supportsAllDrives: true })).data.startPageToken ?? '';
  fake.updateFile('x', { size: 2 });
  for (const bad of ['not-a-token', '999999', '0']) {
    await assert.rejects(drive.changes.list({ pageToken: bad }), (err: unknown) => {
      const e = classifyDriveError(err);
      assert.equal(e.status, 400, bad);
      assert.match(e.message, /Invalid Value/);
      return true;
    });
  }
  assert.equal((await drive.changes.list({ pageToken: start })).data.changes?.length, 1);
  fake.expireChangeTokens();
  await assert.rejects(drive.changes.list({ pageToken: start }), (err: unknown) => classifyDriveError(err).status === 400);
  const fresh = (await drive.changes.getStartPageToken({})).data.startPageToken ?? '';
  assert.deepEqual((await drive.changes.list({ pageToken: fresh })).data.changes, []);
  assert.ok(fake.changeRequests >= 8);
});
