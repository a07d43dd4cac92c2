// One Drive file into one S3 object, as a stream: Drive GET (from a byte offset when resuming) → MD5 as the
// bytes pass → S3 parts from a fixed buffer pool. The object is only created when the bytes match Drive's
// size and md5Checksum; a mismatch refuses it, so no object is left behind.
import type { S3Client } from '@aws-sdk/client-s3';
import { ItemError } from '../errors.js';
import type { ItemContext } from '../child/processor.js';
import type { JsonObject } from '../ipc/json.js';
import type { ItemOutcome, WorkItem } from '../ipc/protocol.js';
import type { DriveClient } from '../drive/drive-client.js';
import type { DriveItem } from '../drive/drive-item.js';
import { openDownload } from '../drive/download.js';
import type { Pacer } from '../drive/pacer.js';
import { createMd5Digest, createStreamMd5Digest } from '../s3/md5-digest.js';
import type { Md5Digest } from '../s3/md5-digest.js';
import { matchesDriveItem, objectWriteOptions, readObjectMetadata } from '../s3/object-metadata.js';
import type { ObjectWriteOptions } from '../s3/object-metadata.js';
import type { PartDigest } from '../s3/part-reader.js';
import { choosePartSize } from '../s3/part-size.js';
import { prepareResume, resumableUpload, resumeOffset } from '../s3/resumable-upload.js';
import type { MultipartCheckpoint, UploadResult } from '../s3/resumable-upload.js';
import { uploadStream } from '../s3/streaming-upload.js';
import type { CopyOptions } from './copy-options.js';
import { parseDriveItem } from './drive-item-payload.js';
import { retryLoop } from './retry-loop.js';
import type { RetryCounts } from './retry-loop.js';

export interface CopyDeps {
  drive: DriveClient;
  s3: S3Client;
  pacer: Pacer;
  options: CopyOptions;
}

// Errors whose retry would repeat the same bytes: worth a retry (a transfer glitch) but they refuse the object.
const CONTENT_MISMATCH = new Set(['md5-mismatch', 'size-mismatch']);
// A checkpoint lists every part so far; past the first thousand parts (~70 KB of JSON) one a second keeps
// IPC and journal writes linear in the file size (a kill then loses ≤ 1 s of parts).
const CHECKPOINT_EVERY_PART = 1000;
const CHECKPOINT_INTERVAL_MS = 1000;

function verify(item: DriveItem, bytes: number, md5: string): void {
  if (item.size !== null && bytes !== item.size) {
    throw new ItemError(`size mismatch: read ${bytes} bytes, Drive says ${item.size}`, true, 'size-mismatch');
  }
  if (item.md5 !== null && md5 !== item.md5.toLowerCase()) {
    throw new ItemError(`md5 mismatch: read ${md5}, Drive says ${item.md5.toLowerCase()}`, true, 'md5-mismatch');
  }
}

/** State of one item across the attempts inside this child. */
class ItemCopy {
  readonly partSize: number;
  readonly resumable: boolean;
  readonly write: ObjectWriteOptions;
  private checkpoint: JsonObject | null;
  private lastCheckpointAt = 0;

  constructor(
    private readonly deps: CopyDeps,
    readonly item: DriveItem,
    work: WorkItem,
    private readonly ctx: ItemContext,
  ) {
    const { options } = deps;
    this.partSize = choosePartSize(item.size, options.s3.partSizeMb);
    // Exports cannot be read from an offset (no Range on export links), so only media files resume.
    this.resumable = item.download.kind === 'media' && item.size !== null && item.size >= options.resumeMinBytes;
    this.checkpoint = this.resumable ? work.checkpoint : null;
    this.write = objectWriteOptions(options.s3, item);
  }

  private async resumePoint(): Promise<MultipartCheckpoint | null> {
    if (!this.resumable || this.checkpoint === null) return null;
    const target = this.deps.options.s3;
    const plan = await prepareResume(this.deps.s3, target.bucket, this.item.key, this.partSize, this.checkpoint);
    if (plan.resume === null) this.ctx.log.info({ reason: plan.reason }, 'starting the upload afresh');
    else this.ctx.log.info({ fromByte: resumeOffset(plan.resume), parts: plan.resume.parts.length, verified: plan.verified }, 'resuming a multipart upload');
    return plan.resume;
  }

