// Removing an object that must not stay (e.g. a verify pass found its md5 wrong). Uploads themselves do not
// need this: they check the md5 in beforeComplete and never create a bad object in the first place.
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { errorMessage } from '../errors.js';
import { redactText } from '../observability/redact.js';
import { s3ErrorDetail } from './s3-errors.js';

/** Delete, never throw: resolves to null on success (or already absent), else a short reason. */
export async function deleteObjectQuietly(client: S3Client, bucket: string, key: string): Promise<string | null> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return null;
  } catch (err) {
    const { name, status } = s3ErrorDetail(err);
    if (name === 'NoSuchKey' || status === 404) return null;
    return `${name}${status === null ? '' : ` (HTTP ${status})`}: ${redactText(errorMessage(err)).split('\n')[0] ?? ''}`;
  }
}
