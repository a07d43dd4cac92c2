// The work item's payload is a DriveItem sent by the supervisor; the child checks its shape before use
// (it trusts nothing that crossed a process boundary unchecked).
import { ItemError } from '../../errors.js';
import type { JsonObject } from '../../ipc/json.js';
import type { DownloadPlan, DriveItem } from './drive-item.js';

function str(v: unknown): v is string {
  return typeof v === 'string';
}

function download(v: unknown): DownloadPlan | null {
  if (typeof v !== 'object' || v === null) return null;
  const d = v as Record<string, unknown>;
  if (d.kind === 'media') return { kind: 'media' };
  if (d.kind === 'export' && str(d.url) && str(d.mimeType) && str(d.extension)) {
    return { kind: 'export', url: d.url, mimeType: d.mimeType, extension: d.extension };
  }
  return null;
}

export function parseDriveItem(payload: JsonObject): DriveItem {
  const p = payload;
  const dl = download(p.download);
  const size = p.size === null || typeof p.size === 'number' ? p.size : undefined;
  const md5 = p.md5 === null || typeof p.md5 === 'string' ? p.md5 : undefined;
  // Absent in payloads journaled before sha1 was listed: those verify with md5.
  const sha1 = p.sha1 === undefined || p.sha1 === null ? null : typeof p.sha1 === 'string' ? p.sha1 : undefined;
  if (!str(p.id) || !str(p.name) || !str(p.path) || !str(p.key) || !str(p.mimeType) || !str(p.contentType) || !str(p.modifiedTime) || size === undefined || md5 === undefined || sha1 === undefined || !dl) {
    throw new ItemError('work item payload is not a Drive item', false, 'bad-payload');
  }
  return { id: p.id, name: p.name, path: p.path, key: p.key, mimeType: p.mimeType, contentType: p.contentType, size, md5, sha1, modifiedTime: p.modifiedTime, download: dl };
}
