// One Drive file into one S3 object, as a stream: Drive GET (from a byte offset when resuming) → a digest
// as the bytes pass → S3 parts from a fixed buffer pool. The object is only created when the bytes match
// Drive's size and checksum (sha1Checksum, else md5Checksum); a mismatch refuses it, so no object is left
// behind.
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { CHECKSUM_MISMATCH_CODES, ItemError } from '../errors.js';
import type { ItemContext } from '../child/processor.js';
import type { JsonObject } from '../ipc/json.js';
import type { ItemOutcome, WorkItem } from '../ipc/protocol.js';
import type { DriveEndpoint } from '../drive/drive-endpoint.js';
import type { DriveItem } from '../drive/drive-item.js';
import { openDownload } from '../drive/download.js';
import type { Pacer } from '../drive/pacer.js';
import { ContentDigest, checksumToVerify } from '../s3/content-digest.js';
import type { ChecksumToVerify } from '../s3/content-digest.js';
import { matchesDriveItem, objectWriteOptions, readObjectMetadata } from '../s3/object-metadata.js';
import type { ObjectWriteOptions } from '../s3/object-metadata.js';
import { directSource } from '../s3/part-reader.js';
import type { PartDigest } from '../s3/part-reader.js';
import { choosePartSize } from '../s3/part-size.js';
import { prepareResume, resumableUpload, resumeOffset } from '../s3/resumable-upload.js';
import type { MultipartCheckpoint, UploadResult } from '../s3/resumable-upload.js';
import { uploadStream } from '../s3/streaming-upload.js';
import type { CopyOptions } from './copy-options.js';
import { parseDriveItem } from './drive-item-payload.js';
import { hashPrefix } from './prefix-hash.js';
import { retryLoop } from './retry-loop.js';
import type { RetryCounts } from './retry-loop.js';

export interface CopyDeps {
  drive: DriveEndpoint;
  s3: S3Client;
  pacer: Pacer;
  options: CopyOptions;
  /** Told every region read, and whether it came as a chunk Buffer (child/gc-pacer.ts). */
  onBytesRead: (bytes: number, chunks: boolean) => void;
}

// Errors whose retry would repeat the same bytes: worth a retry (a transfer glitch) but they refuse the object.
const CONTENT_MISMATCH = new Set([...CHECKSUM_MISMATCH_CODES, 'size-mismatch']);
// A checkpoint lists every part so far, so sending one per part makes IPC, JSON and journal work grow with
// the square of the parts: for a 5 GiB file (640 parts) that was 18 MB of JSON and 7% of the copy's CPU,
// and the old-generation garbage made the child's RSS swing more the longer the file. Past the first 64
// parts (~6 KB of JSON) one a second keeps it linear; a kill then costs at most 1 s of parts uploaded again.
const CHECKPOINT_EVERY_PART = 64;
const CHECKPOINT_INTERVAL_MS = 1000;

function verify(item: DriveItem, bytes: number, checksum: ChecksumToVerify, digest: ContentDigest): void {
  if (item.size !== null && bytes !== item.size) {
    throw new ItemError(`size mismatch: read ${bytes} bytes, Drive says ${item.size}`, true, 'size-mismatch');
  }
  const actual = digest.hex();
  if (checksum.expected !== null && actual !== checksum.expected) {
    throw new ItemError(`${checksum.algorithm} mismatch: read ${actual}, Drive says ${checksum.expected}`, true, `${checksum.algorithm}-mismatch`);
  }
}

/** State of one item across the attempts inside this child. */
class ItemCopy {
  readonly partSize: number;
  readonly resumable: boolean;
  readonly write: ObjectWriteOptions;
  readonly checksum: ChecksumToVerify;
  private checkpoint: JsonObject | null;
  private lastCheckpointAt = 0;
  /**
   * Digest forks at part boundaries (byte offset → digest of the bytes before it), from the last checkpoint
   * on: a retry in this child that resumes at one of them continues the digest without reading the prefix
   * again. At most parts-in-flight + 1 entries: those below each new checkpoint are dropped.
   */
  private readonly forks = new Map<number, ContentDigest>();
  /** Bytes downloaded again only to rebuild the digest after a resume in a fresh process. */
  rehashedBytes = 0;

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
    this.checksum = checksumToVerify(item);
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
    const at = resumeOffset(state);
    for (const offset of this.forks.keys()) if (offset < at) this.forks.delete(offset);
    const now = Date.now();
    if (state.parts.length <= CHECKPOINT_EVERY_PART || now - this.lastCheckpointAt >= CHECKPOINT_INTERVAL_MS) {
      this.lastCheckpointAt = now;
      this.ctx.checkpoint(state);
    }
  };

  /**
   * The digest of bytes [0, offset) and the download to upload from `offset`: a fork kept in this child when
   * there is one, else a download from byte 0 whose prefix is hashed again (prefix-hash.ts).
   */
  private async openAt(offset: number): Promise<{ hash: ContentDigest; source: Readable }> {
    const { deps, item, ctx } = this;
    const kept = offset > 0 ? this.forks.get(offset) : undefined;
    this.forks.clear();
    // Kept (never fed: attempts continue from a fork of it) for another retry from the same offset.
    if (kept) this.forks.set(offset, kept);
    const rehash = offset > 0 && kept === undefined;
    const hash = kept ? kept.fork() : ContentDigest.create(this.checksum.algorithm);
    const download = await openDownload(deps.drive, item, { offset: rehash ? 0 : offset, signal: ctx.signal, acknowledgeAbuse: deps.options.acknowledgeAbuse, pacer: deps.pacer });
    if (!rehash) return { hash, source: download };
    ctx.log.info({ bytes: offset }, 'reading the uploaded prefix again to rebuild its checksum (no part is uploaded again)');
    this.rehashedBytes += offset;
    // Once rebuilt, the prefix's digest is a fork like the others: a further retry here does not read it again.
    return { hash, source: hashPrefix(download, offset, hash, () => this.forks.set(offset, hash.fork())) };
  }

  /** One attempt: resume point → download from its offset → hash → upload → verify before completing. */
  async attempt(): Promise<{ uploaded: UploadResult; digest: ContentDigest; offset: number }> {
    const { deps, item, ctx } = this;
    const target = deps.options.s3;
    const resume = await this.resumePoint();
    const offset = resumeOffset(resume);
    const { hash, source } = await this.openAt(offset);
    const chunks = directSource(source) === null;
    const digest: PartDigest = {
      update: (data) => {
        hash.update(data);
        deps.onBytesRead(data.length, chunks);
        ctx.progress(hash.bytes);
        // Updates never straddle a part (PartReader), and every part but the last is partSize long.
        if (this.resumable && hash.bytes % this.partSize === 0) this.forks.set(hash.bytes, hash.fork());
      },
    };
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
      beforeComplete: ({ bytes }: { bytes: number }) => verify(item, bytes, this.checksum, hash),
      signal: ctx.signal,
    };
    try {
      const uploaded = this.resumable ? await resumableUpload({ ...common, resume, onCheckpoint: this.onCheckpoint }) : await uploadStream(common);
      return { uploaded, digest: hash, offset };
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
        // Named by algorithm: an md5 here is what the journal keeps for verify (else it keeps Drive's md5).
        [result.digest.algorithm]: result.digest.hex(),
        etag: result.uploaded.etag,
        method: result.uploaded.method,
        parts: result.uploaded.parts,
        resumedParts: result.uploaded.resumedParts,
        resumedFromByte: result.offset,
        rehashedBytes: copy.rehashedBytes,
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
