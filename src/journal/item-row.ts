// A DriveItem is stored as indexed columns plus the remaining fields as JSON, so the key and path are
// not stored twice per row (at 1M rows the duplicate text alone would be ~150 MB).
import type { DriveItem } from '../source/drive/drive-item.js';

/** The columns of a DriveItem that the journal queries; everything else goes to `payload`. */
export interface ItemColumns {
  driveId: string;
  key: string;
  path: string;
  size: number | null;
  md5: string | null;
  mimeType: string;
  modifiedTime: string;
  /** JSON of the DriveItem without the fields above. */
  payload: string;
}

export function toColumns(item: DriveItem): ItemColumns {
  // Fields added to DriveItem later land in `rest` and survive the round trip.
  const { id, key, path, size, md5, mimeType, modifiedTime, ...rest } = item;
  return { driveId: id, key, path, size, md5, mimeType, modifiedTime, payload: JSON.stringify(rest) };
}

export interface StoredItemRow {
  drive_id: string;
  key: string;
  path: string;
  size: number | null;
  md5: string | null;
  mime_type: string;
  modified_time: string | null;
  payload: string;
}

export function fromRow(row: StoredItemRow): DriveItem {
  const rest = JSON.parse(row.payload) as Omit<DriveItem, 'id' | 'key' | 'path' | 'size' | 'md5' | 'mimeType' | 'modifiedTime'>;
  return {
    ...rest,
    id: row.drive_id,
    key: row.key,
    path: row.path,
    size: row.size,
    md5: row.md5,
    mimeType: row.mime_type,
    modifiedTime: row.modified_time ?? '',
  };
}
