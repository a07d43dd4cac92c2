import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { createDriveClient } from '../src/source/drive/drive-client.js';
import type { DriveItem, DriveSkip, ListedEntry } from '../src/source/drive/drive-item.js';
import { listDrive, resolveRoot } from '../src/source/drive/lister.js';
import type { ListDriveOptions } from '../src/source/drive/lister.js';
import { ServiceSignals } from '../src/ipc/service-signals.js';
import type { OutageView } from '../src/ipc/service-signals.js';
import { createPacer } from '../src/source/drive/pacer.js';
import { PreflightError } from '../src/errors.js';
import { FOLDER_MIME, SHORTCUT_MIME, startFakeDrive } from '../src/fake-drive/index.js';
import type { FakeDrive, FakeDriveOptions, FakeNodeSpec } from '../src/fake-drive/index.js';
import { silentLogger } from '../src/observability/logger.js';

const TOKEN = 'lister-test-token-abcdef';

async function withFake(t: { after(fn: () => Promise<void>): void }, options: FakeDriveOptions): Promise<FakeDrive> {
  const fake = await startFakeDrive({ token: TOKEN, ...options });
  t.after(() => fake.close());
  return fake;
}

function client(fake: FakeDrive): ReturnType<typeof createDriveClient> {
  return createDriveClient({ auth: createDriveAuth({ accessToken: TOKEN }), rootUrl: fake.rootUrl });
}

async function collect(fake: FakeDrive, extra: Partial<ListDriveOptions> = {}): Promise<{ files: DriveItem[]; skips: DriveSkip[]; pages: number }> {
  const files: DriveItem[] = [];
  const skips: DriveSkip[] = [];
  let pages = 0;
  const entries: AsyncGenerator<ListedEntry> = listDrive({
    drive: client(fake).drive,
    rootFolderId: 'top',
    exportFormats: ['docx', 'xlsx', 'pdf'],
    shortcuts: 'skip',
    acknowledgeAbuse: false,
    prefix: 'pre',
    pacer: createPacer({ tps: Number.POSITIVE_INFINITY }),
    log: silentLogger(),
    onPage: () => pages++,
    retry: { baseMs: 1 },
    ...extra,
  });
  for await (const entry of entries) {
    if (entry.kind === 'file') files.push(entry.item);
    else skips.push(entry.skip);
  }
  return { files, skips, pages };
}

const top: FakeNodeSpec = { id: 'top', name: 'Migrated Folder', parents: ['root'], mimeType: FOLDER_MIME };
const folder = (id: string, name: string, parent: string): FakeNodeSpec => ({ id, name, parents: [parent], mimeType: FOLDER_MIME });
const file = (id: string, name: string, parent: string, extra: Partial<FakeNodeSpec> = {}): FakeNodeSpec => ({
  id,
  name,
  parents: [parent],
  mimeType: 'application/octet-stream',
  content: `content of ${id}`,
  ...extra,
});

test('lister: 2,500 files in one folder come in pages of 1000, all with keys under the prefix', async (t) => {
  const many = Array.from({ length: 2500 }, (_, i) => file(`m${String(i).padStart(4, '0')}`, `file ${i}.bin`, 'top', { content: undefined, size: 10, md5: 'none' }));
  const fake = await withFake(t, { nodes: [top, ...many] });
  const { files, skips, pages } = await collect(fake);
  assert.equal(files.length, 2500);
  assert.equal(skips.length, 0);
  assert.equal(pages, 3);
  assert.equal(fake.stats.listRequests, 3);
  assert.equal(new Set(files.map((f) => f.key)).size, 2500);
  const one = files.find((f) => f.id === 'm0042');
  assert.equal(one?.key, 'pre/file 42.bin');
  assert.equal(one?.size, 10);
  assert.equal(one?.md5, null);
  assert.equal(fake.stats.apiKeyRequests, 0);
});

