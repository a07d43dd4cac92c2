// files.get alt=media as one plain node:http(s) GET with the auth client's headers. Through the generated
// client (googleapis-common → gaxios → node-fetch) it cost ≈0.45 ms more CPU per request and added a
// PassThrough between the socket and us: on 2,016 small files that was a tenth of a copy child's CPU.
// Anything this path does not handle the way gaxios does goes to the auth client's request() (gaxios; see
// viaAuthClient in download.ts): a proxy set in the environment (gaxios honours HTTP(S)_PROXY, node:http
// does not) for a host NO_PROXY does not exempt, a 401, which the auth client answers by refreshing the
// token and retrying once, and a redirect, which it follows.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage, IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { DriveEndpoint } from './drive-endpoint.js';
import { bypassesProxy, proxyConfigured } from '../../net/proxy-env.js';

/** Error bodies are read for their reason; more than this is not an error body worth keeping. */
export const MAX_ERROR_BODY = 64 * 1024;

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

export interface MediaResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/** Shaped like a GaxiosError (status, response.data, response.headers), so classifyDriveError reads it. */
export class MediaHttpError extends Error {
  override readonly name = 'MediaHttpError';
  readonly response: { status: number; data: string; headers: IncomingHttpHeaders };
  constructor(
    readonly status: number,
    body: string,
    headers: IncomingHttpHeaders,
  ) {
    super(body === '' ? `HTTP ${status}` : body);
    this.response = { status, data: body, headers };
  }
}

/**
 * Whether the direct path may be used for `url`: no proxy configured for gaxios to honour, or NO_PROXY
 * exempts the URL's host (without a URL, only NO_PROXY=* does).
 */
export function directMediaAllowed(env: NodeJS.ProcessEnv = process.env, url: URL | null = null): boolean {
  return !proxyConfigured(env) || bypassesProxy(url, env);
}

/** The status codes fetch follows (with a Location), so the auth client's request() does too. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A redirect node:http does not follow: the auth client's request() (gaxios) follows it (download.ts). */
export function isRedirect(status: number, headers: IncomingHttpHeaders): boolean {
  return REDIRECTS.has(status) && headers.location !== undefined;
}

function readErrorBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    res.on('data', (c: Buffer) => {
      if (length < MAX_ERROR_BODY) chunks.push(c);
      length += c.length;
    });
    const done = (): void => resolve(Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8'));
    res.on('end', done);
    res.on('error', done);
    res.on('close', done);
  });
}

/** files.get alt=media for one file under the API's base URL (ending in '/'), as the generated client would ask for it. */
export function mediaUrl(rootUrl: string, fileId: string, acknowledgeAbuse: boolean): URL {
  const url = new URL(`drive/v3/files/${encodeURIComponent(fileId)}`, rootUrl);
  url.searchParams.set('alt', 'media');
  url.searchParams.set('supportsAllDrives', 'true');
  if (acknowledgeAbuse) url.searchParams.set('acknowledgeAbuse', 'true');
  return url;
}

/** The auth client's headers for `url` (a token refreshed when due), and a Range from `offset`. */
export async function mediaHeaders(client: DriveEndpoint, url: URL, offset: number, length?: number): Promise<Record<string, string>> {
  const auth = await client.auth.getRequestHeaders(url);
  const headers: Record<string, string> = {};
  auth.forEach((value, key) => {
    headers[key] = value;
  });
  // A bounded range (length given) is one part of a file read as parallel streams (copy/range-reader.ts).
  if (length !== undefined) headers.range = `bytes=${offset}-${offset + length - 1}`;
  else if (offset > 0) headers.range = `bytes=${offset}-`;
  return headers;
}

/**
 * GET the file's bytes (from `offset` with a Range header). Resolves on a 2xx with the body unread; rejects
 * with a MediaHttpError for any other status (its body read and the connection reused), or the request error.
 */
export async function requestMedia(
  client: DriveEndpoint,
  fileId: string,
  options: { offset: number; length?: number; acknowledgeAbuse: boolean; signal?: AbortSignal },
): Promise<MediaResponse> {
  const url = mediaUrl(client.rootUrl, fileId, options.acknowledgeAbuse);
  const headers = await mediaHeaders(client, url, options.offset, options.length);
  const https = url.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = send(url, { method: 'GET', headers, agent: https ? agents.https : agents.http, ...(options.signal ? { signal: options.signal } : {}) }, resolve);
    req.on('error', reject);
    req.end();
  });
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) throw new MediaHttpError(status, await readErrorBody(res), res.headers);
  return { status, headers: res.headers, body: res };
}
