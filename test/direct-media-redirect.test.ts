// A redirect on the media path is followed, not a failed file: the direct reader closes it unread (with or
// without a Content-Length), and the auth client's request() (gaxios, which follows redirects) asks again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { openDownload } from '../src/source/drive/download.js';
import { driveEndpoint } from '../src/source/drive/drive-endpoint.js';
import { mediaItem, readAll } from './support/media-item.js';
import { rawServer } from './support/raw-server.js';
import { contentRange } from '../src/fake-drive/content.js';

test('download: a 302 from the media URL is followed to another loopback server\'s path (framed by Content-Length or by the close)', async (t) => {
  const body = contentRange(9, 0, 150_000);
  // Where the bytes are: another server, as Drive's redirects go to another host.
  const served: string[] = [];
  const content = http.createServer((req, res) => {
    served.push(req.url ?? '');
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((resolve) => content.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    content.close();
    // The auth client's keep-alive connections would hold the server, and the test, open.
    content.closeAllConnections();
  });
  const contentUrl = `http://127.0.0.1:${(content.address() as AddressInfo).port}`;
  const asked: string[] = [];
  const drive = await rawServer(t, (socket, request) => {
    const id = /^GET \/drive\/v3\/files\/([\w-]+)/.exec(request)?.[1] ?? '';
    asked.push(id);
    const location = `Location: ${contentUrl}/media/${id}\r\n`;
    // With a length the direct reader could read (and pool the connection); without, the body runs to the close.
    if (id === 'moved') socket.write(`HTTP/1.1 302 Found\r\n${location}Content-Length: 9\r\n\r\nredirect!`);
    else socket.end(`HTTP/1.1 302 Found\r\n${location}Connection: close\r\n\r\nredirect to ${contentUrl}`);
  });
  const client = driveEndpoint(createDriveAuth({ accessToken: 'redirect-test-token' }), drive.url);
  for (const id of ['moved', 'moved-close']) {
    const got = await readAll(await openDownload(client, mediaItem(id, body.length), { acknowledgeAbuse: false }));
    assert.deepEqual(got, body, id);
  }
  assert.deepEqual(served, ['/media/moved', '/media/moved-close']);
  // The direct GET, then the auth client's, which followed the redirect; node:http was not asked in between.
  assert.deepEqual(asked, ['moved', 'moved', 'moved-close', 'moved-close']);
});
