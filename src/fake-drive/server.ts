// A fake Google Drive v3 REST server: the subset the real @googleapis/drive client uses to list and
// download, reached through the client's `rootUrl`. Content is generated (see content.ts), so GB files cost
// no memory; faults are injected per route, file and request number (see faults.ts). This file is the shell
// that routes; each API area has its own file.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeDrive, FakeDriveOptions } from './api.js';
import { FakeAuth } from './auth.js';
import { ChangeLog } from './changes.js';
import { contentRange } from './content.js';
import type { FakeDriveContext } from './context.js';
import { handleDrive, handleDrives, handlePermissions, handleUsers } from './directory.js';
import { FaultTable } from './faults.js';
import { handleList } from './files-list.js';
import { DEFAULT_EXPORT_SIZE, handleExport, handleMedia } from './media.js';
import { fileMetadata } from './metadata.js';
import { UserQuota } from './quota.js';
import { bearerOf, sendDriveError, sendFault, sendJson } from './respond.js';
import { emptyStats } from './stats.js';
import { exportSeed, NodeStore } from './store.js';
import { FOLDER_MIME, generateTree, MY_DRIVE_ROOT_ID } from './tree.js';
import { Wan } from './wan.js';

export type { FakeDrive, FakeDriveOptions, FakeFilePatch, FakeOAuthClient } from './api.js';
export type { FakeDriveStats } from './stats.js';

export async function startFakeDrive(options: FakeDriveOptions = {}): Promise<FakeDrive> {
  const store = new NodeStore(options.sharedDrives ?? []);
  const { nodes } = store;
  const mediaHooks = new Map<string, () => void>();
  const auth = new FakeAuth(options);
  const { validTokens, tokenSubject, orgUsers } = auth;
  const quota = new UserQuota(options.quota ?? null);
  const ctx: FakeDriveContext = { options, store, faults: new FaultTable(), wan: new Wan(options.wan), stats: emptyStats(), baseUrl: '' };
  const { faults, wan } = ctx;

  store.addNodes([{ id: MY_DRIVE_ROOT_ID, name: 'My Drive', parents: [], mimeType: FOLDER_MIME }]);
  for (const g of options.generate ?? []) store.addNodes(generateTree(g));
  store.addNodes(options.nodes ?? []);

  const route = async (req: IncomingMessage, res: ServerResponse, hooked = false): Promise<void> => {
    ctx.stats.requests++;
    const url = new URL(req.url ?? '/', 'http://fake-drive.invalid');
    if (req.method === 'POST' && url.pathname === '/token') return auth.handleToken(ctx, req, res);
    if (url.searchParams.has('key')) ctx.stats.apiKeyRequests++;
    if (auth.authRequired) {
      const token = bearerOf(req);
      if (token === null || !validTokens.has(token)) {
        ctx.stats.unauthorized++;
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
    if (path === '/admin/directory/v1/users') return handleUsers(ctx, url, res, isAdmin);
    if (path === '/drive/v3/drives') return handleDrives(ctx, url, res, subject, isAdmin);
    const permMatch = /^\/drive\/v3\/files\/([^/]+)\/permissions$/.exec(path);
    if (permMatch) return handlePermissions(ctx, decodeURIComponent(permMatch[1] ?? ''), url, res, subject, isAdmin);
    if (path === '/drive/v3/files') return handleList(ctx, url, res, subject);
    const changeRoute = store.changeLog?.route(path, url, res, subject);
    if (changeRoute) return changeRoute;
    const exportMatch = /^\/export\/([^/]+)$/.exec(path);
    if (exportMatch) return handleExport(ctx, decodeURIComponent(exportMatch[1] ?? ''), url, res);
    const driveMatch = /^\/drive\/v3\/drives\/([^/]+)$/.exec(path);
    if (driveMatch) return handleDrive(ctx, decodeURIComponent(driveMatch[1] ?? ''), url, res, subject, isAdmin);
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
      if (!node || !store.visible(node, allDrives, subject)) {
        if (isMedia) ctx.stats.mediaRequests++;
        else ctx.stats.metadataRequests++;
        const fault = faults.match(isMedia ? 'media' : 'metadata', id);
        if (fault?.type === 'status') return sendFault(res, fault);
        return sendDriveError(res, 404, 'notFound', `File not found: ${id}.`);
      }
      if (isMedia) return handleMedia(ctx, node, url, req, res);
      ctx.stats.metadataRequests++;
      const fault = faults.match('metadata', id);
      if (fault?.type === 'status') return sendFault(res, fault);
      return sendJson(res, 200, await fileMetadata(ctx, node, subject));
    }
    return sendDriveError(res, 404, 'notFound', `Unknown path ${path}`);
  };

  store.changeLog = new ChangeLog(
    {
      metadata: async (id) => {
        const node = nodes.get(id);
        return node ? fileMetadata(ctx, node) : null;
      },
      driveIdOf: (id) => {
        const node = nodes.get(id);
        return node ? store.driveIdOf(node) : undefined;
      },
      visibleTo: (id, subject) => {
        const node = nodes.get(id);
        return node !== undefined && store.visible(node, false, subject);
      },
      isMember: (driveId, subject) => store.isMember(driveId, subject),
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
  const baseUrl = `http://127.0.0.1:${address.port}`;
  ctx.baseUrl = baseUrl;

  let closing: Promise<void> | null = null;
  return {
    url: baseUrl,
    rootUrl: `${baseUrl}/`,
    tokenUrl: `${baseUrl}/token`,
    get stats() {
      return ctx.stats;
    },
    resetStats() {
      ctx.stats = emptyStats();
    },
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    addNodes: (specs) => store.addNodes(specs),
    revokeToken(token) {
      validTokens.delete(token);
    },
    acceptToken(token) {
      validTokens.add(token);
    },
    updateFile: (id, patch) => store.updateFile(id, patch),
    removeNode: (id) => store.removeNode(id),
    moveNode: (id, parents) => store.moveNode(id, parents),
    expireChangeTokens: (feed) => store.changeLog?.expire(feed),
    get changeRequests() {
      return store.changeLog?.requests ?? 0;
    },
    beforeNextMedia(id, change) {
      mediaHooks.set(id, change);
    },
    contentOf(id, start = 0, end) {
      const node = store.need(id);
      const stop = Math.min(end ?? node.size, node.size);
      return node.literal ? Buffer.from(node.literal.subarray(start, stop)) : contentRange(node.seed, start, stop);
    },
    exportContentOf(id, mimeType) {
      const node = store.need(id);
      return contentRange(exportSeed(id, mimeType), 0, node.spec.exportSize ?? DEFAULT_EXPORT_SIZE);
    },
    trueMd5: async (id) => (await store.hashesOfNode(store.need(id))).md5,
    trueHashes: (id) => store.hashesOfNode(store.need(id)),
    sizeOf: (id) => store.need(id).size,
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
