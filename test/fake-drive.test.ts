import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { contentMd5, contentRange } from '../src/fake-drive/content.js';
import { FOLDER_MIME, makeDemoTree, startFakeDrive } from '../src/fake-drive/index.js';

const TOKEN = 'fake-drive-test-token-123';
const GiB = 1024 * 1024 * 1024;

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

test('content: deterministic, seekable, and its md5 is the md5 of the bytes', async () => {
  const whole = contentRange(7, 0, 300_000);
  assert.deepEqual(contentRange(7, 123_456, 200_001), whole.subarray(123_456, 200_001));
  assert.deepEqual(contentRange(7, 0, 300_000), whole);
  assert.notDeepEqual(contentRange(8, 0, 1000), whole.subarray(0, 1000));
  // Two 64 KiB blocks of one file differ.
  assert.notDeepEqual(whole.subarray(0, 65_536), whole.subarray(65_536, 131_072));
  assert.equal(await contentMd5(7, 300_000), createHash('md5').update(whole).digest('hex'));
});

test('fake drive: auth, Drive-shaped 404, metadata, GB-sized Range reads without materialising the file', async (t) => {
  const fake = await startFakeDrive({
    token: TOKEN,
    nodes: [
      { id: 'big', name: 'big.bin', parents: ['root'], mimeType: 'application/octet-stream', size: 5 * GiB, md5: 'none' },
      { id: 'small', name: 'small.txt', parents: ['root'], mimeType: 'text/plain', content: 'hello world' },
    ],
  });
  t.after(() => fake.close());
  const auth = { Authorization: `Bearer ${TOKEN}` };

  const unauth = await fetch(`${fake.url}/drive/v3/files/small`);
  assert.equal(unauth.status, 401);
  await unauth.arrayBuffer();
  assert.equal(fake.stats.unauthorized, 1);

  const missing = await fetch(`${fake.url}/drive/v3/files/nope`, { headers: auth });
  assert.equal(missing.status, 404);
  const err = (await json(missing)).error as { code: number; errors: { reason: string }[] };
  assert.equal(err.code, 404);
  assert.equal(err.errors[0]?.reason, 'notFound');

  const meta = await json(await fetch(`${fake.url}/drive/v3/files/small`, { headers: auth }));
  assert.equal(meta.size, '11');
  assert.equal(meta.md5Checksum, createHash('md5').update('hello world').digest('hex'));
  const bigMeta = await json(await fetch(`${fake.url}/drive/v3/files/big`, { headers: auth }));
  assert.equal(bigMeta.size, String(5 * GiB));
  assert.equal(bigMeta.md5Checksum, undefined);

  const start = 3 * GiB + 12_345;
  const res = await fetch(`${fake.url}/drive/v3/files/big?alt=media`, { headers: { ...auth, Range: `bytes=${start}-${start + 99_999}` } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), `bytes ${start}-${start + 99_999}/${5 * GiB}`);
  const body = Buffer.from(await res.arrayBuffer());
  assert.deepEqual(body, fake.contentOf('big', start, start + 100_000));
  assert.equal(fake.stats.bytesByFile.get('big'), 100_000);

  const bad = await fetch(`${fake.url}/drive/v3/files/small?alt=media`, { headers: { ...auth, Range: 'bytes=50-' } });
  assert.equal(bad.status, 416);
  await bad.arrayBuffer();
});

test('fake drive: list q, pagination, trashed filter, exports served chunked, faults on request numbers', async (t) => {
  const nodes = [
    { id: 'dir', name: 'dir', parents: ['root'], mimeType: FOLDER_MIME },
    ...Array.from({ length: 25 }, (_, i) => ({ id: `f${i}`, name: `f${i}`, parents: ['dir'], mimeType: 'text/plain', content: `file ${i}` })),
    { id: 'gone', name: 'gone', parents: ['dir'], mimeType: 'text/plain', content: 'x', trashed: true },
    { id: 'doc', name: 'Doc', parents: ['root'], mimeType: 'application/vnd.google-apps.document', exportSize: 100_000 },
    { id: 'form', name: 'Form', parents: ['root'], mimeType: 'application/vnd.google-apps.form' },
  ];
  const fake = await startFakeDrive({ nodes });
  t.after(() => fake.close());
  const list = async (params: string): Promise<Record<string, unknown>> =>
    json(await fetch(`${fake.url}/drive/v3/files?${params}`));
  const q = encodeURIComponent("'dir' in parents and trashed = false");
  const ids: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await list(`q=${q}&pageSize=10${token ? `&pageToken=${token}` : ''}`);
    const files = page.files as { id: string }[];
    assert.ok(files.length <= 10);
    ids.push(...files.map((f) => f.id));
    token = page.nextPageToken as string | undefined;
    pages++;
  } while (token);
  assert.equal(pages, 3);
  assert.equal(ids.length, 25);
  assert.ok(!ids.includes('gone'));
  const withTrash = await list(`q=${encodeURIComponent("'dir' in parents")}&pageSize=1000`);
  assert.equal((withTrash.files as unknown[]).length, 26);
  const badQuery = await fetch(`${fake.url}/drive/v3/files?q=${encodeURIComponent('fullText contains 1')}`);
  assert.equal(badQuery.status, 400);
  await badQuery.arrayBuffer();

  const doc = await json(await fetch(`${fake.url}/drive/v3/files/doc`));
  const links = doc.exportLinks as Record<string, string>;
  const pdf = links['application/pdf'];
  assert.ok(pdf !== undefined);
  const form = await json(await fetch(`${fake.url}/drive/v3/files/form`));
  assert.equal(form.exportLinks, undefined);
  const exp = await fetch(pdf);
  assert.equal(exp.status, 200);
  assert.equal(exp.headers.get('content-length'), null);
  assert.equal(exp.headers.get('transfer-encoding'), 'chunked');
  assert.deepEqual(Buffer.from(await exp.arrayBuffer()), fake.exportContentOf('doc', 'application/pdf'));

  // Second and third media requests for f1 fail with 503, the first and fourth succeed.
  fake.addFault({ route: 'media', fileId: 'f1', skip: 1, times: 2, fault: { type: 'status', status: 503 } });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await fetch(`${fake.url}/drive/v3/files/f1?alt=media`);
    statuses.push(r.status);
    await r.arrayBuffer();
  }
  assert.deepEqual(statuses, [200, 503, 503, 200]);
  fake.clearFaults();

  fake.updateFile('f2', { content: 'changed content' });
  const changed = await json(await fetch(`${fake.url}/drive/v3/files/f2`));
  assert.equal(changed.md5Checksum, createHash('md5').update('changed content').digest('hex'));
  assert.notEqual(changed.modifiedTime, '2024-01-01T00:00:00.000Z');
});

test('makeDemoTree: a few hundred files, large ones, an export and duplicates', () => {
  const demo = makeDemoTree({ largeSize: 1024 });
  const files = demo.nodes.filter((n) => n.mimeType !== FOLDER_MIME);
  assert.ok(files.length >= 300, `got ${files.length}`);
  assert.ok(demo.nodes.some((n) => n.mimeType === 'application/vnd.google-apps.document'));
  assert.equal(demo.nodes.filter((n) => n.name === 'notes.txt' && n.parents[0] === demo.rootFolderId).length, 2);
  assert.deepEqual(makeDemoTree({ largeSize: 1024 }), demo);
  assert.ok(demo.totalBytes > 0);
});
