// The direct media path (drive/direct-*.ts, media-connection.ts, http-head.ts) against servers that send
// exactly the bytes each case needs: raw TCP for the framings and failures node:http would smooth over, TLS
// with a certificate of the test's own, and node:http for the fallback requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { DirectBody } from '../src/net/direct-body.js';
import { requestMediaDirect } from '../src/source/drive/direct-media.js';
import { requestDirect } from '../src/net/direct-request.js';
import { driveEndpoint } from '../src/source/drive/drive-endpoint.js';
import { HttpProtocolError, parseHead, plainBodyLength } from '../src/net/http-head.js';
import { MediaPool } from '../src/net/media-connection.js';
import { MediaHttpError } from '../src/source/drive/media-request.js';
import { NetError } from '../src/net/net-error.js';
import { rawServer, trickle } from './support/raw-server.js';
import { contentRange } from '../src/fake-drive/content.js';
import { TEST_CERT } from './support/tls-fixture.js';
import { within } from './support/within.js';

const TOKEN = 'direct-media-test-token';

/** Read a DirectBody with readInto into targets of the given sizes, checking every onBytes region lands in order. */
async function readAllInto(body: DirectBody, sizes: number[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for (let i = 0; body.remaining > 0; i++) {
    const target = Buffer.alloc(sizes[i % sizes.length] as number);
    let seen = 0;
    const n = await body.readInto(target, (view) => {
      assert.equal(view.byteOffset - target.byteOffset, seen, 'regions arrive in order, each where the last ended');
      seen += view.length;
    });
    assert.equal(seen, n, 'onBytes saw every byte written');
    out.push(target.subarray(0, n));
    // Not a wait: a pause between reads lets bytes queue on the connection (the path a read after a pause takes).
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.equal(await body.readInto(Buffer.alloc(10)), 0, 'nothing after the end');
  return Buffer.concat(out);
}

test('http head: status, lower-case fields, repeated fields joined, keep-alive by version and Connection; only Content-Length framing is plain', () => {
  const parse = (text: string) => parseHead(Buffer.from(text), Buffer.byteLength(text));
  const head = parse('HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nX-A: 1\r\nx-a: 2\r\n\r\n');
  assert.equal(head.status, 206);
  assert.deepEqual(head.headers, { 'content-length': '10', 'x-a': '1, 2' });
  assert.equal(head.keepAlive, true);
  assert.equal(plainBodyLength(head), 10);
  assert.equal(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n').keepAlive, false);
  assert.equal(parse('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n').keepAlive, false);
  assert.equal(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n').keepAlive, true);
  assert.equal(plainBodyLength(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')), null);
  assert.equal(plainBodyLength(parse('HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\n')), null);
  assert.equal(plainBodyLength(parse('HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n')), null);
  assert.throws(() => parse('HTTP/2 200\r\n\r\n'), HttpProtocolError);
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n'), HttpProtocolError);
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nno colon\r\n\r\n'), HttpProtocolError);
});

test('direct body: a Content-Length body in many reads lands in the caller\'s buffers, in order, and the connection serves the next request', async (t) => {
  const body = contentRange(7, 0, 300_000);
  const srv = await rawServer(t, (socket, request) => {
    assert.match(request, /^GET \/file\?x=1 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\nauthorization: Bearer t\r\nAccept-Encoding: identity/);
    // The head and the first body bytes in one write, the rest in uneven pieces.
    trickle(socket, [Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body.subarray(0, 1000)]), body.subarray(1000, 70_000), body.subarray(70_000, 70_001), body.subarray(70_001)]);
  });
  const pool = new MediaPool();
  t.after(() => pool.close());
  for (const sizes of [[5000, 100_000, 7], [300_000]]) {
    const { conn, head } = await requestDirect(pool, new URL('file?x=1', srv.url), { authorization: 'Bearer t' }, 5000);
    assert.equal(head.status, 200);
    const reader = new DirectBody(conn, body.length, 5000, (c) => pool.give(c));
    assert.deepEqual(await readAllInto(reader, sizes), body);
  }
  assert.equal(srv.requests(), 2);
  assert.equal(srv.connections(), 1, 'the second request reused the first connection');
});

test('direct body: a connection closed mid-body, a stall and an overlong body fail retryably, and such a connection is never reused', async (t) => {
  const body = contentRange(7, 0, 100_000);
  const srv = await rawServer(t, (socket, _request, n) => {
    const head = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`;
    if (n === 1) trickle(socket, [head, body.subarray(0, 40_000)], () => socket.end());
    else if (n === 2) trickle(socket, [head, body.subarray(0, 10)]); // then nothing
    // More bytes than announced, in the same read as the head: the body cannot be trusted.
    else socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n`), body.subarray(0, 1000), Buffer.from('EXTRA')]));
  });
  const pool = new MediaPool();
  t.after(() => pool.close());
  const attempt = async (idleMs: number, length = body.length): Promise<NetError> => {
    const { conn } = await requestDirect(pool, new URL(srv.url), {}, idleMs);
    const reader = new DirectBody(conn, length, idleMs, (c) => pool.give(c));
    // Bounded: without the guard under test the reader waits for bytes that never come.
    const read = reader.readInto(Buffer.alloc(length)).then(() => reader.readInto(Buffer.alloc(10)));
    const err = await within(read, idleMs + 5000, 'the reader failed').then(
      () => assert.fail('no error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NetError, String(err));
    return err;
  };
  const closed = await attempt(5000);
  assert.deepEqual([closed.code, closed.retryable], ['connection-reset', true]);
  assert.match(closed.message, /closed after 40000 of 100000 bytes/);
  const stalled = await attempt(300);
  assert.deepEqual([stalled.code, stalled.retryable], ['timeout', true]);
  const overlong = await attempt(5000, 1000);
  assert.deepEqual([overlong.code, overlong.retryable], ['connection-reset', true]);
  assert.match(overlong.message, /longer than its Content-Length/);
  assert.equal(srv.connections(), 3, 'each failure closed its connection');
});

test('direct body: a connection that ends between a response\'s head and its body\'s reader attaching fails that reader at once, unless the whole body came first', async (t) => {
  const body = contentRange(7, 0, 100_000);
  // The head, a partial body (then the whole body) and the close in one go. Over TLS the client decrypts all
  // of it from one socket read, so the connection sees its end while paused after the head (over TCP a paused
  // socket would not see the end until it reads again, with a reader attached).
  const srv = await rawServer(t, (socket, _request, n) => socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${n === 1 ? body.length : 5000}\r\n\r\n`), body.subarray(0, 5000)])), true);
  const pool = new MediaPool({ ca: TEST_CERT });
  t.after(() => pool.close());
  const closedBeforeReader = async (length: number): Promise<DirectBody> => {
    const { conn } = await requestDirect(pool, new URL(srv.url), {}, 60_000);
    if (!conn.socket.destroyed) await within(once(conn.socket, 'close'), 5000, 'the connection saw its end before a body reader attached');
    return new DirectBody(conn, length, 60_000, (c) => pool.give(c));
  };
  const late = await closedBeforeReader(body.length);
  const err = await within(late.readInto(Buffer.alloc(body.length)), 5000, 'the late reader was told of the end').then(
    () => assert.fail('no error'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof NetError && err.code === 'connection-reset', String(err));
  assert.match(err.message, /closed after 5000 of 100000 bytes/);
  // Every byte queued before the end: the close takes nothing from the body, read in pieces off the queue.
  const whole = await closedBeforeReader(5000);
  assert.deepEqual(await within(readAllInto(whole, [1000, 3000]), 5000, 'the queued body was read'), body.subarray(0, 5000));
});

test('direct request: a pooled connection the server closed while idle is replaced, once, without an error', async (t) => {
  let serverClosed: Promise<unknown> = Promise.resolve();
  const srv = await rawServer(t, (socket) => {
    serverClosed = once(socket, 'close');
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc');
    // The server's idle timeout, before the client's next request.
    setTimeout(() => socket.destroy(), 20);
  });
  const pool = new MediaPool();
  t.after(() => pool.close());
  for (let i = 0; i < 2; i++) {
    const { conn } = await requestDirect(pool, new URL(srv.url), {}, 5000);
    const reader = new DirectBody(conn, 3, 5000, (c) => pool.give(c));
    assert.equal((await readAllInto(reader, [10])).toString(), 'abc');
    // The pooled socket is paused, so only the server sees the close before the next request.
    await within(serverClosed, 5000, 'the server closed the idle connection');
  }
  assert.equal(srv.connections(), 2);
});

test('direct media: Drive\'s bytes over TLS (Node\'s onread works on tls.connect too)', async (t) => {
  const body = contentRange(11, 0, 500_000);
  const srv = await rawServer(t, (socket) => trickle(socket, [`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, body.subarray(0, 123_456), body.subarray(123_456)]), true);
  const pool = new MediaPool({ ca: TEST_CERT });
  t.after(() => pool.close());
  const client = driveEndpoint(createDriveAuth({ accessToken: TOKEN }), srv.url);
  const res = await requestMediaDirect(client, 'f1', { offset: 0, acknowledgeAbuse: false, idleMs: 5000, pool });
  assert.ok(res.body instanceof DirectBody);
  const hash = createHash('sha1');
  const got = await readAllInto(res.body, [5_000, 65_536, 200_000]);
  hash.update(got);
  assert.equal(hash.digest('hex'), createHash('sha1').update(body).digest('hex'));
});

