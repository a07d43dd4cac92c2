// The head of an HTTP/1.1 response (status line and header fields), for the direct media reader
// (direct-request.ts), which reads the socket itself instead of through node:http's parser (llhttp). Strict
// on purpose, and in step with llhttp (test/http-head-differential.test.ts): what llhttp refuses is an
// HttpProtocolError here, and the caller closes that connection. What this does not judge itself (a line
// ending in LF alone, a head past node:http's size limit) goes to node:http, whose verdict is then the one.
import { maxHeaderSize } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

/** Longest response head the direct reader parses (status line + fields): node:http's limit; longer goes to node:http. */
export const MAX_HEAD_BYTES = maxHeaderSize;

export class HttpProtocolError extends Error {
  override readonly name = 'HttpProtocolError';
}

export interface ResponseHead {
  status: number;
  /** Field names in lower case; repeated fields joined with ', ' (as node:http does for most). */
  headers: IncomingHttpHeaders;
  /** The server keeps the connection open after this response's body. */
  keepAlive: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
/** headEnd: a line of the head ends in LF alone. */
export const BARE_LF = -2;

/** Offset of the status line: llhttp skips empty lines (CRLF) before it. */
function headStart(buf: Buffer): number {
  let at = 0;
  while (buf[at] === CR && buf[at + 1] === LF) at += 2;
  return at;
}

/**
 * Offset just past the head's blank line in `buf`, -1 while it has not all arrived, or BARE_LF when a line
 * of it ends in LF alone (RFC 9112 §2.2 lets a recipient take that; llhttp refuses it, and node:http is
 * the one to say so).
 */
export function headEnd(buf: Buffer): number {
  for (let lf = buf.indexOf(LF, headStart(buf)); lf >= 0; lf = buf.indexOf(LF, lf + 1)) {
    if (buf[lf - 1] !== CR) return BARE_LF;
    if (buf[lf + 1] === CR && buf[lf + 2] === LF) return lf + 3;
  }
  return -1;
}

/** RFC 9110 §5.6.2 token: what a field name is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A control character other than HTAB (a lone CR among them), which a field value may not hold (RFC 9110 §5.5). */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** Parse the head in buf[0, end) (end from headEnd). */
export function parseHead(buf: Buffer, end: number): ResponseHead {
  const lines = buf.toString('latin1', headStart(buf), end - 4).split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!statusLine) throw new HttpProtocolError(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    // No whitespace before the colon (RFC 9112 §5.1), and so no obsolete line folding (a line starting with
    // whitespace) either, which §5.2 would let us unfold: llhttp refuses both.
    const name = line.slice(0, Math.max(colon, 0));
    if (colon < 0 || !TOKEN.test(name)) throw new HttpProtocolError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (hasControl(value)) throw new HttpProtocolError(`control character in header ${name}`);
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  const connection = (headers.connection ?? '').toLowerCase();
  const keepAlive = statusLine[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { status: Number(statusLine[2]), headers, keepAlive };
}

/**
 * Refuse framing that cannot be trusted (RFC 9112 §6.3, as llhttp does): Content-Length with
 * Transfer-Encoding, and a Content-Length that is not one number (repeated fields were joined with ', ', so a
 * repeated Content-Length, even an identical one, is refused too).
 */
export function checkFraming(head: ResponseHead): void {
  const cl = head.headers['content-length'];
  if (cl === undefined) return;
  if (head.headers['transfer-encoding'] !== undefined) throw new HttpProtocolError('Content-Length with Transfer-Encoding');
  if (!/^\d+$/.test(cl)) throw new HttpProtocolError(`invalid Content-Length ${JSON.stringify(cl.slice(0, 40))}`);
}

/**
 * The body's length when it is framed by Content-Length alone with no content coding: the only framing the
 * direct reader takes (anything else goes through node:http). Null otherwise. 204 and 304 have no body
 * whatever their Content-Length says (RFC 9110 §8.6).
 */
export function plainBodyLength(head: ResponseHead): number | null {
  const te = head.headers['transfer-encoding'];
  const ce = head.headers['content-encoding'];
  if (te !== undefined && te.toLowerCase() !== 'identity') return null;
  if (ce !== undefined && ce.toLowerCase() !== 'identity') return null;
  const cl = head.headers['content-length'];
  if (cl === undefined || !/^\d+$/.test(cl)) return null;
  if (head.status === 204 || head.status === 304) return 0;
  const n = Number(cl);
  return Number.isSafeInteger(n) ? n : null;
}
