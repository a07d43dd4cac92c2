// A file's size, checksums and modifiedTime as Drive has them now (files.get), for a file that changed or
// went away between listing and download. A plain JSON GET through the auth client: the child does not
// load the generated Drive API (drive-endpoint.ts says why).
import type { DriveEndpoint } from './drive-endpoint.js';
import type { DriveItem } from './drive-item.js';
import { paced } from './pacer.js';
import type { Pacer } from './pacer.js';
import { classifyDriveError } from './retry.js';

const FIELDS = 'id,size,md5Checksum,sha1Checksum,modifiedTime,trashed';

interface FileMetadata {
  size?: string;
  md5Checksum?: string;
  sha1Checksum?: string;
  modifiedTime?: string;
  trashed?: boolean;
}

/** The item as Drive describes it now; null when the file is gone (404 notFound, or trashed). */
export async function freshItem(drive: DriveEndpoint, pacer: Pacer, item: DriveItem, signal: AbortSignal): Promise<DriveItem | null> {
  const url = new URL(`drive/v3/files/${encodeURIComponent(item.id)}`, drive.rootUrl);
  url.searchParams.set('fields', FIELDS);
  url.searchParams.set('supportsAllDrives', 'true');
  let meta: FileMetadata;
  try {
    meta = (await paced(pacer, signal, () => drive.auth.request<FileMetadata>({ url: url.href, responseType: 'json', retry: false, signal }))).data;
  } catch (err) {
    const error = classifyDriveError(err);
    if (error.code === 'not-found') return null;
    throw error;
  }
  if (meta.trashed === true) return null;
  return {
    ...item,
    size: meta.size === undefined ? item.size : Number(meta.size),
    md5: meta.md5Checksum ?? null,
    sha1: meta.sha1Checksum ?? null,
    modifiedTime: meta.modifiedTime ?? item.modifiedTime,
  };
}
