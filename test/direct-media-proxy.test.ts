// The proxy decision for media (proxy-env.ts, used by download.ts): with HTTPS_PROXY / HTTP_PROXY set, media
// goes through the auth client (gaxios, which proxies), unless NO_PROXY exempts the host: then the direct
// reader takes it, and a 401's retry through the auth client is kept off the proxy too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { DirectBody } from '../src/net/direct-body.js';
import { openDownload } from '../src/source/drive/download.js';
import { driveEndpoint } from '../src/source/drive/drive-endpoint.js';
import { bypassesProxy, proxyConfigured } from '../src/net/proxy-env.js';
import { mediaItem, readAll } from './support/media-item.js';
import { rawServer } from './support/raw-server.js';
import { contentRange } from '../src/fake-drive/content.js';

test('proxy env: NO_PROXY is a comma list; * matches all; a domain (bare, .domain or *.domain) matches itself and what is under it; host:port only that port', () => {
  const url = (u: string) => new URL(u);
  const exempt = (noProxy: string, u: string) => bypassesProxy(url(u), { NO_PROXY: noProxy });
  assert.equal(proxyConfigured({}), false);
  assert.equal(proxyConfigured({ HTTP_PROXY: 'http://p:3128' }), true);
  assert.equal(proxyConfigured({ https_proxy: '' }), false);
  assert.equal(exempt('*', 'https://www.googleapis.com/'), true);
  assert.equal(bypassesProxy(null, { NO_PROXY: 'a.com, *' }), true);
  assert.equal(bypassesProxy(null, { NO_PROXY: 'googleapis.com' }), false);
  for (const entry of ['googleapis.com', '.googleapis.com', '*.googleapis.com', 'GoogleAPIs.com']) {
    assert.equal(exempt(entry, 'https://www.googleapis.com/drive'), true, entry);
    assert.equal(exempt(entry, 'https://googleapis.com/'), true, entry);
    assert.equal(exempt(entry, 'https://notgoogleapis.com/'), false, entry);
  }
  assert.equal(exempt('example.com, www.googleapis.com ,other', 'https://www.googleapis.com/'), true);
  assert.equal(exempt('example.com,,other', 'https://www.googleapis.com/'), false);
  assert.equal(exempt('www.googleapis.com:443', 'https://www.googleapis.com/'), true);
  assert.equal(exempt('www.googleapis.com:8443', 'https://www.googleapis.com/'), false);
  assert.equal(exempt('127.0.0.1', 'http://127.0.0.1:9000/'), true);
  assert.equal(exempt('0.0.1', 'http://127.0.0.1:9000/'), false, 'an IP address is not a domain suffix');
  assert.equal(exempt('[::1]:9000', 'http://[::1]:9000/'), true);
  assert.equal(exempt('::1', 'http://[::1]:9000/'), true);
  assert.equal(bypassesProxy(url('https://a.com/'), { no_proxy: 'a.com' }), true, 'no_proxy as well');
  assert.equal(bypassesProxy(url('https://a.com/'), {}), false);
});

const ENV_KEYS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'] as const;

test('download: with a proxy set, a host NO_PROXY exempts is read directly (its 401 retry kept off the proxy); any other goes through the proxy', async (t) => {
  const saved = ENV_KEYS.map((k) => [k, process.env[k]] as const);
  t.after(() => {
    for (const [k, v] of saved) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  });
  // A proxy that counts who came and answers nobody: a request through it fails.
  let proxied = 0;
  const proxy = net.createServer((socket) => {
    proxied++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.after(() => proxy.close());
  const body = contentRange(4, 0, 90_000);
  const asked: string[] = [];
  const drive = await rawServer(t, (socket, request) => {
    const id = /^GET \/drive\/v3\/files\/([\w-]+)/.exec(request)?.[1] ?? '';
    asked.push(id);
    // 'expired' answers its first request 401 (a token revoked early), as Drive would.
    if (id === 'expired' && asked.filter((a) => a === id).length === 1) socket.write('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
    else socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
  });
  const client = driveEndpoint(createDriveAuth({ accessToken: 'proxy-test-token' }), drive.url);
  for (const k of ENV_KEYS) Reflect.deleteProperty(process.env, k);
  process.env.HTTPS_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  for (const noProxy of ['127.0.0.1', 'example.com, 127.0.0.1:' + new URL(drive.url).port, '*']) {
    process.env.NO_PROXY = noProxy;
    const stream = await openDownload(client, mediaItem('f', body.length), { acknowledgeAbuse: false });
    assert.ok(stream instanceof DirectBody, `NO_PROXY=${noProxy}: the direct reader took it`);
    assert.deepEqual(await readAll(stream), body);
  }
  // gaxios alone does not read '*' as every host: the 401's retry through it must not go to the proxy.
  assert.deepEqual(await readAll(await openDownload(client, mediaItem('expired', body.length), { acknowledgeAbuse: false })), body);
  assert.equal(proxied, 0, 'nothing went through the proxy');
  process.env.NO_PROXY = 'example.com';
  await assert.rejects(openDownload(client, mediaItem('f', body.length), { acknowledgeAbuse: false }));
  assert.equal(proxied, 1, 'a host NO_PROXY does not name goes through the proxy');
  assert.deepEqual(asked, ['f', 'f', 'f', 'expired', 'expired']);
});