test('direct media: an error with a JSON body becomes a MediaHttpError with that body; chunked framing is asked again through node:http', async (t) => {
  const error = JSON.stringify({ error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }] } });
  const chunked = contentRange(5, 0, 70_000);
  const srv = await rawServer(t, (socket, request) => {
    const path = /^GET (\S+)/.exec(request)?.[1] ?? '';
    if (path.includes('/files/limited')) socket.write(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${error.length}\r\n\r\n${error}`);
    else if (path.includes('/files/chunky-error')) socket.write(`HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n${error.length.toString(16)}\r\n${error}\r\n0\r\n\r\n`);
    else {
      socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n`);
      for (let at = 0; at < chunked.length; at += 30_000) {
        const piece = chunked.subarray(at, at + 30_000);
        socket.write(`${piece.length.toString(16)}\r\n`);
        socket.write(piece);
        socket.write('\r\n');
      }
      socket.write('0\r\n\r\n');
    }
  });
  const pool = new MediaPool();
  t.after(() => pool.close());
  const client = driveEndpoint(createDriveAuth({ accessToken: TOKEN }), srv.url);
  const options = { offset: 0, acknowledgeAbuse: false, idleMs: 5000, pool };
  for (const id of ['limited', 'chunky-error']) {
    const err = await requestMediaDirect(client, id, options).then(() => assert.fail('no error'), (e: unknown) => e);
    assert.ok(err instanceof MediaHttpError, String(err));
    assert.equal(err.response.data, error, `${id}: the whole JSON error, no chunk framing`);
  }
  const res = await requestMediaDirect(client, 'chunky', options);
  assert.ok(!(res.body instanceof DirectBody), 'a chunked body goes through node:http');
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  assert.deepEqual(Buffer.concat(chunks), chunked);
  assert.equal(srv.requests(), 5, 'the two chunked responses were each asked for twice');
  // A server that always answers chunked: after three such answers in a row, node:http is asked first.
  const bytesOfChunky = async (): Promise<number> => {
    let n = 0;
    const { body } = await requestMediaDirect(client, 'chunky', options);
    assert.ok(!(body instanceof DirectBody), 'a chunked body goes through node:http');
    for await (const c of body) n += (c as Buffer).length;
    return n;
  };
  for (let i = 0; i < 3; i++) assert.equal(await bytesOfChunky(), chunked.length);
  assert.equal(srv.requests(), 5 + 3 * 2 - 1, 'the third chunked answer in a row was the last one asked for twice');
  assert.equal(await bytesOfChunky(), chunked.length);
  assert.equal(srv.requests(), 11, 'then one request per download');
});
