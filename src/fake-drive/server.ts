// A fake Google Drive v3 REST server: the subset the real @googleapis/drive client uses to list and
// download, reached through the client's `rootUrl`. Content is generated (see content.ts), so GB files cost
// no memory; faults are injected per route, file and request number (see faults.ts).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { ChangeLog } from './changes.js';
import { contentHashes, contentRange, contentStream, hashesOf, seedFromString } from './content.js';
import type { ContentHashes } from './content.js';
import { FaultTable } from './faults.js';
import type { Fault, FaultRule } from './faults.js';
import { parseQuery, QueryError } from './query.js';
import { AssertionError, checkAssertion, JWT_BEARER_GRANT, usersPage } from './org.js';
import type { FakeOrgOptions } from './org.js';
import { UserQuota } from './quota.js';
import type { QuotaOptions } from './quota.js';
import { Wan } from './wan.js';
import type { WanOptions } from './wan.js';
import {
  FOLDER_MIME,
  generateTree,
  MY_DRIVE_ROOT_ID,
  SHORTCUT_MIME,
  WORKSPACE_EXPORTS,
} from './tree.js';
import type { FakeNodeSpec, FakeSharedDrive, GeneratedTreeOptions } from './tree.js';

export interface FakeOAuthClient {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export interface FakeDriveOptions {
  nodes?: FakeNodeSpec[];
  generate?: GeneratedTreeOptions[];
  sharedDrives?: FakeSharedDrive[];
  /** When set, every API request needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
  /** When set, POST /token exchanges this refresh token (and client) for `token`. */
  oauth?: FakeOAuthClient;
  /** Order of siblings when no orderBy is given (and of ties under orderBy=name): lets tests vary it. */
  listOrder?: 'insertion' | 'reverse';
  /** Latency, per-connection body rate and dropped bodies (wan.ts); changeable later through `wan.set`. */
  wan?: WanOptions;
  /** An organisation (org.ts): users, the JWT bearer grant with a token per subject, the Directory API. */
  org?: FakeOrgOptions;
  /** A request quota per user (quota.ts) on every API request, metadata and media alike; `quota.set` changes it. */
  quota?: QuotaOptions;
}

export interface FakeDriveStats {
  requests: number;
  listRequests: number;
  metadataRequests: number;
  mediaRequests: number;
  exportRequests: number;
  tokenRequests: number;
  /** The JWT `sub` (or the service account's email without one) of every token issued by the JWT grant. */
  tokenSubjects: string[];
  /** Directory API users.list requests. */
  directoryRequests: number;
  /** Who made each files.list request (null without an organisation) and in which shared drive (null: My Drive). */
  listings: { subject: string | null; driveId: string | null }[];
  unauthorized: number;
  /** Requests that carried an API `key` parameter (a token passed as a bare string ends up there). */
  apiKeyRequests: number;
  /** Body bytes of media and export responses, in total and per file id. */
  bytesServed: number;
  bytesByFile: Map<string, number>;
  mediaRequestsByFile: Map<string, number>;
  /** The Range header of every media request, in order (null when none). */
  ranges: (string | null)[];
  /** Media responses open now, and the most open at once (parallel range streams, issue 21). */
  openMedia: number;
  peakOpenMedia: number;
}

export type FakeFilePatch = Partial<
  Pick<FakeNodeSpec, 'name' | 'size' | 'content' | 'seed' | 'md5' | 'sha1' | 'modifiedTime' | 'trashed' | 'canDownload' | 'abusive' | 'starred' | 'description' | 'owners' | 'permissions'>
>;

export interface FakeDrive {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The client's rootUrl: `url` + '/'. */
  rootUrl: string;
  /** The OAuth token endpoint: `url` + '/token'. */
  tokenUrl: string;
  stats: FakeDriveStats;
  resetStats(): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  addNodes(nodes: FakeNodeSpec[]): void;
  /** Change a file; content changes reset its md5; modifiedTime moves forward unless given. */
  updateFile(id: string, patch: FakeFilePatch): void;
  /** Delete a node for good (Drive's files.delete; a trashed file is updateFile({ trashed: true })). */
  removeNode(id: string): void;
  /** Give a node new parents (a move in Drive). */
  moveNode(id: string, parents: string[]): void;
  /** Refuse every change token handed out so far (400 Invalid Value, as Drive answers a token it cannot use). */
  expireChangeTokens(): void;
  /** changes.getStartPageToken and changes.list requests answered so far. */
  readonly changeRequests: number;
  /** Run `change` once, just before the next media request for `id` is served (a change between listing and download). */
  beforeNextMedia(id: string, change: () => void): void;
  /** Refuse `token` from now on with 401, as Drive does for a revoked token (the token option still requires one). */
  revokeToken(token: string): void;
  /** Accept `token` from now on (a new token issued after a revocation). */
  acceptToken(token: string): void;
  /** The bytes the server serves for a file, [start, end). */
  contentOf(id: string, start?: number, end?: number): Buffer;
  /** The bytes the server serves for an export of a file in `mimeType`. */
  exportContentOf(id: string, mimeType: string): Buffer;
  /** The true MD5 of a file's content (what md5Checksum says when md5 is 'real'). */
  trueMd5(id: string): Promise<string>;
  /** The true MD5 and SHA-1 of a file's content, computed in one pass. */
  trueHashes(id: string): Promise<ContentHashes>;
  sizeOf(id: string): number;
  /** The emulated network (its settings and counts of delayed responses and dropped bodies). */
  readonly wan: Wan;
  /** The per-user request quota (off unless set) and its admitted and refused counts. */
  readonly quota: UserQuota;
  close(): Promise<void>;
}

interface Node {
  spec: FakeNodeSpec;
  seed: number;
  literal: Buffer | null;
  size: number;
  hashes: Promise<ContentHashes> | null;
}

const DEFAULT_EXPORT_SIZE = 4096;

function isWorkspace(mimeType: string): boolean {
  return mimeType.startsWith('application/vnd.google-apps.');
}

function hasBinaryContent(mimeType: string): boolean {
  return !isWorkspace(mimeType);
}

function emptyStats(): FakeDriveStats {
  return {
    requests: 0,
    listRequests: 0,
    metadataRequests: 0,
    mediaRequests: 0,
    exportRequests: 0,
    tokenRequests: 0,
    tokenSubjects: [],
    directoryRequests: 0,
    listings: [],
    unauthorized: 0,
    apiKeyRequests: 0,
    bytesServed: 0,
    bytesByFile: new Map(),
    mediaRequestsByFile: new Map(),
    ranges: [],
    openMedia: 0,
    peakOpenMedia: 0,
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'downloadQuotaExceeded']);

/** A Drive-shaped error body: {error:{code,message,errors:[{domain,reason,message}]}}. */
function sendDriveError(res: ServerResponse, status: number, reason: string, message: string, retryAfter?: string): void {
  const domain = RATE_REASONS.has(reason) ? 'usageLimits' : 'global';
  sendJson(
    res,
    status,
    { error: { code: status, message, errors: [{ domain, reason, message }] } },
    retryAfter === undefined ? {} : { 'Retry-After': retryAfter },
  );
}

function defaultReason(status: number): string {
  switch (status) {
    case 400:
      return 'badRequest';
    case 401:
      return 'authError';
    case 403:
      return 'forbidden';
    case 404:
      return 'notFound';
    case 429:
      return 'rateLimitExceeded';
    default:
      return status >= 500 ? 'backendError' : 'unknown';
  }
}

function sendFault(res: ServerResponse, fault: Extract<Fault, { type: 'status' }>): void {
  const reason = fault.reason ?? defaultReason(fault.status);
  sendDriveError(res, fault.status, reason, `Injected fault: ${reason}`, fault.retryAfter);
}

function bearerOf(req: IncomingMessage): string | null {
  const auth = req.headers.authorization ?? '';
  return auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Parse `bytes=a-b`, `bytes=a-`, `bytes=-n` against a size; null = unsatisfiable/malformed. */
function parseRange(header: string, size: number): { start: number; end: number } | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    const n = Number(b);
    return n === 0 ? null : { start: Math.max(0, size - n), end: size };
  }
  const start = Number(a);
  const end = b === '' ? size : Math.min(size, Number(b) + 1);
  if (start >= size || end <= start) return null;
  return { start, end };
}

