// The organisation's directory as the fake answers it: users.list (admins only), drives.list, drives.get and
// permissions.list, each filtered by whom the caller's token stands for.
import type { ServerResponse } from 'node:http';
import type { FakeDriveContext } from './context.js';
import { usersPage } from './org.js';
import { sendDriveError, sendFault, sendJson } from './respond.js';

/** users.list: an organisation's users, for admins only. */
export function handleUsers(ctx: FakeDriveContext, url: URL, res: ServerResponse, isAdmin: boolean): void {
  ctx.stats.directoryRequests++;
  if (!isAdmin) return sendDriveError(res, 403, 'forbidden', 'Not Authorized to access this resource/api');
  const page = usersPage(ctx.options.org?.users ?? [], url);
  return sendJson(res, page.status, page.body);
}

/** drives.list: the drives the caller is a member of, or every drive with useDomainAdminAccess (admins only). */
export function handleDrives(ctx: FakeDriveContext, url: URL, res: ServerResponse, subject: string | undefined, isAdmin: boolean): void {
  const { org } = ctx.options;
  const { sharedDrives } = ctx.store;
  const p = url.searchParams;
  const adminAccess = p.get('useDomainAdminAccess') === 'true';
  if (adminAccess && org !== undefined && !isAdmin) return sendDriveError(res, 403, 'forbidden', 'The user does not have domain administrator access.');
  const all = [...sharedDrives.values()].filter((d) => adminAccess || ctx.store.isMember(d.id, subject));
  const pageSize = Math.min(100, Math.max(1, Number(p.get('pageSize') ?? '10') || 10));
  const pageToken = p.get('pageToken');
  const offset = pageToken === null ? 0 : Number(Buffer.from(pageToken, 'base64url').toString('utf8'));
  const drives = all.slice(offset, offset + pageSize).map((d) => ({ kind: 'drive#drive', id: d.id, name: d.name }));
  const body: Record<string, unknown> = { kind: 'drive#driveList', drives };
  if (offset + pageSize < all.length) body.nextPageToken = Buffer.from(String(offset + pageSize)).toString('base64url');
  sendJson(res, 200, body);
}

/** permissions.list: a shared drive's members (useDomainAdminAccess for admins) or a file's permissions. */
export function handlePermissions(ctx: FakeDriveContext, id: string, url: URL, res: ServerResponse, subject: string | undefined, isAdmin: boolean): void {
  const { store } = ctx;
  const adminAccess = url.searchParams.get('useDomainAdminAccess') === 'true' && (isAdmin || ctx.options.org === undefined);
  const drive = store.sharedDrives.get(id);
  const node = store.nodes.get(id);
  let perms: readonly object[] | undefined;
  if (drive !== undefined && (adminAccess || store.isMember(id, subject))) perms = drive.members ?? [];
  else if (node !== undefined && (adminAccess || store.visible(node, true, subject))) perms = node.spec.permissions ?? [];
  if (perms === undefined) return sendDriveError(res, 404, 'notFound', `File not found: ${id}.`);
  sendJson(res, 200, { kind: 'drive#permissionList', permissions: perms.map((perm) => ({ kind: 'drive#permission', ...perm })) });
}

/** drives.get: a shared drive its caller is a member of (any, for an admin with useDomainAdminAccess). */
export function handleDrive(ctx: FakeDriveContext, id: string, url: URL, res: ServerResponse, subject: string | undefined, isAdmin: boolean): void {
  const fault = ctx.faults.match('drive', id);
  if (fault?.type === 'status') return sendFault(res, fault);
  const drive = ctx.store.sharedDrives.get(id);
  const adminAccess = isAdmin && url.searchParams.get('useDomainAdminAccess') === 'true';
  if (!drive || !(adminAccess || ctx.store.isMember(id, subject))) return sendDriveError(res, 404, 'notFound', `Shared drive not found: ${id}`);
  return sendJson(res, 200, { kind: 'drive#drive', id: drive.id, name: drive.name });
}
