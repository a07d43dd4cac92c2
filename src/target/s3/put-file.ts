// The target's whole-object write from a local file: one PutObject, so readers see the old object or the new
// one, never a part (the manifest). Streams from disk, so memory does not grow with the file.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

export async function putFile(client: S3Client, bucket: string, key: string, path: string, contentType: string): Promise<void> {
  const { size } = await stat(path);
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: size, ContentType: contentType }));
}