  private onCheckpoint = (state: MultipartCheckpoint): void => {
    this.checkpoint = state;
    const now = Date.now();
    if (state.parts.length <= CHECKPOINT_EVERY_PART || now - this.lastCheckpointAt >= CHECKPOINT_INTERVAL_MS) {
      this.lastCheckpointAt = now;
      this.ctx.checkpoint(state);
    }
  };

  /** One attempt: resume point → download from its offset → hash → upload → verify before completing. */
  async attempt(): Promise<{ uploaded: UploadResult; md5: string; offset: number }> {
    const { deps, item, ctx } = this;
    const target = deps.options.s3;
    const resume = await this.resumePoint();
    const offset = resumeOffset(resume);
    // Only a resumable item needs a digest whose state can travel in its checkpoints; the others take the
    // faster one (MD5 is the largest CPU cost of a copy).
    let read = offset;
    const md5: Md5Digest = this.resumable ? await createMd5Digest(resume?.digestState ?? null) : createStreamMd5Digest();
    const { save } = md5;
    const digest: PartDigest = {
      update: (data) => {
        md5.update(data);
        read += data.length;
        ctx.progress(read);
      },
      ...(save ? { save } : {}),
    };
    const source = await openDownload(deps.drive, item, { offset, signal: ctx.signal, acknowledgeAbuse: deps.options.acknowledgeAbuse, pacer: deps.pacer });
    const common = {
      client: deps.s3,
      bucket: target.bucket,
      key: item.key,
      source,
      size: item.size,
      partSize: this.partSize,
      queueSize: target.uploadQueueSize,
      write: this.write,
      checksum: target.checksum,
      digest,
      beforeComplete: ({ bytes }: { bytes: number }) => verify(item, bytes, md5.hex()),
      signal: ctx.signal,
    };
    try {
      const uploaded = this.resumable ? await resumableUpload({ ...common, resume, onCheckpoint: this.onCheckpoint }) : await uploadStream(common);
      return { uploaded, md5: md5.hex(), offset };
    } catch (err) {
      // A refused object was aborted with its upload: the next attempt must not try to resume it.
      if (err instanceof ItemError && CONTENT_MISMATCH.has(err.code) && this.checkpoint !== null) {
        this.checkpoint = null;
        ctx.checkpoint({ cleared: true });
      }
      throw err;
    }
  }
}

export async function copyItem(deps: CopyDeps, work: WorkItem, itemCtx: ItemContext): Promise<ItemOutcome> {
  const item = parseDriveItem(work.payload);
  // Every line about this file names it by its Drive id (the work item id is only the journal's row).
  const ctx: ItemContext = { ...itemCtx, log: itemCtx.log.child({ fileId: item.id }) };
  const { options, s3 } = deps;
  const retries: RetryCounts = {};

  if (options.skipExisting) {
    const stored = await readObjectMetadata(s3, options.s3.bucket, item.key, ctx.signal);
    if (stored && matchesDriveItem(stored, item)) {
      return { status: 'skipped', reason: 'already in S3 with the same md5/modifiedTime (--skip-existing)', detail: { bytes: stored.size } };
    }
  }

  const copy = new ItemCopy(deps, item, work, ctx);
  try {
    const result = await retryLoop(
      () => copy.attempt(),
      {
        maxRetries: options.driveRetries,
        baseMs: 500,
        signal: ctx.signal,
        notHere: CONTENT_MISMATCH,
        onRetry: ({ attempt, delayMs, error }) => ctx.log.warn({ attempt, delayMs, code: error.code, error: error.message }, 'retrying after a transient error'),
      },
      retries,
    );
    return {
      status: 'done',
      bytes: result.uploaded.bytes,
      detail: {
        md5: result.md5,
        etag: result.uploaded.etag,
        method: result.uploaded.method,
        parts: result.uploaded.parts,
        resumedParts: result.uploaded.resumedParts,
        resumedFromByte: result.offset,
        retries,
      },
    };
  } catch (err) {
    // Drive refuses abuse-flagged files without acknowledgeAbuse: a rule, not a failure.
    if (err instanceof ItemError && err.code === 'abusive-file') {
      return { status: 'skipped', reason: 'abusive-file: Drive flags this file as abuse (--acknowledge-abuse downloads it)', detail: { retries } };
    }
    throw err;
  }
}
