// Uploads that need no resume: small files and streams of unknown length (Drive exports). One PutObject
// when the whole body fits in one part (size known ≤ part, or an unknown-size stream that ends within the
// first part), else a multipart upload with up to `queueSize` parts in memory / in flight.
// On any failure or abort the multipart upload is aborted before this returns: nothing is left behind.
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectWriteOptions } from './object-metadata.js';
import type { OpenParts, PartDigest } from '../../copy/part-reader.js';
import type { ChecksumMode } from './s3-options.js';
import { runUpload } from './upload-engine.js';
import type { UploadResult, UploadRun } from './upload-engine.js';

export interface StreamingUploadParams {
  client: S3Client;
  bucket: string;
  key: string;
  source: Readable;
  /** Object size when known; null for unknown length (capped at partSize × 10,000, see part-size.ts). */
  size: number | null;
  partSize: number;
  queueSize: number;
  write: ObjectWriteOptions;
  checksum: ChecksumMode;
  /** Fed every byte in order, e.g. ContentDigest.create('sha1'). */
  digest?: PartDigest | null;
  /** Last word before the object is created (compare the checksum here); throwing leaves no object. */
  beforeComplete?: ((info: { bytes: number }) => void | Promise<void>) | null;
  signal?: AbortSignal | null;
  /** Parts from parallel ranges instead of a reader over `source` (copy/range-reader.ts). */
  openParts?: OpenParts | null;
}

/** The engine call both upload kinds make; `resumable` carries what only a resumable upload has. */
export function runParams(
  p: StreamingUploadParams,
  resumable: Pick<UploadRun, 'resume' | 'onCheckpoint' | 'keepUploadOnFailure'> = { resume: null, onCheckpoint: null, keepUploadOnFailure: false },
): Promise<UploadResult> {
  return runUpload(
    { client: p.client, bucket: p.bucket, key: p.key, write: p.write, checksum: p.checksum },
    {
      source: p.source,
      size: p.size,
      partSize: p.partSize,
      queueSize: p.queueSize,
      digest: p.digest ?? null,
      beforeComplete: p.beforeComplete ?? null,
      signal: p.signal ?? null,
      openParts: p.openParts ?? null,
      ...resumable,
    },
  );
}

export async function uploadStream(p: StreamingUploadParams): Promise<UploadResult> {
  return runParams(p);
}
