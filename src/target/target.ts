// What the copy needs of a target (rclone's fs.Fs put/remove side): what is stored at a key, a multipart
// upload that can resume from a checkpoint, its completion or abort, and delete. The copy loop depends on
// this interface; target/s3/ implements it (s3-target.ts).
import { ItemError } from '../errors.js';
import type { JsonObject } from '../ipc/json.js';
import type { OpenParts, PartDigest } from '../copy/part-reader.js';
import type { ByteSource } from '../source/byte-source.js';

/** What the target stores of an item besides its bytes (a SourceItem is one). */
export type TargetItem = {
  id: string;
  key: string;
  path: string;
  contentType: string;
  size: number | null;
  md5: string | null;
  modifiedTime: string;
};

/** An object at a key, as far as the copy asks. */
export type StoredObject = {
  size: number;
  etag: string | null;
};

/** One uploaded part as the checkpoint records it (JSON-safe). */
export type UploadedPart = {
  partNumber: number;
  etag: string;
  size: number;
  /** The part's CRC32 when uploaded with --s3-checksum when-supported (CompleteMultipartUpload needs it). */
  crc32: string | null;
};

/**
 * Resumable state of one multipart upload. `parts` are always 1..k, contiguous, so the bytes
 * [0, sum of sizes) are in the target and a resumed source starts there (see resumeOffset).
 */
export type MultipartCheckpoint = {
  uploadId: string;
  key: string;
  partSize: number;
  parts: UploadedPart[];
};

export type ResumePlan =
  /** verified: false when the store cannot list parts (s3rver) and the checkpoint was trusted as is. */
  | { resume: MultipartCheckpoint; verified: boolean; droppedParts: number }
  | { resume: null; reason: 'no-checkpoint' | 'invalid-checkpoint' | 'settings-changed' | 'upload-gone' };

export interface UploadResult {
  etag: string;
  /** Object size in bytes. */
  bytes: number;
  method: 'put' | 'multipart';
  parts: number;
  /** Parts reused from the checkpoint. */
  resumedParts: number;
  uploadId: string | null;
}

export type AbortOutcome = 'aborted' | 'gone' | 'unsupported' | 'failed';

/** Bytes already in the target according to a checkpoint: where the resumed source must start. */
export function resumeOffset(resume: MultipartCheckpoint | null): number {
  return resume ? resume.parts.reduce((sum, p) => sum + p.size, 0) : 0;
}

/**
 * Completing the upload failed after every part was uploaded: the caller should look whether the object is
 * there already before anything else, since completing again may never work. `reason` is the target's
 * reading of it: the upload is gone, the server failed, or something else.
 */
export class CompleteFailedError extends ItemError {
  override readonly name = 'CompleteFailedError';
  constructor(
    cause: ItemError,
    readonly uploadId: string,
    readonly reason: 'upload-gone' | 'server-error' | 'other',
  ) {
    super(cause.message, cause.retryable, cause.code);
  }
}

/**
 * Where an upload's bytes come from: one source from resumeOffset(resume) on (destroyed on failure or abort),
 * or parts read elsewhere (parallel ranges, copy/range-reader.ts), opened where the upload starts.
 */
export type UploadBytes = { source: ByteSource } | { openParts: OpenParts };

export interface UploadRequest {
  item: TargetItem;
  bytes: UploadBytes;
  partSize: number;
  /** Keep the upload when an attempt fails, checkpointing each part, so a later attempt resumes it. */
  resumable: boolean;
  resume: MultipartCheckpoint | null;
  /** Once after the upload is created, then once per part in part-number order (resumable only). */
  onCheckpoint: ((state: MultipartCheckpoint) => void) | null;
  /** Fed every byte read, in order, each update within one part. */
  digest: PartDigest | null;
  /** Last word before the object is created (compare the checksum here); throwing leaves no object. */
  beforeComplete: (info: { bytes: number }) => void | Promise<void>;
  signal: AbortSignal;
}

export interface Target {
  /** The service's name in outage reports ('s3'); retry counts name it by the code table (error-codes.ts). */
  readonly service: string;
  /** The part size for an object of `size` bytes (null: unknown). */
  partSize(size: number | null): number;
  head(key: string, signal: AbortSignal): Promise<StoredObject | null>;
  /** The object at the item's key when it already holds this version of it (--skip-existing), else null. */
  current(item: TargetItem, signal: AbortSignal): Promise<StoredObject | null>;
  /** The object at the item's key when it is this item, complete (a previous attempt's completion went through). */
  findComplete(item: TargetItem, checkpoint: MultipartCheckpoint | null, signal: AbortSignal): Promise<StoredObject | null>;
  /** A checkpoint received as JSON, or null when it is not one of this target's. */
  parseCheckpoint(json: JsonObject | null): MultipartCheckpoint | null;
  /** How an attempt starts from the item's last checkpoint (checked against the stored parts when it can be). */
  prepareResume(key: string, partSize: number, checkpoint: JsonObject | null): Promise<ResumePlan>;
  /** Upload the bytes and create the object; a CompleteFailedError when only the completion failed. */
  upload(request: UploadRequest): Promise<UploadResult>;
  /** Abort a multipart upload; never throws (clean-up paths are already failing). */
  abort(key: string, uploadId: string): Promise<AbortOutcome>;
  delete(key: string, signal: AbortSignal): Promise<void>;
  /** Whether the error says the target did not answer (an outage), not something about the object. */
  unreachable(err: ItemError): boolean;
  close(): void;
}
