// The target's delete: removes one object (a file gone from Drive under --deletes delete, issue 22).
// S3 answers 204 for a key that does not exist, so a repeated delete after a crash is harmless.
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

export async function deleteObject(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), signal ? { abortSignal: signal } : {});
}
