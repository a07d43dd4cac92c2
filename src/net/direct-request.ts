// One GET on a pooled MediaConnection, up to the end of the response head. The body stays on the connection
// for a DirectBody (direct-body.ts) to read into the caller's buffers.
import { BARE_LF, checkFraming, HttpProtocolError, headEnd, MAX_HEAD_BYTES, parseHead } from './http-head.js';
import type { ResponseHead } from './http-head.js';
import type { ConnectionReader, MediaConnection, MediaPool } from './media-connection.js';
import { ConnectTimeout, SPILL_BYTES } from './media-connection.js';
import { NetError } from './net-error.js';

// The head must fit the spill buffer it is read into.
const HEAD_LIMIT = Math.min(MAX_HEAD_BYTES, SPILL_BYTES);

/**
 * A response head that is node:http's to judge, not ours (a line ending in LF alone, a head longer than
 * node:http's limit): the connection is closed and the request asked again through node:http.
 */
export class HandToNodeHttp extends Error {
  override readonly name = 'HandToNodeHttp';
}

export interface DirectHead {
  conn: MediaConnection;
  head: ResponseHead;
}

/** Thrown when a reused connection fails before any byte of the response: the request is sent again. */
class StaleConnection extends Error {
  override readonly name = 'StaleConnection';
}

function requestText(url: URL, headers: Record<string, string>): string {
  let text = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    // A header value with a line break would let it write a header of its own choosing.
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new HttpProtocolError(`header ${name} contains a line break`);
    text += `${name}: ${value}\r\n`;
  }
  return `${text}Accept-Encoding: identity\r\nConnection: keep-alive\r\n\r\n`;
}

function readHead(conn: MediaConnection, text: string, idleMs: number, signal: AbortSignal | undefined): Promise<DirectHead> {
  return new Promise<DirectHead>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: ResponseHead | Error): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      conn.watchIdle(0);
      if (outcome instanceof Error) {
        conn.attach(null);
        conn.destroy();
        reject(outcome);
      } else resolve({ conn, head: outcome });
    };
    // openDownload hands an abort's reason back to its caller as it is.
    const abortReason = (): Error => (signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    const onAbort = (): void => settle(abortReason());
    // The head's bytes queue up in the connection's spill buffer; the body's first bytes stay queued there
    // for the DirectBody (and any more TLS delivers before that one attaches).
    const reader: ConnectionReader = {
      target: () => null,
      data: () => {
        // Interim responses (100 Continue, 103 Early Hints) are passed over: the final one follows them.
        while (!settled) {
          const bytes = conn.spillView();
          const end = bytes === null ? -1 : headEnd(bytes);
          if (end === BARE_LF) return settle(new HandToNodeHttp('a response head line ends in LF alone'));
          if (bytes === null || (end < 0 ? bytes.length : end) > HEAD_LIMIT) return settle(new HandToNodeHttp(`response head longer than ${HEAD_LIMIT} bytes`));
          if (end < 0) return;
          let head: ResponseHead;
          try {
            head = parseHead(bytes, end);
            checkFraming(head);
          } catch (err) {
            return settle(err instanceof HttpProtocolError ? new NetError(err.message, 'bad-response') : (err as Error));
          }
          for (let left = end; left > 0; ) left -= conn.take(left)?.length ?? left;
          if (head.status >= 200 || head.status === 101) settle(head);
        }
      },
      // The body's reader resumes the socket when it wants bytes.
      wants: () => !settled,
      ended: (err, timedOut) => {
        if (timedOut) settle(new NetError(`no response from Drive for ${idleMs / 1000} s`, 'timeout'));
        else if (err instanceof ConnectTimeout) settle(new NetError(err.message, 'timeout'));
        else if (conn.pending === 0 && conn.reused) settle(new StaleConnection());
        else settle(new NetError(`connection closed before the response${err ? `: ${err.message}` : ''}`, 'connection-reset'));
      },
    };
    if (signal?.aborted) {
      conn.destroy();
      reject(abortReason());
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    conn.attach(reader);
    conn.watchIdle(idleMs);
    conn.socket.write(text);
    conn.socket.resume();
  });
}

/**
 * Send GET `url` and read the response head. A reused connection that the server had closed meanwhile (the
 * keep-alive race: it fails before the first byte of the response) is replaced by a new one, once.
 */
export async function requestDirect(pool: MediaPool, url: URL, headers: Record<string, string>, idleMs: number, signal?: AbortSignal): Promise<DirectHead> {
  const text = requestText(url, headers);
  try {
    return await readHead(pool.take(url), text, idleMs, signal);
  } catch (err) {
    if (!(err instanceof StaleConnection)) throw err;
    return readHead(pool.take(url, true), text, idleMs, signal);
  }
}
