// Open a download stream for one DriveItem: media bytes from an offset (Range: bytes=offset-), or an
// export streamed from its exportLinks URL (files.export stops at 10 MB; export links do not, but they do
// not support Range either). The bytes are counted: ending short of the announced length is an error, not
// a silently shorter object. Media is read the direct way (direct-media.ts: our own socket reader, which hands
// what it does not take to node:http, media-request.ts), or through the auth client (gaxios; media() says when).
// A direct body is handed on as the ByteSource it is; any other body is guarded here and read through
// ReadableBytes (source/readable-bytes.ts).
import { Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import type { DriveEndpoint } from './drive-endpoint.js';
import type { DriveItem } from './drive-item.js';
import { paced } from './pacer.js';
import type { Pacer } from './pacer.js';
import { DirectBody } from '../../net/direct-body.js';
import type { ByteSource } from '../byte-source.js';
import { ReadableBytes } from '../readable-bytes.js';
import { requestMediaDirect } from './direct-media.js';
import { directMediaAllowed, isRedirect, MediaHttpError, mediaUrl } from './media-request.js';
import { bypassesProxy } from '../../net/proxy-env.js';
import { classifyDriveError, DriveError } from './retry.js';

/**
 * Bytes our stream buffers before it stops reading from the socket. The HTTP stack adds the response's own
 * buffer (node-fetch's 16 KiB body PassThrough on the gaxios path; IncomingMessage's on the
 * node:http one, see media-request.ts) and the socket's receive buffer; count all three in the memory plan
 * (DOWNLOAD_BUFFER_BYTES).
 *
 * One socket read's worth (64 KiB), not more: a download waits here whenever its upload has no free part
 * buffer, and the chunks it holds then outlive two minor GCs, reach the old generation and keep their memory
 * until a full GC, which that external memory itself brings on sooner (V8 counts it against the old
 * generation's limit). The measurement (256 KiB → 64 KiB): docs/design.md#the-measurements-behind-the-flags.
 */
export const DOWNLOAD_HIGH_WATER_MARK = 64 * 1024;
/** A download that delivers nothing for this long (while we are ready for more) is abandoned and retried. */
export const DOWNLOAD_IDLE_TIMEOUT_MS = 120_000;
/**
 * Upper bound of in-process buffering per open download: ours + node-fetch's 16 KiB + a 64 KiB socket read (held
 * by the stream or as ReadableBytes's carry-over); on
 * the direct path (direct-media.ts), the connection's queue (≤ 128 KiB) is the only buffer before the part's.
 */
export const DOWNLOAD_BUFFER_BYTES = DOWNLOAD_HIGH_WATER_MARK + 16 * 1024 + 64 * 1024;

export interface OpenDownloadOptions {
  /** First byte to read (media only; exports must start at 0). */
  offset?: number;
  /** Bytes to read from `offset`, for one range of a file read as parallel streams (media only); absent: to the end. */
  length?: number;
  signal?: AbortSignal;
  /** Add acknowledgeAbuse=true so abuse-flagged files can be downloaded (--acknowledge-abuse). */
  acknowledgeAbuse: boolean;
  highWaterMark?: number;
  /** When given, one token is taken before the request and its answer reported (downloads count against the quota too). */
  pacer?: Pacer;
}

function header(headers: unknown, name: string): string | null {
  if (headers && typeof (headers as { get?: unknown }).get === 'function') {
    const v = (headers as { get(n: string): string | null }).get(name);
    return typeof v === 'string' ? v : null;
  }
  if (headers && typeof headers === 'object') {
    const v = (headers as Record<string, unknown>)[name.toLowerCase()];
    return typeof v === 'string' ? v : null;
  }
  return null;
}

/** Count bytes, translate stream errors into DriveErrors, and fail when fewer than `expected` bytes arrive. */
function guard(body: Readable, expected: number | null, highWaterMark: number): Readable {
  let seen = 0;
  let lastChunkAt = Date.now();
  const out = new Transform({
    highWaterMark,
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      lastChunkAt = Date.now();
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (expected !== null && seen !== expected) {
        callback(new DriveError(`download ended after ${seen} of ${expected} bytes`, true, 'truncated', null));
        return;
      }
      callback();
    },
  });
  body.on('error', (err: unknown) => out.destroy(classifyDriveError(err)));
  // A body that closes before its end without an 'error' must not leave the reader waiting for the stall
  // timer: it is a broken connection like any other.
  body.on('close', () => {
    if (!body.readableEnded && !out.destroyed) out.destroy(new DriveError('download closed before its end', true, 'connection-reset', null));
  });
  // A connection that stops sending without closing would hold a child slot forever. Only count idle time
  // while the consumer is not the one holding us back (our readable side has room).
  const stall = setInterval(() => {
    if (Date.now() - lastChunkAt > DOWNLOAD_IDLE_TIMEOUT_MS && out.readableLength < out.readableHighWaterMark) {
      out.destroy(new DriveError(`no bytes from Drive for ${DOWNLOAD_IDLE_TIMEOUT_MS / 1000} s`, true, 'timeout', null));
    }
  }, 1000);
  stall.unref();
  out.on('close', () => {
    clearInterval(stall);
    if (!body.destroyed) body.destroy();
  });
  body.pipe(out);
  return out;
}

/**
 * The item's bytes from `offset`. Rejects with a DriveError (an ItemError with a code) when the request
 * fails; a read rejects with a DriveError (or a NetError, direct body) when the body breaks or comes up short.
 */
