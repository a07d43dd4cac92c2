// Differential test of the direct reader's response head parser (http-head.ts, through direct-request.ts)
// against Node's own (llhttp, through node:http's client) on malformed heads. Each case is served from a raw
// TCP server on loopback to both; they must agree on refusing or accepting it, and on the status, length and
// body when they accept. Where ours hands a head to node:http on purpose (a line ending in LF alone, a head
// past node:http's size limit, framing it does not read itself), the case says so and node:http's verdict is
// the one given, which the test checks it was (the server saw the request twice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Readable } from 'node:stream';
import { createDriveAuth } from '../src/source/drive/auth.js';
import { DirectBody } from '../src/net/direct-body.js';
import { requestMediaDirect } from '../src/source/drive/direct-media.js';
import { driveEndpoint } from '../src/source/drive/drive-endpoint.js';
import { MediaPool } from '../src/net/media-connection.js';
import { MediaHttpError } from '../src/source/drive/media-request.js';
import { classifyDriveError, DriveError } from '../src/source/drive/retry.js';
import { NetError } from '../src/net/net-error.js';
import { rawServer } from './support/raw-server.js';
import { readAll } from './support/media-item.js';

/** Which way our side is meant to take a case. */
type OurPath = 'direct' | 'refused' | 'node:http';

interface Case {
  name: string;
  response: string;
  ours: OurPath;
}

const OK = 'HTTP/1.1 200 OK\r\n';
const BODY = 'Content-Length: 5\r\n\r\nhello';

