// The organisation's directory and shared drives, read by the supervisor only (children never load
// @googleapis/admin): users.list (customer my_customer, paged) as the admin a service account impersonates,
// and drives.list with useDomainAdminAccess.
import { admin } from '@googleapis/admin';
import type { DriveAuth } from './auth.js';
import type { Drive } from './drive-client.js';

export const DIRECTORY_USER_READONLY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';

export interface DirectoryUser {
  email: string;
  suspended: boolean;
}

/** How each directory request is sent: paced and retried by the caller (org-sources.ts adminCall). */
export type RequestCall = <T>(send: () => Promise<T>) => Promise<T>;

const direct: RequestCall = (send) => send();

export interface SharedDriveRef {
  id: string;
  name: string;
}

/** Every user of the customer's directory, suspended ones included (the caller decides), in directory order. */
export async function listDirectoryUsers(auth: DriveAuth, rootUrl?: string, call: RequestCall = direct): Promise<DirectoryUser[]> {
  const directory = admin({ version: 'directory_v1', auth, retry: false, ...(rootUrl === undefined ? {} : { rootUrl }) });
  const users: DirectoryUser[] = [];
  let pageToken: string | undefined;
  do {
    const page = pageToken;
    const res = await call(() => directory.users.list({ customer: 'my_customer', maxResults: 500, orderBy: 'email', ...(page === undefined ? {} : { pageToken: page }) }));
    for (const u of res.data.users ?? []) {
      if (typeof u.primaryEmail === 'string' && u.primaryEmail !== '') users.push({ email: u.primaryEmail, suspended: u.suspended === true });
    }
    pageToken = res.data.nextPageToken ?? undefined;
  } while (pageToken !== undefined);
  return users;
}

/** Every shared drive of the domain (drives.list with useDomainAdminAccess, as an admin). */
export async function listSharedDrives(drive: Drive, call: RequestCall = direct): Promise<SharedDriveRef[]> {
  const drives: SharedDriveRef[] = [];
  let pageToken: string | undefined;
  do {
    const page = pageToken;
    const res = await call(() => drive.drives.list({ useDomainAdminAccess: true, pageSize: 100, ...(page === undefined ? {} : { pageToken: page }) }));
    for (const d of res.data.drives ?? []) {
      if (typeof d.id === 'string' && typeof d.name === 'string') drives.push({ id: d.id, name: d.name });
    }
    pageToken = res.data.nextPageToken ?? undefined;
  } while (pageToken !== undefined);
  return drives;
}

/** An organizer of a shared drive (permissions.list with useDomainAdminAccess), the identity its files are read as. */
export async function findOrganizer(drive: Drive, driveId: string, call: RequestCall = direct): Promise<string | undefined> {
  let pageToken: string | undefined;
  do {
    const page = pageToken;
    const res = await call(() => drive.permissions.list({
      fileId: driveId,
      supportsAllDrives: true,
      useDomainAdminAccess: true,
      fields: 'nextPageToken,permissions(role,type,emailAddress)',
      ...(page === undefined ? {} : { pageToken: page }),
    }));
    const organizer = (res.data.permissions ?? []).find((p) => p.role === 'organizer' && p.type === 'user' && typeof p.emailAddress === 'string');
    if (organizer?.emailAddress) return organizer.emailAddress;
    pageToken = res.data.nextPageToken ?? undefined;
  } while (pageToken !== undefined);
  return undefined;
}
