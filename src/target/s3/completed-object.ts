// Is the object at a key already this Drive file, complete? Asked before a resume re-reads anything and when
// CompleteMultipartUpload fails: a child killed between Complete and the journal's "done" leaves a right
// object and a checkpoint of an upload that no longer exists (issue 20, point 3). Completing it again can
// never work (s3rver: InternalError; AWS: NoSuchUpload), and re-reading the file from Drive is waste.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TargetItem } from '../target.js';
import { readObjectMetadata } from './object-metadata.js';
import type { StoredObjectInfo } from './object-metadata.js';
import { unquoteEtag } from './upload-engine.js';
import type { MultipartCheckpoint } from './upload-engine.js';

/** The ETag S3 gives a multipart object: md5 of the concatenated binary part md5s, "-", the part count. */
export function multipartEtag(parts: readonly { etag: string }[]): string | null {
  if (parts.length === 0 || !parts.every((p) => /^[0-9a-f]{32}$/i.test(p.etag))) return null;
  const md5 = createHash('md5');
  for (const p of parts) md5.update(Buffer.from(p.etag, 'hex'));
  return `${md5.digest('hex')}-${parts.length}`;
}

/**
 * True when `stored` is `item`'s content: written for this Drive file id, with its size, and either the
 * Drive md5 in its metadata (set at CreateMultipartUpload; Complete only runs after the bytes matched Drive's
 * checksum) or the ETag that the checkpoint's parts, covering the whole file, imply.
 */
export function isCompleteCopy(stored: StoredObjectInfo, item: Pick<TargetItem, 'id' | 'size' | 'md5'>, checkpoint: MultipartCheckpoint | null): boolean {
  if (stored.driveFileId !== item.id || item.size === null || stored.size !== item.size) return false;
  if (item.md5 !== null && stored.md5 === item.md5.toLowerCase()) return true;
  if (checkpoint === null || stored.etag === null) return false;
  const covered = checkpoint.parts.reduce((sum, p) => sum + p.size, 0);
  return covered === item.size && unquoteEtag(stored.etag) === multipartEtag(checkpoint.parts);
}

/** HEAD the key; the stored object when it is already this file, complete, else null. */
export async function findCompletedObject(
  client: S3Client,
  bucket: string,
  item: Pick<TargetItem, 'id' | 'size' | 'md5' | 'key'>,
  checkpoint: MultipartCheckpoint | null,
  signal: AbortSignal,
): Promise<StoredObjectInfo | null> {
  const stored = await readObjectMetadata(client, bucket, item.key, signal);
  return stored !== null && isCompleteCopy(stored, item, checkpoint) ? stored : null;
}