const CASES: Case[] = [
  { name: 'well-formed', response: `${OK}X-A: 1\r\n${BODY}`, ours: 'direct' },
  { name: 'space before a colon', response: `${OK}X-A : 1\r\n${BODY}`, ours: 'refused' },
  { name: 'tab before a colon', response: `${OK}X-A\t: 1\r\n${BODY}`, ours: 'refused' },
  { name: 'bare LF line endings', response: 'HTTP/1.1 200 OK\nContent-Length: 5\n\nhello', ours: 'node:http' },
  { name: 'bare LF after one field', response: `${OK}X-A: 1\n${BODY}`, ours: 'node:http' },
  { name: 'bare CR in a field', response: `${OK}X-A: 1\rX-B: 2\r\n${BODY}`, ours: 'refused' },
  { name: 'conflicting Content-Length', response: `${OK}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`, ours: 'refused' },
  { name: 'duplicate identical Content-Length', response: `${OK}Content-Length: 5\r\n${BODY}`, ours: 'refused' },
  { name: 'Content-Length list', response: `${OK}Content-Length: 5, 5\r\n\r\nhello`, ours: 'refused' },
  { name: 'Content-Length not a number', response: `${OK}Content-Length: 5x\r\n\r\nhello`, ours: 'refused' },
  { name: 'Transfer-Encoding chunked with Content-Length', response: `${OK}Transfer-Encoding: chunked\r\n${BODY.replace('hello', '5\r\nhello\r\n0\r\n\r\n')}`, ours: 'refused' },
  { name: 'Transfer-Encoding identity with Content-Length', response: `${OK}Transfer-Encoding: identity\r\n${BODY}`, ours: 'refused' },
  { name: 'chunked without Content-Length', response: `${OK}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`, ours: 'node:http' },
  { name: '100 Continue before the response', response: `HTTP/1.1 100 Continue\r\n\r\n${OK}${BODY}`, ours: 'direct' },
  { name: '103 Early Hints before the response', response: `HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n${OK}${BODY}`, ours: 'direct' },
  { name: '100 and 103 before a 206', response: `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 206 Partial Content\r\n${BODY}`, ours: 'direct' },
  { name: 'malformed field in a 100 Continue', response: `HTTP/1.1 100 Continue\r\nX A: 1\r\n\r\n${OK}${BODY}`, ours: 'refused' },
  { name: 'NUL in a field value', response: `${OK}X-A: a\0b\r\n${BODY}`, ours: 'refused' },
  { name: 'control character in a field value', response: `${OK}X-A: a\x01b\r\n${BODY}`, ours: 'refused' },
  { name: 'DEL in a field value', response: `${OK}X-A: a\x7fb\r\n${BODY}`, ours: 'refused' },
  { name: 'tab and obs-text in a field value', response: `${OK}X-A: a\tb\xe9\r\n${BODY}`, ours: 'direct' },
  { name: 'NUL in a field name', response: `${OK}X\0A: 1\r\n${BODY}`, ours: 'refused' },
  { name: '@ in a field name', response: `${OK}X@A: 1\r\n${BODY}`, ours: 'refused' },
  { name: '/ in a field name', response: `${OK}X/A: 1\r\n${BODY}`, ours: 'refused' },
  { name: 'space in a field name', response: `${OK}X A: 1\r\n${BODY}`, ours: 'refused' },
  { name: 'empty field name', response: `${OK}: 1\r\n${BODY}`, ours: 'refused' },
  { name: 'field line without a colon', response: `${OK}nocolon\r\n${BODY}`, ours: 'refused' },
  { name: 'head of 12 KiB', response: `${OK}X-Big: ${'y'.repeat(12 * 1024)}\r\n${BODY}`, ours: 'direct' },
  // node:http counts a field's name and value, not its line end: this one is within its 16 KiB, ours counts
  // raw bytes and passes it on.
  { name: 'head just under node:http\'s 16 KiB', response: `${OK}X-Big: ${'y'.repeat(16 * 1024 - 40)}\r\n${BODY}`, ours: 'node:http' },
  { name: 'head of 20 KiB', response: `${OK}X-Big: ${'y'.repeat(20 * 1024)}\r\n${BODY}`, ours: 'node:http' },
  { name: 'obs-fold (space)', response: `${OK}X-A: 1\r\n  folded\r\n${BODY}`, ours: 'refused' },
  { name: 'obs-fold (tab)', response: `${OK}X-A: 1\r\n\tfolded\r\n${BODY}`, ours: 'refused' },
  { name: 'whitespace before the first field', response: `${OK} X-A: 1\r\n${BODY}`, ours: 'refused' },
  { name: 'no reason phrase', response: `HTTP/1.1 200\r\n${BODY}`, ours: 'direct' },
  { name: 'empty reason phrase', response: `HTTP/1.1 200 \r\n${BODY}`, ours: 'direct' },
  { name: 'HTTP/1.0 with Content-Length', response: `HTTP/1.0 200 OK\r\n${BODY}`, ours: 'direct' },
  { name: 'HTTP/1.0 delimited by close', response: 'HTTP/1.0 200 OK\r\n\r\nhello', ours: 'node:http' },
  { name: 'HTTP/2 status line', response: `HTTP/2 200 OK\r\n${BODY}`, ours: 'refused' },
  { name: 'HTTP/1.2 status line', response: `HTTP/1.2 200 OK\r\n${BODY}`, ours: 'refused' },
  { name: 'two-digit status', response: `HTTP/1.1 20 OK\r\n${BODY}`, ours: 'refused' },
  { name: 'four-digit status', response: `HTTP/1.1 2000 OK\r\n${BODY}`, ours: 'refused' },
  { name: 'tab after the status code', response: `HTTP/1.1 200\tOK\r\n${BODY}`, ours: 'refused' },
  { name: 'empty line before the status line', response: `\r\n${OK}${BODY}`, ours: 'direct' },
  { name: '204 with a Content-Length', response: 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', ours: 'direct' },
];

type Verdict = { refused: true; detail: string } | { refused: false; status: number; length: string | undefined; xa: string | undefined; body: string };

function describe(v: Verdict): string {
  return v.refused ? `refuses (${v.detail})` : `accepts ${v.status}, Content-Length ${v.length ?? 'none'}, ${v.body.length} body bytes`;
}

async function bodyOf(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** What node:http (llhttp) makes of the response at `url`. */
function viaNodeHttp(url: string): Promise<Verdict> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      bodyOf(res).then(
        (body) => resolve({ refused: false, status: res.statusCode ?? 0, length: res.headers['content-length'], xa: header(res.headers['x-a']), body }),
        (err: unknown) => resolve({ refused: true, detail: `body: ${String(err)}` }),
      );
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ refused: true, detail: err.code ?? err.message }));
  });
}

