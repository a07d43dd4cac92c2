// A node as files.get and files.list answer it: the Drive v3 file resource the real client reads.
import type { FakeDriveContext } from './context.js';
import { hasBinaryContent } from './store.js';
import type { Node } from './store.js';
import { SHORTCUT_MIME, WORKSPACE_EXPORTS } from './tree.js';

/** `subject`: whom the request stands for (Drive serves `permissions` only to who may share the file). */
export async function fileMetadata(ctx: FakeDriveContext, node: Node, subject?: string): Promise<Record<string, unknown>> {
  const { store } = ctx;
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
  const driveId = store.driveIdOf(node);
  if (driveId !== undefined) out.driveId = driveId;
  const owners = driveId === undefined ? store.ownersOf(node) : undefined;
  if (owners !== undefined) out.owners = owners.map((emailAddress) => ({ kind: 'drive#user', emailAddress }));
  if (spec.permissions !== undefined && store.canShare(node, subject)) out.permissions = spec.permissions.map((perm) => ({ kind: 'drive#permission', ...perm }));
  if (spec.mimeType === SHORTCUT_MIME && spec.shortcutTargetId !== undefined) {
    const target = store.nodes.get(spec.shortcutTargetId);
    out.shortcutDetails = { targetId: spec.shortcutTargetId, targetMimeType: target?.spec.mimeType ?? 'application/octet-stream' };
  } else if (hasBinaryContent(spec.mimeType)) {
    out.size = String(node.size);
    const md5 = spec.md5 ?? 'real';
    const sha1 = spec.sha1 ?? (md5 === 'real' ? 'real' : 'none');
    if (md5 === 'real') out.md5Checksum = (await store.hashesOfNode(node)).md5;
    else if (md5 !== 'none') out.md5Checksum = md5;
    if (sha1 === 'real') out.sha1Checksum = (await store.hashesOfNode(node)).sha1;
    else if (sha1 !== 'none') out.sha1Checksum = sha1;
  } else {
    const formats = WORKSPACE_EXPORTS[spec.mimeType] ?? [];
    if (formats.length > 0) {
      out.exportLinks = Object.fromEntries(
        formats.map((m) => [m, `${ctx.baseUrl}/export/${encodeURIComponent(spec.id)}?mimeType=${encodeURIComponent(m)}`]),
      );
    }
  }
  return out;
}
