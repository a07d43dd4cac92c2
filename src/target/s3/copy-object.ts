// The target's server-side copy (issue 22): a renamed or moved file's object is copied from its old key by
// S3 itself, so a rename costs one request instead of the file's bytes from Drive. The new object carries
// the new item's metadata (its Drive path changed), hence MetadataDirective REPLACE.
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3ErrorDetail } from './s3-errors.js';
import type { ObjectWriteOptions } from './object-metadata.js';
import { writeParams } from './object-metadata.js';

/** S3's limit for one CopyObject; a larger object needs UploadPartCopy, which this does not do. */
export const COPY_OBJECT_MAX_BYTES = 5 * 1024 ** 3;

/** The store does not implement CopyObject (or refuses it for every object): copy from the source instead. */
export class CopyObjectRefusedError extends Error {
  constructor(readonly detail: string) {
    super(`the S3 store refused CopyObject (${detail})`);
    this.name = 'CopyObjectRefusedError';
  }
}

const REFUSED = new Set(['NotImplemented', 'MethodNotAllowed', 'InvalidRequest']);

export type ServerCopyResult = { kind: 'copied'; etag: string | null } | { kind: 'missing' } | { kind: 'too-large' };

/**
 * A key as a copy source: percent-encoded, but '@', ':' and ',' (path characters every store reads as they are)
 * left plain, because s3rver (and stores built the same way) decode the header with decodeURI, which leaves
 * %40 encoded: every users/<email>/ key would be "missing".
 */
export function copySourcePath(key: string): string {
  return key.split('/').map((s) => encodeURIComponent(s).replace(/%40/g, '@').replace(/%3A/g, ':').replace(/%2C/g, ',')).join('/');
}

/**
 * Copy `fromKey` to `toKey` inside the bucket. 'missing': the old object is not there (deleted meanwhile);
 * 'too-large': over COPY_OBJECT_MAX_BYTES. Throws CopyObjectRefusedError when the store has no CopyObject.
 */
export async function copyObjectInBucket(
  client: S3Client,
  c: { bucket: string; fromKey: string; toKey: string; size: number; write: ObjectWriteOptions; signal?: AbortSignal },
): Promise<ServerCopyResult> {
  if (c.size > COPY_OBJECT_MAX_BYTES) return { kind: 'too-large' };
  try {
    const res = await client.send(
      new CopyObjectCommand({
        Bucket: c.bucket,
        Key: c.toKey,
        CopySource: `${c.bucket}/${copySourcePath(c.fromKey)}`,
        MetadataDirective: 'REPLACE',
        ...writeParams(c.write),
      }),
      c.signal ? { abortSignal: c.signal } : {},
    );
    return { kind: 'copied', etag: res.CopyObjectResult?.ETag ?? null };
  } catch (err) {
    const { name, status } = s3ErrorDetail(err);
    if (name === 'NoSuchKey' || status === 404) return { kind: 'missing' };
    if (REFUSED.has(name) || status === 501 || status === 405) throw new CopyObjectRefusedError(status === null ? name : `${name}, HTTP ${status}`);
    throw err;
  }
}
