// Aborting multipart uploads, one or all under a prefix, so a finished run leaves no incomplete uploads
// (whose parts are billed until aborted or expired by a lifecycle rule).
//
// Some S3-compatible stores implement multipart only partly; s3rver 3.7, for one, has no
// AbortMultipartUpload, ListParts or ListMultipartUploads. Those calls report `unsupported` instead of failing
// the run; a bucket lifecycle rule (AbortIncompleteMultipartUpload) is the safety net there.
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3ErrorDetail } from './s3-errors.js';
import type { AbortOutcome } from '../target.js';

export type { AbortOutcome } from '../target.js';

/** The store does not implement the operation (501 NotImplemented, 405 MethodNotAllowed). */
export function isUnsupportedOperation(err: unknown): boolean {
  const { name, status } = s3ErrorDetail(err);
  return name === 'NotImplemented' || name === 'MethodNotAllowed' || status === 501 || status === 405;
}

export async function abortUpload(client: S3Client, bucket: string, key: string, uploadId: string): Promise<AbortOutcome> {
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    return 'aborted';
  } catch (err) {
    const { name, status } = s3ErrorDetail(err);
    if (name === 'NoSuchUpload' || status === 404) return 'gone';
    if (isUnsupportedOperation(err)) return 'unsupported';
    throw err;
  }
}

/** abortUpload for clean-up paths that are already failing: never throws, says what happened. */
export async function abortMultipartQuietly(client: S3Client, bucket: string, key: string, uploadId: string): Promise<AbortOutcome> {
  try {
    return await abortUpload(client, bucket, key, uploadId);
  } catch {
    // The attempt's own error is what the caller reports; the upload is left to abortIncompleteUploads.
    return 'failed';
  }
}

export type IncompleteUpload = { key: string; uploadId: string; initiated: string | null };

/**
 * Incomplete multipart uploads whose key starts with `prefix`; null when the store cannot list them.
 * Pass the run's prefix: an empty prefix means the whole bucket, other writers' uploads included.
 */
export async function listIncompleteUploads(client: S3Client, bucket: string, prefix: string): Promise<IncompleteUpload[] | null> {
  const uploads: IncompleteUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await client.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix || undefined, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
      );
    } catch (err) {
      if (isUnsupportedOperation(err)) return null;
      throw err;
    }
    for (const u of page.Uploads ?? []) {
      if (u.Key && u.UploadId) uploads.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated?.toISOString() ?? null });
    }
    if (!page.IsTruncated) return uploads;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
    if (!keyMarker && !uploadIdMarker) return uploads;
  }
}

export type CleanupReport = { supported: boolean; aborted: number; failed: number; kept: number };

/**
 * Abort every incomplete upload under `prefix` except `keepUploadIds` (checkpoints a later run may resume).
 * `prefix` should end with '/' when it names a folder, so 'a/b' does not also match 'a/bc/...'.
 */
export async function abortIncompleteUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
  keepUploadIds: ReadonlySet<string> = new Set(),
): Promise<CleanupReport> {
  const uploads = await listIncompleteUploads(client, bucket, prefix);
  if (uploads === null) return { supported: false, aborted: 0, failed: 0, kept: 0 };
  const report: CleanupReport = { supported: true, aborted: 0, failed: 0, kept: 0 };
  for (const u of uploads) {
    if (keepUploadIds.has(u.uploadId)) {
      report.kept += 1;
      continue;
    }
    const outcome = await abortMultipartQuietly(client, bucket, u.key, u.uploadId);
    if (outcome === 'aborted' || outcome === 'gone') report.aborted += 1;
    else report.failed += 1;
  }
  return report;
}
