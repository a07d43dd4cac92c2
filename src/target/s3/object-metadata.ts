// What every copied object carries about its Drive source, and how to read it back (--skip-existing, verify).
//
// S3 user metadata travels in HTTP headers (x-amz-meta-*), so values must be ASCII; S3 also caps all user
// metadata at 2 KB. Ids, md5 and timestamps are ASCII already. The Drive path is not: it is stored
// percent-encoded with encodeURIComponent (decode with decodeURIComponent) and, when the encoded form is
// longer than MAX_ENCODED_PATH, truncated at a character boundary with `drive-path-truncated: true`.
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TargetItem } from '../target.js';
import type { S3TargetOptions, SseMode } from './s3-options.js';
import type { StorageClass } from '@aws-sdk/client-s3';

export const META_FILE_ID = 'drive-file-id';
export const META_MD5 = 'drive-md5';
export const META_MODIFIED_TIME = 'drive-modified-time';
export const META_PATH = 'drive-path';
export const META_PATH_TRUNCATED = 'drive-path-truncated';
/** rclone's modification time (seconds since the epoch, as a decimal), so rclone check/sync can take over. */
export const META_MTIME = 'mtime';

/** Leaves room under S3's 2 KB user-metadata limit for the other fields and the x-amz-meta- names. */
export const MAX_ENCODED_PATH = 1536;

/** Everything a PutObject / CreateMultipartUpload needs besides bucket, key and body. */
export type ObjectWriteOptions = {
  contentType: string;
  metadata: Record<string, string>;
  storageClass: StorageClass | null;
  sse: SseMode | null;
  kmsKeyId: string | null;
};

/** Drive's RFC 3339 modifiedTime as rclone's mtime value ("1704164645.678000000"); null when unparseable. */
export function rcloneMtime(modifiedTime: string): string | null {
  const ms = Date.parse(modifiedTime);
  if (!Number.isFinite(ms)) return null;
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return `${seconds}.${String(nanos).padStart(9, '0')}`;
}

/** The percent-encoded path, cut at a whole character when it would not fit. */
export function encodePathForMetadata(path: string): { value: string; truncated: boolean } {
  const full = encodeURIComponent(path);
  if (full.length <= MAX_ENCODED_PATH) return { value: full, truncated: false };
  let value = '';
  // Iterate by code point so a surrogate pair is never split (encodeURIComponent throws on a lone one).
  for (const ch of path) {
    const next = value + encodeURIComponent(ch);
    if (next.length > MAX_ENCODED_PATH) break;
    value = next;
  }
  return { value, truncated: true };
}

export function driveMetadata(item: Pick<TargetItem, 'id' | 'md5' | 'modifiedTime' | 'path'>): Record<string, string> {
  const path = encodePathForMetadata(item.path);
  const meta: Record<string, string> = {
    [META_FILE_ID]: item.id,
    [META_MODIFIED_TIME]: item.modifiedTime,
    [META_PATH]: path.value,
  };
  if (item.md5) meta[META_MD5] = item.md5.toLowerCase();
  const mtime = rcloneMtime(item.modifiedTime);
  if (mtime) meta[META_MTIME] = mtime;
  if (path.truncated) meta[META_PATH_TRUNCATED] = 'true';
  return meta;
}

export function objectWriteOptions(opts: S3TargetOptions, item: TargetItem): ObjectWriteOptions {
  return {
    contentType: item.contentType,
    metadata: driveMetadata(item),
    storageClass: opts.storageClass,
    sse: opts.sse,
    kmsKeyId: opts.kmsKeyId,
  };
}

/** The write options as SDK command fields (shared by PutObject and CreateMultipartUpload). */
export function writeParams(w: ObjectWriteOptions): {
  ContentType: string;
  Metadata: Record<string, string>;
  StorageClass?: StorageClass;
  ServerSideEncryption?: SseMode;
  SSEKMSKeyId?: string;
} {
  return {
    ContentType: w.contentType,
    Metadata: w.metadata,
    ...(w.storageClass ? { StorageClass: w.storageClass } : {}),
    ...(w.sse ? { ServerSideEncryption: w.sse } : {}),
    ...(w.kmsKeyId ? { SSEKMSKeyId: w.kmsKeyId } : {}),
  };
}

export type StoredObjectInfo = {
  size: number;
  etag: string | null;
  contentType: string | null;
  driveFileId: string | null;
  md5: string | null;
  modifiedTime: string | null;
  /** Decoded Drive path (a prefix of it when pathTruncated). */
  path: string | null;
  pathTruncated: boolean;
};

function decodePath(value: string | undefined): string | null {
  if (value === undefined) return null;
  try {
    return decodeURIComponent(value);
  } catch {
    // Written by something else: return it as stored rather than fail a --skip-existing check.
    return value;
  }
}

function isNotFound(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/** HeadObject and decode our metadata; null when the object does not exist. Other errors propagate. */
export async function readObjectMetadata(
  client: S3Client,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): Promise<StoredObjectInfo | null> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), signal ? { abortSignal: signal } : {});
    // The SDK lower-cases user-metadata names.
    const meta = head.Metadata ?? {};
    return {
      size: head.ContentLength ?? 0,
      etag: head.ETag ?? null,
      contentType: head.ContentType ?? null,
      driveFileId: meta[META_FILE_ID] ?? null,
      md5: meta[META_MD5] ?? null,
      modifiedTime: meta[META_MODIFIED_TIME] ?? null,
      path: decodePath(meta[META_PATH]),
      pathTruncated: meta[META_PATH_TRUNCATED] === 'true',
    };
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/**
 * True when the stored object is this Drive item's current content (for --skip-existing): same file id and
 * md5 when Drive has one; otherwise same modifiedTime, and same size when the size is known.
 */
export function matchesDriveItem(info: StoredObjectInfo, item: Pick<TargetItem, 'id' | 'md5' | 'modifiedTime' | 'size'>): boolean {
  if (info.driveFileId !== item.id) return false;
  if (item.md5) return info.md5 === item.md5.toLowerCase();
  if (info.modifiedTime !== item.modifiedTime) return false;
  return item.size === null || info.size === item.size;
}
