// files.list: the query, shared-drive corpora, orderBy and paging as the real client sends them.
import type { ServerResponse } from 'node:http';
import type { FakeDriveContext } from './context.js';
import { fileMetadata } from './metadata.js';
import { parseQuery, QueryError } from './query.js';
import { sendDriveError, sendFault, sendJson } from './respond.js';
import type { Node } from './store.js';
import { FOLDER_MIME, MY_DRIVE_ROOT_ID } from './tree.js';

export async function handleList(ctx: FakeDriveContext, url: URL, res: ServerResponse, subject?: string): Promise<void> {
  const { store, faults, options } = ctx;
  const { nodes, children, sharedDrives } = store;
  const stats = ctx.stats;
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
  if (driveId !== null && (!sharedDrives.has(driveId) || !store.isMember(driveId, subject))) {
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
    if (!store.visible(node, allDrives, subject)) continue;
    // 'root' is the caller's own My Drive: what others own and shared with them is not in it.
    if (parentId === MY_DRIVE_ROOT_ID && subject !== undefined && store.ownersOf(node)?.includes(subject) === false) continue;
    if (driveId !== null && store.driveIdOf(node) !== driveId) continue;
    const s = node.spec;
    if (!predicate({ parents: s.parents, trashed: s.trashed ?? false, mimeType: s.mimeType, name: s.name, sharedWithMe: store.sharedWith(node, subject) })) continue;
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
  const files = await Promise.all(page.map((n) => fileMetadata(ctx, n, subject)));
  const body: Record<string, unknown> = { kind: 'drive#fileList', incompleteSearch: false, files };
  if (offset + pageSize < matched.length) body.nextPageToken = Buffer.from(String(offset + pageSize)).toString('base64url');
  sendJson(res, 200, body);
}
