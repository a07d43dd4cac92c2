// The head of an HTTP/1.1 response (status line and header fields), for the direct media reader
// (media-socket.ts), which reads the socket itself instead of through node:http's parser. Strict on purpose:
// anything this does not understand is an HttpProtocolError, and the caller closes that connection.
import type { IncomingHttpHeaders } from 'node:http';

/** Longest response head accepted (status line + fields); node:http's default limit is 16 KiB. */
export const MAX_HEAD_BYTES = 64 * 1024;

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

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Offset just past the head's blank line in `buf`, or -1 while it has not all arrived. */
export function headEnd(buf: Buffer): number {
  const at = buf.indexOf(CRLFCRLF);
  return at < 0 ? -1 : at + CRLFCRLF.length;
}

/** Parse the head in buf[0, end) (end from headEnd). */
export function parseHead(buf: Buffer, end: number): ResponseHead {
  const lines = buf.toString('latin1', 0, end - CRLFCRLF.length).split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!statusLine) throw new HttpProtocolError(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    // Obsolete line folding (a line starting with whitespace) is refused too (RFC 9112 §5.2 allows that).
    if (colon <= 0 || /^[ \t]/.test(line)) throw new HttpProtocolError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const connection = (headers.connection ?? '').toLowerCase();
  const keepAlive = statusLine[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { status: Number(statusLine[2]), headers, keepAlive };
}

/**
 * The body's length when it is framed by Content-Length alone with no content coding: the only framing the
 * direct reader takes (anything else goes through node:http). Null otherwise.
 */
export function plainBodyLength(head: ResponseHead): number | null {
  const te = head.headers['transfer-encoding'];
  const ce = head.headers['content-encoding'];
  if (te !== undefined && te.toLowerCase() !== 'identity') return null;
  if (ce !== undefined && ce.toLowerCase() !== 'identity') return null;
  const cl = head.headers['content-length'];
  if (cl === undefined || !/^\d+$/.test(cl)) return null;
  const n = Number(cl);
  return Number.isSafeInteger(n) ? n : null;
}