export async function startFakeDrive(options: FakeDriveOptions = {}): Promise<FakeDrive> {
  const nodes = new Map<string, Node>();
  const children = new Map<string, string[]>();
  const sharedDrives = new Map<string, FakeSharedDrive>((options.sharedDrives ?? []).map((d) => [d.id, d]));
  const faults = new FaultTable();
  const mediaHooks = new Map<string, () => void>();
  const validTokens = new Set<string>(options.token === undefined ? [] : [options.token]);
  // Set once: revoking every token leaves the API refusing all requests rather than open.
  const authRequired = options.token !== undefined || options.org !== undefined;
  // Organisation tokens: who each issued token stands for (the JWT `sub`, or the service account itself).
  const tokenSubject = new Map<string, string>();
  const org = options.org;
  const orgUsers = new Map((org?.users ?? []).map((u) => [u.email, u]));
  let issued = 0;
  let stats = emptyStats();
  let baseUrl = '';
  const wan = new Wan(options.wan);
  const quota = new UserQuota(options.quota ?? null);

  const toNode = (spec: FakeNodeSpec): Node => {
    const literal = spec.content === undefined ? null : Buffer.from(spec.content);
    return { spec, seed: spec.seed ?? seedFromString(spec.id), literal, size: literal?.length ?? spec.size ?? 0, hashes: null };
  };
  // Set once the initial tree is in: from then on every mutation is a change (changes.ts).
  let changeLog: ChangeLog | null = null;
  const recordChange = (id: string): void => {
    const node = nodes.get(id);
    changeLog?.record(id, node ? driveIdOf(node) : undefined);
  };
  const linkChildren = (id: string, parents: readonly string[]): void => {
    for (const parent of parents) {
      const list = children.get(parent) ?? [];
      list.push(id);
      children.set(parent, list);
    }
  };
  const unlinkChildren = (id: string, parents: readonly string[]): void => {
    for (const parent of parents) {
      const list = children.get(parent);
      if (list) children.set(parent, list.filter((c) => c !== id));
    }
  };
  const addNodes = (specs: FakeNodeSpec[]): void => {
    for (const spec of specs) {
      if (nodes.has(spec.id)) throw new Error(`fake drive: duplicate node id ${spec.id}`);
      nodes.set(spec.id, toNode(spec));
      linkChildren(spec.id, spec.parents);
      recordChange(spec.id);
    }
  };
  addNodes([{ id: MY_DRIVE_ROOT_ID, name: 'My Drive', parents: [], mimeType: FOLDER_MIME }]);
  for (const g of options.generate ?? []) addNodes(generateTree(g));
  addNodes(options.nodes ?? []);

  /** The shared drive a node lives in, by walking up its parents. */
  const driveIdOf = (node: Node): string | undefined => {
    let current: Node | undefined = node;
    for (let depth = 0; current && depth < 1000; depth++) {
      const parent: string | undefined = current.spec.parents[0];
      if (parent === undefined) return undefined;
      if (sharedDrives.has(parent)) return parent;
      current = nodes.get(parent);
    }
    return undefined;
  };

  const hashesOfNode = (node: Node): Promise<ContentHashes> => {
    node.hashes ??= node.literal ? Promise.resolve(hashesOf(node.literal)) : contentHashes(node.seed, node.size);
    return node.hashes;
  };

  const exportSeed = (id: string, mimeType: string): number => seedFromString(`${id}\u0000${mimeType}`);

  const metadata = async (node: Node): Promise<Record<string, unknown>> => {
    const { spec } = node;
    const out: Record<string, unknown> = {
      kind: 'drive#file',
      id: spec.id,
      name: spec.name,
      mimeType: spec.mimeType,
      parents: spec.parents,
      trashed: spec.trashed ?? false,
      createdTime: spec.createdTime ?? spec.modifiedTime ?? '2024-01-01T00:00:00.000Z',
      modifiedTime: spec.modifiedTime ?? '2024-01-01T00:00:00.000Z',
      capabilities: { canDownload: spec.canDownload ?? true },
      starred: spec.starred ?? false,
    };
    if (spec.description !== undefined) out.description = spec.description;
    const driveId = driveIdOf(node);
    if (driveId !== undefined) out.driveId = driveId;
    const owners = driveId === undefined ? ownersOf(node) : undefined;
    if (owners !== undefined) out.owners = owners.map((emailAddress) => ({ kind: 'drive#user', emailAddress }));
    if (spec.permissions !== undefined) out.permissions = spec.permissions.map((perm) => ({ kind: 'drive#permission', ...perm }));
    if (spec.mimeType === SHORTCUT_MIME && spec.shortcutTargetId !== undefined) {
      const target = nodes.get(spec.shortcutTargetId);
      out.shortcutDetails = { targetId: spec.shortcutTargetId, targetMimeType: target?.spec.mimeType ?? 'application/octet-stream' };
    } else if (hasBinaryContent(spec.mimeType)) {
      out.size = String(node.size);
      const md5 = spec.md5 ?? 'real';
      const sha1 = spec.sha1 ?? (md5 === 'real' ? 'real' : 'none');
      if (md5 === 'real') out.md5Checksum = (await hashesOfNode(node)).md5;
      else if (md5 !== 'none') out.md5Checksum = md5;
      if (sha1 === 'real') out.sha1Checksum = (await hashesOfNode(node)).sha1;
      else if (sha1 !== 'none') out.sha1Checksum = sha1;
    } else {
      const formats = WORKSPACE_EXPORTS[spec.mimeType] ?? [];
      if (formats.length > 0) {
        out.exportLinks = Object.fromEntries(
          formats.map((m) => [m, `${baseUrl}/export/${encodeURIComponent(spec.id)}?mimeType=${encodeURIComponent(m)}`]),
        );
      }
    }
    return out;
  };

  /** A My Drive node's owners: its own, else its nearest ancestor's; undefined = everyone's (single-user fakes). */
  const ownersOf = (node: Node): string[] | undefined => {
    let current: Node | undefined = node;
    for (let depth = 0; current && depth < 1000; depth++) {
      if (current.spec.owners !== undefined) return current.spec.owners;
      const parent: string | undefined = current.spec.parents[0];
      current = parent === undefined ? undefined : nodes.get(parent);
    }
    return undefined;
  };
  const isMember = (driveId: string, subject: string | undefined): boolean => {
    const members = sharedDrives.get(driveId)?.members;
    return members === undefined || subject === undefined || members.some((m) => m.emailAddress === subject);
  };
  // Without an organisation (subject undefined) everything is one user's; with one, a user sees what they
  // own and the shared drives they are a member of.
  const visible = (node: Node, allDrives: boolean, subject?: string): boolean => {
    const driveId = driveIdOf(node);
    if (driveId !== undefined) return allDrives && isMember(driveId, subject);
    if (subject === undefined) return true;
    const owners = ownersOf(node);
    return owners === undefined || owners.includes(subject);
  };

  const handleList = async (url: URL, res: ServerResponse, subject?: string): Promise<void> => {
    stats.listRequests++;
    const p = url.searchParams;
    stats.listings.push({ subject: subject ?? null, driveId: p.get('driveId') });
    const q = p.get('q') ?? '';
    const parentMatch = /'((?:[^'\\]|\\.)*)'\s+in\s+parents/.exec(q);
    const parentId = parentMatch?.[1]?.replace(/\\(.)/g, '$1');
    const fault = faults.match('list', parentId ?? '');
    if (fault?.type === 'status') return sendFault(res, fault);
    const allDrives = p.get('includeItemsFromAllDrives') === 'true' && p.get('supportsAllDrives') === 'true';
    const corpora = p.get('corpora');
    const driveId = p.get('driveId');
    if (driveId !== null && (corpora !== 'drive' || !allDrives)) {
      return sendDriveError(res, 400, 'invalid', 'driveId requires corpora=drive, includeItemsFromAllDrives and supportsAllDrives');
    }
    if (corpora === 'drive' && driveId === null) return sendDriveError(res, 400, 'invalid', 'corpora=drive requires driveId');
    if (driveId !== null && (!sharedDrives.has(driveId) || !isMember(driveId, subject))) {
      return sendDriveError(res, 404, 'notFound', `Shared drive not found: ${driveId}`);
    }
    let predicate;
    try {
      predicate = parseQuery(q);
    } catch (err) {
      if (err instanceof QueryError) return sendDriveError(res, 400, 'invalid', `Invalid Value: ${err.message}`);
      throw err;
    }
    const candidateIds = parentId === undefined ? [...nodes.keys()] : [...(children.get(parentId) ?? [])];
    if ((options.listOrder ?? 'insertion') === 'reverse') candidateIds.reverse();
    let matched: Node[] = [];
    for (const id of candidateIds) {
      const node = nodes.get(id);
      if (!node || node.spec.id === MY_DRIVE_ROOT_ID) continue;
      if (!visible(node, allDrives, subject)) continue;
      if (driveId !== null && driveIdOf(node) !== driveId) continue;
      const s = node.spec;
      if (!predicate({ parents: s.parents, trashed: s.trashed ?? false, mimeType: s.mimeType, name: s.name })) continue;
      matched.push(node);
    }
    const orderBy = p.get('orderBy');
    if (orderBy !== null) {
      const keys = orderBy.split(',').map((k) => k.trim());
      const byName = (a: Node, b: Node): number => {
        const x = a.spec.name.toLowerCase();
        const y = b.spec.name.toLowerCase();
        return x < y ? -1 : x > y ? 1 : 0;
      };
      const byFolder = (a: Node, b: Node): number => Number(b.spec.mimeType === FOLDER_MIME) - Number(a.spec.mimeType === FOLDER_MIME);
      matched = matched.sort((a, b) => {
        for (const k of keys) {
          const c = k === 'name' ? byName(a, b) : k === 'folder' ? byFolder(a, b) : 0;
          if (c !== 0) return c;
        }
        return 0;
      });
    }
    const pageSize = Math.min(1000, Math.max(1, Number(p.get('pageSize') ?? '100') || 100));
    const token = p.get('pageToken');
    const offset = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) return sendDriveError(res, 400, 'invalid', 'Invalid pageToken');
    const page = matched.slice(offset, offset + pageSize);
    const files = await Promise.all(page.map((n) => metadata(n)));
    const body: Record<string, unknown> = { kind: 'drive#fileList', incompleteSearch: false, files };
    if (offset + pageSize < matched.length) body.nextPageToken = Buffer.from(String(offset + pageSize)).toString('base64url');
    sendJson(res, 200, body);
  };

  const countBytes = (id: string, n: number): void => {
    stats.bytesServed += n;
    stats.bytesByFile.set(id, (stats.bytesByFile.get(id) ?? 0) + n);
  };

  /** Stream `source` into `res`, ending normally, or per the fault (reset / truncate) once it is drained. */
  const streamBody = (id: string, generated: Readable, res: ServerResponse, fault: Fault | undefined): void => {
    generated.on('data', (chunk: Buffer) => countBytes(id, chunk.length));
    const throttle = wan.throttle(res.socket);
    const source = throttle ? generated.pipe(throttle) : generated;
    res.on('close', () => {
      generated.destroy();
      source.destroy();
    });
    const broken = fault !== undefined && fault.type !== 'status';
    source.pipe(res, { end: !broken });
    if (!broken) return;
    source.on('end', () => {
      // An empty write's callback runs once everything before it has been handed to the socket, however
      // large the body was: only then is the connection cut, so the client gets exactly `afterBytes`.
      res.write(Buffer.alloc(0), () => {
        const socket = res.socket;
        if (!socket) {
          res.destroy();
          return;
        }
        if (fault.type === 'reset') socket.resetAndDestroy();
        else socket.end();
      });
    });
  };

  const handleMedia = (node: Node, url: URL, req: IncomingMessage, res: ServerResponse): void => {
    const id = node.spec.id;
    stats.mediaRequests++;
    stats.mediaRequestsByFile.set(id, (stats.mediaRequestsByFile.get(id) ?? 0) + 1);
    const rangeHeader = req.headers.range ?? null;
    stats.ranges.push(rangeHeader);
    stats.openMedia++;
    stats.peakOpenMedia = Math.max(stats.peakOpenMedia, stats.openMedia);
    const counted = stats;
    res.on('close', () => counted.openMedia--);
    let fault = faults.match('media', id);
    if (fault?.type === 'status') return sendFault(res, fault);
    if (!hasBinaryContent(node.spec.mimeType)) {
      return sendDriveError(res, 403, 'fileNotDownloadable', 'Only files with binary content can be downloaded. Use Export with Docs Editors files.');
    }
    if (node.spec.canDownload === false) return sendDriveError(res, 403, 'cannotDownloadFile', 'The user does not have permission to download this file.');
    if (node.spec.abusive === true && url.searchParams.get('acknowledgeAbuse') !== 'true') {
      return sendDriveError(res, 403, 'cannotDownloadAbusiveFile', 'This file has been identified as malware or spam and cannot be downloaded.');
    }
    let start = 0;
    let end = node.size;
    const headers: Record<string, string | number> = {
      'Content-Type': node.spec.mimeType,
      'Accept-Ranges': 'bytes',
    };
    let status = 200;
    if (rangeHeader !== null) {
      const range = parseRange(rangeHeader, node.size);
      if (!range) {
        res.writeHead(416, { 'Content-Range': `bytes */${node.size}` });
        res.end();
        return;
      }
      ({ start, end } = range);
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end - 1}/${node.size}`;
    }
    headers['Content-Length'] = end - start;
    const dropAfter = fault === undefined ? wan.dropAfter(end - start) : null;
    if (dropAfter !== null) fault = { type: 'reset', afterBytes: dropAfter };
    const cut = fault === undefined ? end : Math.min(end, start + fault.afterBytes);
    if (fault !== undefined) headers.Connection = 'close';
    res.writeHead(status, headers);
    const source = node.literal ? Readable.from([node.literal.subarray(start, cut)]) : contentStream(node.seed, start, cut);
    streamBody(id, source, res, fault);
  };

  const handleExport = (id: string, url: URL, res: ServerResponse): void => {
    stats.exportRequests++;
    const node = nodes.get(id);
    const mimeType = url.searchParams.get('mimeType') ?? '';
    const fault = faults.match('export', id);
    if (fault?.type === 'status') return sendFault(res, fault);
    if (!node || node.spec.trashed === true) return sendDriveError(res, 404, 'notFound', `File not found: ${id}.`);
    if (!(WORKSPACE_EXPORTS[node.spec.mimeType] ?? []).includes(mimeType)) {
      return sendDriveError(res, 400, 'badRequest', `Export to ${mimeType} is not supported for this file.`);
    }
    const size = node.spec.exportSize ?? DEFAULT_EXPORT_SIZE;
    const cut = fault === undefined ? size : Math.min(size, fault.afterBytes);
    // No Content-Length: Drive streams exports chunked, their size unknown up front.
    res.writeHead(200, { 'Content-Type': mimeType, ...(fault !== undefined ? { Connection: 'close' } : {}) });
    streamBody(id, contentStream(exportSeed(id, mimeType), 0, cut), res, fault);
  };

  const handleJwtGrant = (assertion: string, res: ServerResponse): void => {
    if (org === undefined) return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'No organisation configured.' });
    let claims;
    try {
      claims = checkAssertion(assertion, `${baseUrl}/token`, org);
    } catch (err) {
      if (err instanceof AssertionError) return sendJson(res, 400, { error: 'invalid_grant', error_description: err.message });
      throw err;
    }
    const subject = claims.sub ?? claims.iss;
    const user = orgUsers.get(subject);
    if (claims.sub !== undefined && (user === undefined || user.suspended === true)) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid email or User ID' });
    }
    if (user?.refuseToken === true) {
      return sendJson(res, 401, { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' });
    }
    stats.tokenSubjects.push(subject);
    const token = `fake-token-${++issued}`;
    tokenSubject.set(token, subject);
    validTokens.add(token);
    sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
  };

  const handleToken = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.tokenRequests++;
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') === JWT_BEARER_GRANT) return handleJwtGrant(form.get('assertion') ?? '', res);
    const oauth = options.oauth;
    const ok =
      oauth !== undefined &&
      form.get('grant_type') === 'refresh_token' &&
      form.get('refresh_token') === oauth.refreshToken &&
      form.get('client_id') === oauth.clientId &&
      form.get('client_secret') === oauth.clientSecret;
    if (!ok || options.token === undefined) {
      sendJson(res, 400, { error: 'invalid_grant', error_description: 'Bad refresh token or client.' });
      return;
    }
    sendJson(res, 200, { access_token: options.token, token_type: 'Bearer', expires_in: 3600, scope: 'https://www.googleapis.com/auth/drive.readonly' });
  };

  /** drives.list: the drives the caller is a member of, or every drive with useDomainAdminAccess (admins only). */
  const handleDrives = (url: URL, res: ServerResponse, subject: string | undefined, isAdmin: boolean): void => {
    const p = url.searchParams;
    const adminAccess = p.get('useDomainAdminAccess') === 'true';
    if (adminAccess && org !== undefined && !isAdmin) return sendDriveError(res, 403, 'forbidden', 'The user does not have domain administrator access.');
    const all = [...sharedDrives.values()].filter((d) => adminAccess || isMember(d.id, subject));
    const pageSize = Math.min(100, Math.max(1, Number(p.get('pageSize') ?? '10') || 10));
    const pageToken = p.get('pageToken');
    const offset = pageToken === null ? 0 : Number(Buffer.from(pageToken, 'base64url').toString('utf8'));
    const drives = all.slice(offset, offset + pageSize).map((d) => ({ kind: 'drive#drive', id: d.id, name: d.name }));
    const body: Record<string, unknown> = { kind: 'drive#driveList', drives };
    if (offset + pageSize < all.length) body.nextPageToken = Buffer.from(String(offset + pageSize)).toString('base64url');
    sendJson(res, 200, body);
  };

  /** permissions.list: a shared drive's members (useDomainAdminAccess for admins) or a file's permissions. */
  const handlePermissions = (id: string, url: URL, res: ServerResponse, subject: string | undefined, isAdmin: boolean): void => {
    const adminAccess = url.searchParams.get('useDomainAdminAccess') === 'true' && (isAdmin || org === undefined);
    const drive = sharedDrives.get(id);
    const node = nodes.get(id);
    let perms: readonly object[] | undefined;
    if (drive !== undefined && (adminAccess || isMember(id, subject))) perms = drive.members ?? [];
    else if (node !== undefined && (adminAccess || visible(node, true, subject))) perms = node.spec.permissions ?? [];
    if (perms === undefined) return sendDriveError(res, 404, 'notFound', `File not found: ${id}.`);
    sendJson(res, 200, { kind: 'drive#permissionList', permissions: perms.map((perm) => ({ kind: 'drive#permission', ...perm })) });
  };

  const route = async (req: IncomingMessage, res: ServerResponse, hooked = false): Promise<void> => {
    stats.requests++;
    const url = new URL(req.url ?? '/', 'http://fake-drive.invalid');
    if (req.method === 'POST' && url.pathname === '/token') return handleToken(req, res);
    if (url.searchParams.has('key')) stats.apiKeyRequests++;
    if (authRequired) {
      const token = bearerOf(req);
      if (token === null || !validTokens.has(token)) {
        stats.unauthorized++;
        return sendDriveError(res, 401, 'authError', 'Request had invalid authentication credentials.');
      }
    }
    // The user is who the token stands for (an organisation's: its JWT subject, however many tokens each process
    // holds for it); a re-route after a media hook was counted already.
    const bearer = bearerOf(req);
    const refusal = hooked ? null : quota.take((bearer === null ? undefined : tokenSubject.get(bearer)) ?? bearer ?? 'anonymous');
    if (refusal !== null) return sendDriveError(res, refusal.status, refusal.reason, refusal.message, refusal.retryAfter);
    if (req.method !== 'GET') return sendDriveError(res, 405, 'methodNotAllowed', 'Only GET is supported by the fake.');
    const path = url.pathname;
    const token = bearerOf(req);
    const subject = token === null ? undefined : tokenSubject.get(token);
    const isAdmin = subject !== undefined && orgUsers.get(subject)?.isAdmin === true;
    if (path === '/admin/directory/v1/users') {
      stats.directoryRequests++;
      if (!isAdmin) return sendDriveError(res, 403, 'forbidden', 'Not Authorized to access this resource/api');
      const page = usersPage(org?.users ?? [], url);
      return sendJson(res, page.status, page.body);
    }
    if (path === '/drive/v3/drives') return handleDrives(url, res, subject, isAdmin);
    const permMatch = /^\/drive\/v3\/files\/([^/]+)\/permissions$/.exec(path);
    if (permMatch) return handlePermissions(decodeURIComponent(permMatch[1] ?? ''), url, res, subject, isAdmin);
    if (path === '/drive/v3/files') return handleList(url, res, subject);
    const changeRoute = changeLog?.route(path, url, res);
    if (changeRoute) return changeRoute;
    const exportMatch = /^\/export\/([^/]+)$/.exec(path);
    if (exportMatch) return handleExport(decodeURIComponent(exportMatch[1] ?? ''), url, res);
    const driveMatch = /^\/drive\/v3\/drives\/([^/]+)$/.exec(path);
    if (driveMatch) {
      const id = decodeURIComponent(driveMatch[1] ?? '');
      const fault = faults.match('drive', id);
      if (fault?.type === 'status') return sendFault(res, fault);
      const drive = sharedDrives.get(id);
      const adminAccess = isAdmin && url.searchParams.get('useDomainAdminAccess') === 'true';
      if (!drive || !(adminAccess || isMember(id, subject))) return sendDriveError(res, 404, 'notFound', `Shared drive not found: ${id}`);
      return sendJson(res, 200, { kind: 'drive#drive', id: drive.id, name: drive.name });
    }
    const fileMatch = /^\/drive\/v3\/files\/([^/]+)$/.exec(path);
    if (fileMatch) {
      const id = decodeURIComponent(fileMatch[1] ?? '');
      const node = nodes.get(id);
      const allDrives = url.searchParams.get('supportsAllDrives') === 'true';
      const isMedia = url.searchParams.get('alt') === 'media';
      const hook = isMedia && !hooked ? mediaHooks.get(id) : undefined;
      if (hook) {
        mediaHooks.delete(id);
        hook();
        return route(req, res, true);
      }
      if (!node || !visible(node, allDrives, subject)) {
        if (isMedia) stats.mediaRequests++;
        else stats.metadataRequests++;
        const fault = faults.match(isMedia ? 'media' : 'metadata', id);
        if (fault?.type === 'status') return sendFault(res, fault);
        return sendDriveError(res, 404, 'notFound', `File not found: ${id}.`);
      }
      if (isMedia) return handleMedia(node, url, req, res);
      stats.metadataRequests++;
      const fault = faults.match('metadata', id);
      if (fault?.type === 'status') return sendFault(res, fault);
      return sendJson(res, 200, await metadata(node));
    }
    return sendDriveError(res, 404, 'notFound', `Unknown path ${path}`);
  };

  changeLog = new ChangeLog(
    {
      metadata: async (id) => {
        const node = nodes.get(id);
        return node ? metadata(node) : null;
      },
      driveIdOf: (id) => {
        const node = nodes.get(id);
        return node ? driveIdOf(node) : undefined;
      },
    },
    sendJson,
    sendDriveError,
  );

  const server: Server = createServer((req, res) => {
    const fail = (err: unknown): void => {
      if (!res.headersSent) sendDriveError(res, 500, 'internalError', err instanceof Error ? err.message : String(err));
      else res.destroy();
    };
    if ((wan.options.latencyMs ?? 0) > 0) void wan.delay().then(() => route(req, res)).catch(fail);
    else route(req, res).catch(fail);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${address.port}`;

  const need = (id: string): Node => {
    const node = nodes.get(id);
    if (!node) throw new Error(`fake drive: no node ${id}`);
    return node;
  };

  let closing: Promise<void> | null = null;
  return {
    url: baseUrl,
    rootUrl: `${baseUrl}/`,
    tokenUrl: `${baseUrl}/token`,
    get stats() {
      return stats;
    },
    resetStats() {
      stats = emptyStats();
    },
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    addNodes,
    revokeToken(token) {
      validTokens.delete(token);
    },
    acceptToken(token) {
      validTokens.add(token);
    },
    updateFile(id, patch) {
      const old = need(id);
      const previous = Date.parse(old.spec.modifiedTime ?? '2024-01-01T00:00:00.000Z');
      const spec: FakeNodeSpec = {
        ...old.spec,
        ...patch,
        modifiedTime: patch.modifiedTime ?? new Date(previous + 1000).toISOString(),
      };
      if (patch.size !== undefined && patch.content === undefined) delete spec.content;
      nodes.set(id, toNode(spec));
      recordChange(id);
    },
    removeNode(id) {
      const node = need(id);
      const driveId = driveIdOf(node);
      nodes.delete(id);
      unlinkChildren(id, node.spec.parents);
      changeLog?.record(id, driveId);
    },
    moveNode(id, parents) {
      const node = need(id);
      unlinkChildren(id, node.spec.parents);
      node.spec = { ...node.spec, parents };
      linkChildren(id, parents);
      recordChange(id);
    },
    expireChangeTokens: () => changeLog?.expire(),
    get changeRequests() {
      return changeLog?.requests ?? 0;
    },
    beforeNextMedia(id, change) {
      mediaHooks.set(id, change);
    },
    contentOf(id, start = 0, end) {
      const node = need(id);
      const stop = Math.min(end ?? node.size, node.size);
      return node.literal ? Buffer.from(node.literal.subarray(start, stop)) : contentRange(node.seed, start, stop);
    },
    exportContentOf(id, mimeType) {
      const node = need(id);
      return contentRange(exportSeed(id, mimeType), 0, node.spec.exportSize ?? DEFAULT_EXPORT_SIZE);
    },
    trueMd5: async (id) => (await hashesOfNode(need(id))).md5,
    trueHashes: (id) => hashesOfNode(need(id)),
    sizeOf: (id) => need(id).size,
    wan,
    quota,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
