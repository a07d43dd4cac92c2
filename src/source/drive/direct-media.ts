// files.get alt=media read off a pooled connection of our own (net/direct-request.ts) into the upload's part
// buffers (net/direct-body.ts), when the response is framed the simple way: a 2xx with Content-Length and no
// content coding, which is how Drive serves file bytes when asked for identity. Any other framing (chunked,
// compressed) is closed unread and asked again through node:http (media-request.ts), which parses them all;
// so is an error response without a Content-Length, so that its JSON reason reaches classifyDriveError intact.
// After three such 2xx answers in a row a process asks node:http first (MediaPool.directWorthTrying). A head
// that is node:http's to judge (HandToNodeHttp) is asked again there too. A redirect is closed unread and
// left to the auth client, which follows it (see download.ts).
import { DirectBody } from '../../net/direct-body.js';
import { HandToNodeHttp, requestDirect } from '../../net/direct-request.js';
import type { DirectHead } from '../../net/direct-request.js';
import type { DriveEndpoint } from './drive-endpoint.js';
import { plainBodyLength } from '../../net/http-head.js';
import { MediaPool } from '../../net/media-connection.js';
import { isRedirect, MAX_ERROR_BODY, MediaHttpError, mediaHeaders, mediaUrl, requestMedia } from './media-request.js';
import type { MediaResponse } from './media-request.js';

const pool = new MediaPool();

/** Close this process's idle media connections (a child shutting down; open ones close with their downloads). */
export function closeMediaConnections(): void {
  pool.close();
}

export interface DirectMediaOptions {
  offset: number;
  /** Bytes to read from `offset` (a bounded Range); absent: to the end. */
  length?: number;
  acknowledgeAbuse: boolean;
  /** A response that sends nothing for this long, while we wait for bytes, fails as a timeout. */
  idleMs: number;
  signal?: AbortSignal;
  /** Tests: a pool of their own (a CA for TLS). */
  pool?: MediaPool;
}

/** As requestMedia answers, with the body a DirectBody, or node:http's IncomingMessage after a fallback. */
export type DirectMediaResponse = Omit<MediaResponse, 'body'> & { body: DirectBody | MediaResponse['body'] };

/** GET the file's bytes from `offset`. Resolves on a 2xx with the body unread; rejects with a MediaHttpError otherwise. */
export async function requestMediaDirect(client: DriveEndpoint, fileId: string, options: DirectMediaOptions): Promise<DirectMediaResponse> {
  const connections = options.pool ?? pool;
  const viaNodeHttp = (): Promise<DirectMediaResponse> => requestMedia(client, fileId, options);
  if (!connections.directWorthTrying) return viaNodeHttp();
  const url = mediaUrl(client.rootUrl, fileId, options.acknowledgeAbuse);
  const headers = await mediaHeaders(client, url, options.offset, options.length);
  let answer: DirectHead;
  try {
    answer = await requestDirect(connections, url, headers, options.idleMs, options.signal);
  } catch (err) {
    if (err instanceof HandToNodeHttp) return viaNodeHttp();
    throw err;
  }
  const { conn, head } = answer;
  if (isRedirect(head.status, head.headers)) {
    conn.destroy();
    throw new MediaHttpError(head.status, '', head.headers);
  }
  const length = plainBodyLength(head);
  const ok = head.status >= 200 && head.status < 300;
  if (ok) connections.noteFraming(length !== null);
  if (length === null) {
    conn.destroy();
    return viaNodeHttp();
  }
  const release = head.keepAlive ? (c: typeof conn) => connections.give(c) : (c: typeof conn) => c.destroy();
  const body = new DirectBody(conn, length, options.idleMs, release);
  if (ok) return { status: head.status, headers: head.headers, body };
  const text = Buffer.allocUnsafe(Math.min(length, MAX_ERROR_BODY));
  const n = await body.readInto(text).catch(() => 0);
  if (body.remaining > 0) body.destroy();
  throw new MediaHttpError(head.status, text.toString('utf8', 0, n), head.headers);
}