test('lister: recursion, trashed excluded, hostile names, exports, skips with reasons', async (t) => {
  const nodes: FakeNodeSpec[] = [
    top,
    folder('d1', 'Sub/Dir', 'top'),
    folder('d2', '..', 'd1'),
    file('f1', 'a/b', 'd2'),
    file('f2', '.', 'top'),
    file('f3', '', 'top'),
    file('f4', 'tab\there', 'top'),
    file('f5', `${'n'.repeat(1100)}.txt`, 'top'),
    file('f6', 'emoji 🎉 Ünïcødé.txt', 'top'),
    file('f7', 'empty.bin', 'top', { content: '' }),
    file('f8', 'no-md5.bin', 'top', { md5: 'none' }),
    file('trash', 'deleted.bin', 'top', { trashed: true }),
    folder('trashdir', 'Trashed dir', 'top'),
    file('under-trash', 'x', 'trashdir'),
    file('locked', 'locked.bin', 'top', { canDownload: false }),
    { id: 'doc', name: 'Report', parents: ['top'], mimeType: 'application/vnd.google-apps.document' },
    { id: 'sheet', name: 'Budget', parents: ['d1'], mimeType: 'application/vnd.google-apps.spreadsheet' },
    { id: 'drawing', name: 'Sketch', parents: ['top'], mimeType: 'application/vnd.google-apps.drawing' },
    { id: 'form', name: 'Survey', parents: ['top'], mimeType: 'application/vnd.google-apps.form' },
    { id: 'outside', name: 'outside.bin', parents: ['root'], mimeType: 'text/plain', content: 'not migrated' },
  ];
  const fake = await withFake(t, { nodes });
  fake.updateFile('trashdir', { trashed: true });
  const { files, skips } = await collect(fake);
  const keyOf = (id: string): string | undefined => files.find((f) => f.id === id)?.key;
  assert.equal(keyOf('f1'), 'pre/Sub\u2215Dir/\uFF0E\uFF0E/a\u2215b');
  assert.equal(keyOf('f2'), 'pre/\uFF0E');
  assert.equal(keyOf('f3'), 'pre/_');
  assert.equal(keyOf('f4'), 'pre/tab\u2409here');
  const long = keyOf('f5') ?? '';
  assert.ok(Buffer.byteLength(long) <= 1024 && long.endsWith('.txt'));
  assert.equal(keyOf('f6'), 'pre/emoji 🎉 Ünïcødé.txt');
  assert.equal(files.find((f) => f.id === 'f7')?.size, 0);
  assert.equal(files.find((f) => f.id === 'f8')?.md5, null);
  assert.equal(files.find((f) => f.id === 'f1')?.path, 'Sub/Dir/../a/b');
  for (const id of ['trash', 'under-trash', 'outside']) assert.equal(keyOf(id), undefined, id);

  const doc = files.find((f) => f.id === 'doc');
  assert.equal(doc?.key, 'pre/Report.docx');
  assert.equal(doc?.size, null);
  assert.equal(doc?.download.kind, 'export');
  assert.equal(doc?.contentType, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  assert.equal(keyOf('sheet'), 'pre/Sub\u2215Dir/Budget.xlsx');
  // Drawings offer svg/png/jpeg/pdf: the first configured one present is pdf.
  assert.equal(keyOf('drawing'), 'pre/Sketch.pdf');

  const reasons = Object.fromEntries(skips.map((s) => [s.id, s.reason]));
  assert.deepEqual(reasons, { locked: 'cannot-download', form: 'not-exportable' });
  assert.equal(skips.find((s) => s.id === 'form')?.path, 'Survey');
  // Drawings with only svg configured, docs then have no format.
  const svgOnly = await collect(fake, { exportFormats: ['svg'] });
  assert.equal(svgOnly.files.find((f) => f.id === 'drawing')?.key, 'pre/Sketch.svg');
  assert.equal(svgOnly.skips.find((s) => s.id === 'doc')?.reason, 'no-export-format');
});

test('lister: duplicate names get stable distinct keys whatever the listing order', async (t) => {
  const nodes: FakeNodeSpec[] = [
    top,
    file('dupB', 'notes.txt', 'top'),
    file('dupA', 'notes.txt', 'top'),
    file('case', 'NOTES.txt', 'top'),
    file('slash', 'a/b', 'top'),
    file('lookalike', 'a\u2215b', 'top'),
    folder('dirA', 'same', 'top'),
    folder('dirB', 'same', 'top'),
    file('inA', 'x', 'dirA'),
    file('inB', 'x', 'dirB'),
    ...Array.from({ length: 30 }, (_, i) => file(`pad${i}`, `pad ${String(i).padStart(2, '0')}`, 'top')),
  ];
  const keys = async (listOrder: 'insertion' | 'reverse'): Promise<Map<string, string>> => {
    const fake = await withFake(t, { nodes, listOrder });
    // Small pages so that a duplicate pair can straddle a page boundary.
    const { files } = await collect(fake, { pageSize: 7 });
    return new Map(files.map((f) => [f.id, f.key]));
  };
  const a = await keys('insertion');
  const b = await keys('reverse');
  assert.deepEqual(a, b);
  assert.equal(a.get('dupA'), 'pre/notes (dupA).txt');
  assert.equal(a.get('dupB'), 'pre/notes (dupB).txt');
  assert.equal(a.get('case'), 'pre/NOTES.txt');
  assert.equal(a.get('inA'), 'pre/same (dirA)/x');
  assert.equal(a.get('inB'), 'pre/same (dirB)/x');
  assert.equal(new Set(a.values()).size, a.size);
});

test('lister: shortcuts are skipped, or followed without looping', async (t) => {
  const nodes: FakeNodeSpec[] = [
    top,
    folder('sub', 'sub', 'top'),
    file('target', 'target.bin', 'elsewhere'),
    folder('elsewhere', 'Elsewhere', 'root'),
    folder('ext', 'External', 'root'),
    file('ext-file', 'inside.txt', 'ext'),
    { id: 'sc-file', name: 'link to target', parents: ['top'], mimeType: SHORTCUT_MIME, shortcutTargetId: 'target' },
    { id: 'sc-loop', name: 'back to top', parents: ['sub'], mimeType: SHORTCUT_MIME, shortcutTargetId: 'top' },
    { id: 'sc-dir', name: 'ext link', parents: ['sub'], mimeType: SHORTCUT_MIME, shortcutTargetId: 'ext' },
    { id: 'sc-gone', name: 'dangling', parents: ['top'], mimeType: SHORTCUT_MIME, shortcutTargetId: 'missing' },
  ];
  const fake = await withFake(t, { nodes });
  const skipped = await collect(fake);
  assert.equal(skipped.files.length, 0);
  assert.deepEqual(skipped.skips.map((s) => [s.id, s.reason]).sort(), [
    ['sc-dir', 'shortcut'],
    ['sc-file', 'shortcut'],
    ['sc-gone', 'shortcut'],
    ['sc-loop', 'shortcut'],
  ]);

  const followed = await collect(fake, { shortcuts: 'follow' });
  const byId = new Map(followed.files.map((f) => [f.id, f]));
  assert.equal(byId.get('target')?.key, 'pre/link to target');
  assert.equal(byId.get('target')?.size, fake.sizeOf('target'));
  assert.equal(byId.get('ext-file')?.key, 'pre/sub/ext link/inside.txt');
  assert.deepEqual(followed.skips.map((s) => [s.id, s.reason]).sort(), [
    ['sc-gone', 'shortcut-target-missing'],
    ['sc-loop', 'shortcut-loop'],
  ]);
});

test('lister: shared drive listing and preflight errors name the setting', async (t) => {
  const fake = await withFake(t, {
    sharedDrives: [{ id: 'sd1', name: 'Team' }],
    nodes: [top, folder('sdir', 'Projects', 'sd1'), file('sfile', 'plan.txt', 'sdir'), file('mine', 'mine.txt', 'top')],
  });
  const { drive } = client(fake);
  const shared = await collect(fake, { rootFolderId: undefined, sharedDriveId: 'sd1' });
  assert.deepEqual(shared.files.map((f) => f.key), ['pre/Projects/plan.txt']);

  assert.deepEqual(await resolveRoot({ drive, sharedDriveId: 'sd1' }), { id: 'sd1', name: 'Team', kind: 'shared-drive' });
  assert.deepEqual(await resolveRoot({ drive, rootFolderId: 'top' }), { id: 'top', name: 'Migrated Folder', kind: 'folder' });
  await assert.rejects(resolveRoot({ drive, rootFolderId: 'nope' }), (err: unknown) => {
    assert.ok(err instanceof PreflightError);
    assert.match(err.message, /^--drive-folder-id nope: not found/);
    return true;
  });
  await assert.rejects(resolveRoot({ drive, sharedDriveId: 'sd-missing' }), /^PreflightError: --shared-drive-id sd-missing: not found/);
  await assert.rejects(resolveRoot({ drive, rootFolderId: 'mine' }), /is not a folder/);
  await assert.rejects(resolveRoot({ drive, rootFolderId: 'top', sharedDriveId: 'sd1' }), /is not in shared drive/);
  const wrongToken = createDriveClient({ auth: createDriveAuth({ accessToken: 'wrong-token-xyz' }), rootUrl: fake.rootUrl });
  await assert.rejects(resolveRoot({ drive: wrongToken.drive, rootFolderId: 'top' }), /rejected the credentials/);
});

test('lister: list requests that hit 429 and 500 are retried through the pacer', async (t) => {
  const fake = await withFake(t, { nodes: [top, file('a', 'a.txt', 'top')] });
  fake.addFault({ route: 'list', fileId: 'top', times: 1, fault: { type: 'status', status: 429, retryAfter: '0' } });
  fake.addFault({ route: 'list', fileId: 'top', skip: 1, times: 1, fault: { type: 'status', status: 500 } });
  const retries: string[] = [];
  const { files } = await collect(fake, { retry: { baseMs: 1, onRetry: (i) => retries.push(i.error.code) } });
  assert.deepEqual(files.map((f) => f.id), ['a']);
  assert.deepEqual(retries, ['rate-limited', 'server-error']);
  assert.equal(fake.stats.listRequests, 3);
});

test('listing: Drive unreachable with no retries left waits for the outage watch and continues on the same folder', async (t) => {
  const fake = await withFake(t, { nodes: [top, folder('a', 'A', 'top'), file('a1', 'one.bin', 'a'), file('a2', 'two.bin', 'a'), file('t1', 'top.bin', 'top')] });
  fake.addFault({ route: 'list', fileId: 'a', times: 3, fault: { type: 'status', status: 503 } });
  // Without the watch, the first 503 (no retries allowed) ends the listing.
  await assert.rejects(collect(fake, { retry: { maxRetries: 0, baseMs: 1 } }), /503/);
  fake.clearFaults();
  fake.addFault({ route: 'list', fileId: 'a', times: 3, fault: { type: 'status', status: 503 } });
  const signals = new ServiceSignals();
  const reports: string[] = [];
  const outage: OutageView = {
    // The probe finds Drive down, and it answers again on the next turn.
    unreachable: (service) => {
      reports.push(service);
      signals.set(service, true);
      setImmediate(() => signals.set(service, false));
      return Promise.resolve(true);
    },
    downSignal: (service) => signals.downSignal(service),
    whenUp: (service, signal) => signals.whenUp(service, signal),
  };
  const { files } = await collect(fake, { retry: { maxRetries: 0, baseMs: 1 }, outage });
  assert.deepEqual(files.map((f) => f.id).sort(), ['a1', 'a2', 't1']);
  assert.deepEqual(reports, ['drive', 'drive', 'drive'], 'each refused request asked the watch');
});