export async function openDownload(client: DriveEndpoint, item: DriveItem, options: OpenDownloadOptions): Promise<ByteSource> {
  const offset = options.offset ?? 0;
  const highWaterMark = options.highWaterMark ?? DOWNLOAD_HIGH_WATER_MARK;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`download offset must be a non-negative integer, got ${offset}`);
  try {
    if (item.download.kind === 'export') {
      if (offset !== 0) throw new DriveError(`export of ${item.id} cannot resume at byte ${offset}: export links do not support Range`, false, 'bad-request', null);
      const url = item.download.url;
      const res = await paced(options.pacer, options.signal, () => viaAuthClient(client, url, {}, options.signal));
      const length = header(res.headers, 'content-length');
      return new ReadableBytes(guard(res.data, length === null ? null : Number(length), highWaterMark));
    }
    if (item.size !== null && offset > item.size) {
      throw new DriveError(`offset ${offset} is past the end of ${item.id} (${item.size} bytes)`, false, 'bad-request', null);
    }
    if (item.size !== null && offset === item.size && offset > 0) {
      // Nothing left to read; a Range request here would be answered 416.
      return new ReadableBytes(guard(emptyStream(), 0, highWaterMark));
    }
    const length = options.length;
    if (length !== undefined && (!Number.isSafeInteger(length) || length <= 0 || (item.size !== null && offset + length > item.size))) {
      throw new RangeError(`download range of ${item.id} must lie within the file, got ${length} bytes at ${offset}`);
    }
    const res = await paced(options.pacer, options.signal, () => media(client, item.id, offset, options));
    if (offset > 0 || length !== undefined) {
      const range = header(res.headers, 'content-range');
      const start = range === null ? null : /^bytes (\d+)-/.exec(range)?.[1];
      if (res.status !== 206 || start === undefined || start === null || Number(start) !== offset) {
        res.data.destroy();
        throw new DriveError(`Drive ignored Range bytes=${offset}- for ${item.id} (status ${res.status})`, true, 'server-error', res.status);
      }
    }
    const contentLength = header(res.headers, 'content-length');
    const total = header(res.headers, 'content-range')?.match(/\/(\d+)$/)?.[1];
    const nowBytes = length === undefined ? (contentLength === null ? null : Number(contentLength) + offset) : total === undefined ? null : Number(total);
    if ((nowBytes !== null && item.size !== null && nowBytes !== item.size) || (length !== undefined && contentLength !== null && Number(contentLength) !== length)) {
      // The file changed after it was listed: copying it would store bytes that match neither listing.
      res.data.destroy();
      throw new DriveError(`${item.id} is ${nowBytes ?? '?'} bytes now, ${item.size ?? '?'} when listed`, false, 'source-changed', res.status);
    }
    // A direct body counts its bytes against Content-Length and watches for stalls itself, and is read into
    // the part buffers as it is (a Transform in between would bring back the chunks it saves).
    if (res.data instanceof DirectBody) return res.data;
    const expected = contentLength !== null ? Number(contentLength) : (length ?? (item.size === null ? null : item.size - offset));
    return new ReadableBytes(guard(res.data, expected, highWaterMark));
  } catch (err) {
    // An abort is the caller's decision, not a Drive failure: hand back the reason it aborted with.
    if (options.signal?.aborted) throw options.signal.reason;
    throw classifyDriveError(err);
  }
}

interface MediaResult {
  status: number;
  headers: unknown;
  /** A direct body when our own client read the head (direct-media.ts), else node:http's or gaxios's stream. */
  data: DirectBody | Readable;
}

/** What the auth client's request() answers: always a stream. */
type StreamResult = MediaResult & { data: Readable };

/**
 * A streamed GET through the auth client's request() (gaxios, as the generated client would send it): export
 * links; and media when a proxy is configured, to retry a 401 with a refreshed token, or to follow a
 * redirect. No gaxios retries: all retries go through withRetry (retry.ts). A host NO_PROXY exempts by our
 * reading of it (net/proxy-env.ts) is exempted for gaxios too, which reads it more narrowly.
 */
async function viaAuthClient(client: DriveEndpoint, url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<StreamResult> {
  const target = new URL(url);
  const noProxy = bypassesProxy(target, process.env) ? { noProxy: [target] } : {};
  const res = await client.auth.request<Readable>({ url, responseType: 'stream', retry: false, headers, ...noProxy, ...(signal ? { signal } : {}) });
  return { status: res.status, headers: res.headers, data: res.data };
}

function mediaViaGaxios(client: DriveEndpoint, fileId: string, offset: number, options: OpenDownloadOptions): Promise<StreamResult> {
  const range = options.length !== undefined ? `bytes=${offset}-${offset + options.length - 1}` : offset > 0 ? `bytes=${offset}-` : null;
  return viaAuthClient(client, mediaUrl(client.rootUrl, fileId, options.acknowledgeAbuse).href, range === null ? {} : { Range: range }, options.signal);
}

async function media(client: DriveEndpoint, fileId: string, offset: number, options: OpenDownloadOptions): Promise<MediaResult> {
  if (!directMediaAllowed(process.env, new URL(client.rootUrl))) return mediaViaGaxios(client, fileId, offset, options);
  try {
    const res = await requestMediaDirect(client, fileId, { offset, ...(options.length !== undefined ? { length: options.length } : {}), acknowledgeAbuse: options.acknowledgeAbuse, idleMs: DOWNLOAD_IDLE_TIMEOUT_MS, ...(options.signal ? { signal: options.signal } : {}) });
    return { status: res.status, headers: res.headers, data: res.body };
  } catch (err) {
    // The auth client refreshes the token and retries once on a 401 (a token revoked or expired early), and
    // follows a redirect (dropping the token where fetch's rules say so; we would not know them): let it.
    if (err instanceof MediaHttpError && (err.status === 401 || isRedirect(err.status, err.response.headers))) return mediaViaGaxios(client, fileId, offset, options);
    throw err;
  }
}

function emptyStream(): Readable {
  const t = new Transform();
  t.end();
  return t;
}
