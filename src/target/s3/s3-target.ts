// The S3 target behind the copy's Target interface (target/target.ts): one client and bucket, the
// configured part size, queue and checksum mode, and this file's modules doing the work.
import type { S3Client } from '@aws-sdk/client-s3';
import type { ItemError } from '../../errors.js';
import type { JsonObject } from '../../ipc/json.js';
import type { AbortOutcome, MultipartCheckpoint, ResumePlan, StoredObject, Target, TargetItem, UploadRequest, UploadResult } from '../target.js';
import { findCompletedObject } from './completed-object.js';
import { deleteObject } from './delete-object.js';
import { abortMultipartQuietly } from './multipart-cleanup.js';
import { matchesDriveItem, objectWriteOptions, readObjectMetadata } from './object-metadata.js';
import { choosePartSize } from './part-size.js';
import { parseCheckpoint, prepareResume } from './resume-plan.js';
import { S3_UNREACHABLE } from './s3-errors.js';
import type { S3TargetOptions } from './s3-options.js';
import { upload } from './upload-engine.js';

export class S3Target implements Target {
  readonly service = 's3';

  constructor(
    private readonly client: S3Client,
    private readonly options: S3TargetOptions,
  ) {}

  partSize(size: number | null): number {
    return choosePartSize(size, this.options.partSizeMb);
  }

  head(key: string, signal: AbortSignal): Promise<StoredObject | null> {
    return readObjectMetadata(this.client, this.options.bucket, key, signal);
  }

  async current(item: TargetItem, signal: AbortSignal): Promise<StoredObject | null> {
    const stored = await readObjectMetadata(this.client, this.options.bucket, item.key, signal);
    return stored && matchesDriveItem(stored, item) ? stored : null;
  }

  findComplete(item: TargetItem, checkpoint: MultipartCheckpoint | null, signal: AbortSignal): Promise<StoredObject | null> {
    return findCompletedObject(this.client, this.options.bucket, item, checkpoint, signal);
  }

  parseCheckpoint(json: JsonObject | null): MultipartCheckpoint | null {
    return parseCheckpoint(json);
  }

  prepareResume(key: string, partSize: number, checkpoint: JsonObject | null): Promise<ResumePlan> {
    return prepareResume(this.client, this.options.bucket, key, partSize, checkpoint);
  }

  upload(r: UploadRequest): Promise<UploadResult> {
    const { bucket, checksum, uploadQueueSize } = this.options;
    return upload({
      client: this.client,
      bucket,
      key: r.item.key,
      write: objectWriteOptions(this.options, r.item),
      checksum,
      bytes: r.bytes,
      size: r.item.size,
      partSize: r.partSize,
      queueSize: uploadQueueSize,
      digest: r.digest,
      beforeComplete: r.beforeComplete,
      signal: r.signal,
      ...(r.resumable ? { resume: r.resume, onCheckpoint: r.onCheckpoint, keepUploadOnFailure: true } : {}),
    });
  }

  abort(key: string, uploadId: string): Promise<AbortOutcome> {
    return abortMultipartQuietly(this.client, this.options.bucket, key, uploadId);
  }

  delete(key: string, signal: AbortSignal): Promise<void> {
    return deleteObject(this.client, this.options.bucket, key, signal);
  }

  unreachable(err: ItemError): boolean {
    return S3_UNREACHABLE.has(err.code);
  }

  close(): void {
    this.client.destroy();
  }
}
