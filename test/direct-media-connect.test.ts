// How the direct reader's connections are made: a connect that never completes fails retryably after the
// connect timeout (not after the response's idle timeout), and a new TLS connection resumes the session an
// earlier one to the same origin was given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { DirectBody } from '../src/net/direct-body.js';
import { requestDirect } from '../src/net/direct-request.js';
import { MediaPool } from '../src/net/media-connection.js';
import { NetError } from '../src/net/net-error.js';
import { rawServer } from './support/raw-server.js';
import { TEST_CERT } from './support/tls-fixture.js';
import { within } from './support/within.js';

test('media connection: a server that takes the TCP connection but never answers the TLS handshake fails the request as a retryable timeout', async (t) => {
  const held = new Set<net.Socket>();
  const silent = net.createServer((socket) => held.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    silent.close();
    for (const socket of held) socket.destroy();
  });
  const pool = new MediaPool({ ca: TEST_CERT }, 200);
  t.after(() => pool.close());
  const url = new URL(`https://127.0.0.1:${(silent.address() as AddressInfo).port}/file`);
  // The response's idle timeout is a minute: only the connect timeout can end this within the bound.
  const err = await within(
    requestDirect(pool, url, {}, 60_000).then(
      () => assert.fail('no error'),
      (e: unknown) => e,
    ),
    10_000,
    'the connect timeout fired',
  );
  assert.ok(err instanceof NetError, String(err));
  assert.deepEqual([err.code, err.retryable], ['timeout', true]);
  assert.match(err.message, /could not connect to https:\/\/127\.0\.0\.1:\d+ in 0\.2 s/);
  assert.equal(held.size, 1, 'the TCP connection was made');
});

test('media connection: a new TLS connection to an origin resumes the session an earlier one was given', async (t) => {
  // Connection: close, so that every request needs a connection of its own.
  const srv = await rawServer(t, (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc'), true);
  const pool = new MediaPool({ ca: TEST_CERT });
  t.after(() => pool.close());
  const resumed: boolean[] = [];
  for (let i = 0; i < 3; i++) {
    const { conn, head } = await requestDirect(pool, new URL(srv.url), {}, 5000);
    assert.equal(head.keepAlive, false);
    assert.ok(conn.socket instanceof TLSSocket);
    resumed.push(conn.socket.isSessionReused());
    const body = new DirectBody(conn, 3, 5000, (c) => c.destroy());
    const got = Buffer.alloc(3);
    assert.equal(await body.readInto(got), 3);
    assert.equal(got.toString(), 'abc');
  }
  assert.deepEqual(resumed, [false, true, true]);
  assert.equal(srv.connections(), 3);
});