test('http head differential: our parser agrees with llhttp (node:http) on refusing or accepting malformed response heads', async (t) => {
  const byCase = new Map(CASES.map((c, i) => [`case${i}`, c]));
  const asked = new Map<string, number>();
  const srv = await rawServer(t, (socket, request) => {
    const id = /^GET \/(?:drive\/v3\/files\/)?(case\d+)/.exec(request)?.[1] ?? '';
    // Our requests carry the token; node:http's reference request does not.
    if (/\r\nauthorization: /i.test(request)) asked.set(id, (asked.get(id) ?? 0) + 1);
    socket.end(Buffer.from(byCase.get(id)?.response ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'latin1'));
  });
  const client = driveEndpoint(createDriveAuth({ accessToken: 'differential-test-token' }), srv.url);
  const rows: string[] = ['| case | llhttp (node:http) | ours |', '| --- | --- | --- |'];
  const failures: string[] = [];
  for (const [id, c] of byCase) {
    const reference = await viaNodeHttp(`${srv.url}${id}`);
    const pool = new MediaPool();
    let ours: Verdict;
    let direct = false;
    try {
      const res = await requestMediaDirect(client, id, { offset: 0, acknowledgeAbuse: false, idleMs: 5000, pool });
      direct = res.body instanceof DirectBody;
      ours = { refused: false, status: res.status, length: header(res.headers['content-length']), xa: header(res.headers['x-a']), body: res.body instanceof DirectBody ? (await readAll(res.body)).toString('latin1') : await bodyOf(res.body) };
    } catch (err) {
      // A refusal of ours is a retryable server-error; node:http's comes back as its parser's error code.
      if (err instanceof MediaHttpError) ours = { refused: false, status: err.status, length: header(err.response.headers['content-length']), xa: header(err.response.headers['x-a']), body: err.response.data };
      else {
        // The media client's own error, as the Drive source reads it (download.ts classifies it so).
        const mapped = err instanceof NetError ? classifyDriveError(err) : err;
        ours = { refused: true, detail: mapped instanceof DriveError ? `${mapped.code}: ${mapped.message}` : ((mapped as NodeJS.ErrnoException).code ?? String(mapped)) };
      }
    } finally {
      pool.close();
    }
    const requests = asked.get(id) ?? 0;
    const path: OurPath | 'unexpected' = requests === 2 ? 'node:http' : requests !== 1 ? 'unexpected' : direct ? 'direct' : ours.refused && ours.detail.startsWith('server-error') ? 'refused' : 'unexpected';
    const said = path === 'node:http' ? `hands it to node:http, which ${describe(ours)}` : describe(ours);
    rows.push(`| ${c.name} | ${describe(reference)} | ${said} |`);
    if (path !== c.ours) failures.push(`${c.name}: ours went ${path} (${requests} requests), meant ${c.ours}: ${describe(ours)}`);
    if (ours.refused !== reference.refused) failures.push(`${c.name}: llhttp ${describe(reference)}, ours ${describe(ours)}`);
    else if (!ours.refused && JSON.stringify(ours) !== JSON.stringify(reference)) failures.push(`${c.name}: llhttp ${JSON.stringify(reference)}, ours ${JSON.stringify(ours)}`);
  }
  t.diagnostic(`Node ${process.version}, llhttp ${process.versions.llhttp}`);
  for (const row of rows) t.diagnostic(row);
  assert.deepEqual(failures, []);
});
