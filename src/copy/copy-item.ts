// One Drive file into one S3 object, as a stream: Drive GET (from a byte offset when resuming) → a digest
// as the bytes pass → S3 parts from a fixed buffer pool. The object is only created when the bytes match
// Drive's size and checksum (sha1Checksum, else md5Checksum); a mismatch refuses it, so no object is left
// behind.
import type { ErrorCode } from '../error-codes.js';
import { CHECKSUM_MISMATCH_CODES, ItemError, ServiceDownError } from '../errors.js';
import type { ItemContext } from '../child/processor.js';
import type { JsonObject } from '../ipc/json.js';
import type { ItemOutcome, WorkItem } from '../ipc/protocol.js';
import { serializeError } from '../ipc/serialized-error.js';
import type { ByteSource } from '../source/byte-source.js';
import { isOtherVersion } from '../source/source.js';
import type { Source, SourceItem } from '../source/source.js';
import { CompleteFailedError, resumeOffset } from '../target/target.js';
import type { AbortOutcome, MultipartCheckpoint, Target, UploadBytes, UploadResult } from '../target/target.js';
import { ContentDigest, SavedDigestError, checksumToVerify, parseSavedDigest } from './content-digest.js';
import type { ChecksumToVerify } from './content-digest.js';
import type { OpenParts, PartDigest } from './part-reader.js';
import { hashPrefix } from './prefix-hash.js';
import { RANGE_RETRIES, rangeParts, readsAsRanges } from './range-reader.js';
import { RetryBudget } from '../retry/retry-budget.js';
import { retryLoop } from './retry-loop.js';
import type { RetryCounts } from './retry-loop.js';
import { crashAfterCompleteHook } from './test-hooks.js';

/** The copy's own settings (the composition root, copy-processor.ts, takes them from CopyOptions). */
export interface CopyPolicy {
  /** Retries of one item inside this child (--drive-retries). */
  retries: number;
  /** Files from this size on resume from checkpoints (when the source can read from an offset). */
  resumeMinBytes: number;
  /** The longest uploaded prefix a resume reads again to rebuild its digest; past it the file starts afresh. */
  resumeRereadMaxBytes: number;
  skipExisting: boolean;
  /** --range-streams: Range requests one large file is read as at once (1: one stream). */
  rangeStreams: number;
  /** --range-cutoff-mb in bytes: media files at or above it are read as parallel ranges. */
  rangeCutoffBytes: number;
  /** Part buffers one ranged file may hold (range-reader.ts rangeQueueSize). */
  rangeCapacity: number;
}

export interface CopyDeps<I extends SourceItem = SourceItem> {
  source: Source<I>;
  target: Target;
  policy: CopyPolicy;
  /** Told every region read, and whether it came as a chunk Buffer (child/gc-pacer.ts). */
  onBytesRead: (bytes: number, chunks: boolean) => void;
}

// Errors whose retry would repeat the same bytes: worth a retry (a transfer glitch) but they refuse the object.
const CONTENT_MISMATCH = new Set([...CHECKSUM_MISMATCH_CODES, 'size-mismatch']);
// Errors that may mean the file changed on Drive after it was listed: its metadata is read again to tell.
const MAYBE_CHANGED = new Set([...CONTENT_MISMATCH, 'source-changed']);
// A checkpoint lists every part so far, so sending one per part makes IPC, JSON and journal work grow with
// the square of the parts: for a 5 GiB file (640 parts) that was 18 MB of JSON and 7% of the copy's CPU,
// and the old-generation garbage made the child's RSS swing more the longer the file. Past the first 64
// parts (~6 KB of JSON) one a second keeps it linear; a kill then costs at most 1 s of parts uploaded again.
const CHECKPOINT_EVERY_PART = 64;
const CHECKPOINT_INTERVAL_MS = 1000;

/** What one successful attempt hands back: the object, the checksum it was verified with, where it resumed. */
interface AttemptResult {
  uploaded: UploadResult;
  checksum: { algorithm: string; hex: string } | null;
  offset: number;
  /** The object was found complete in S3 (a previous attempt's Complete went through): nothing was read. */
  foundComplete: boolean;
}

function verify(item: SourceItem, bytes: number, checksum: ChecksumToVerify, digest: ContentDigest): void {
  if (item.size !== null && bytes !== item.size) {
    throw new ItemError(`size mismatch: read ${bytes} bytes, Drive says ${item.size}`, true, 'size-mismatch');
  }
  const actual = digest.hex();
  if (checksum.expected !== null && actual !== checksum.expected) {
    throw new ItemError(`${checksum.algorithm} mismatch: read ${actual}, Drive says ${checksum.expected}`, true, `${checksum.algorithm}-mismatch`);
  }
}

/** State of one item across the attempts inside this child. */
class ItemCopy<I extends SourceItem> {
  readonly partSize: number;
  readonly resumable: boolean;
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
  /** Bytes already uploaded that were given up, to be read and uploaded again: a prefix too long to re-read. */
  restartedBytes = 0;
  /** Whether the last resume point was checked with ListParts (false: the checkpoint was trusted). */
  private resumeVerified = false;
  /** A failed CompleteMultipartUpload already made this child start the upload afresh (only once). */
  private restartedAfterComplete = false;

  constructor(
    private readonly deps: CopyDeps<I>,
    readonly item: I,
    work: WorkItem,
    private readonly ctx: ItemContext,
    private readonly budget: RetryBudget,
  ) {
    const { policy } = deps;
    this.partSize = deps.target.partSize(item.size);
    // Only files the source can read from an offset resume (Drive exports cannot).
    this.resumable = deps.source.seekable(item) && item.size !== null && item.size >= policy.resumeMinBytes;
    this.checkpoint = this.resumable ? work.checkpoint : null;
    this.checksum = checksumToVerify(item);
  }

  private async resumePoint(): Promise<MultipartCheckpoint | null> {
    if (!this.resumable || this.checkpoint === null) return null;
    const plan = await this.deps.target.prepareResume(this.item.key, this.partSize, this.checkpoint);
    this.resumeVerified = plan.resume !== null && plan.verified;
    if (plan.resume === null) this.ctx.log.info({ reason: plan.reason }, 'starting the upload afresh');
    else this.ctx.log.info({ fromByte: resumeOffset(plan.resume), parts: plan.resume.parts.length, verified: plan.verified }, 'resuming a multipart upload');
    return plan.resume;
  }

  private onCheckpoint = (state: MultipartCheckpoint): void => {
    const at = resumeOffset(state);
    for (const offset of this.forks.keys()) if (offset < at) this.forks.delete(offset);
    // The digest of the bytes before `at`, so that a resume in another process continues it (content-digest.ts).
    const digest = this.forks.get(at)?.save() ?? null;
    const checkpoint: JsonObject = digest === null ? { ...state } : { ...state, digest: { ...digest } };
    this.checkpoint = checkpoint;
    const now = Date.now();
    if (state.parts.length <= CHECKPOINT_EVERY_PART || now - this.lastCheckpointAt >= CHECKPOINT_INTERVAL_MS) {
      this.lastCheckpointAt = now;
      this.ctx.checkpoint(checkpoint);
    }
  };

  /** A fresh digest: savable for a resumable file, loaded from the checkpoint's saved state when it is at `offset`. */
  private async freshDigest(offset: number): Promise<ContentDigest> {
    if (!this.resumable) return ContentDigest.create(this.checksum.algorithm);
    const saved = offset > 0 ? parseSavedDigest(this.checkpoint?.digest) : null;
    if (saved !== null && saved.bytes === offset) {
      try {
        return await ContentDigest.createSavable(this.checksum.algorithm, saved);
      } catch (err) {
        if (!(err instanceof SavedDigestError)) throw err;
        this.ctx.log.warn({ error: err.message }, 'the checkpoint\'s saved digest cannot be continued: reading the prefix again');
      }
    }
    return ContentDigest.createSavable(this.checksum.algorithm);
  }

  /** The digest of bytes [0, offset): a fork kept in this child, the checkpoint's saved digest, or (bytes 0) none. */
  private async digestAt(offset: number): Promise<ContentDigest> {
    const kept = offset > 0 ? this.forks.get(offset) : undefined;
    this.forks.clear();
    // Kept (never fed: attempts continue from a fork of it) for another retry from the same offset.
    if (kept) this.forks.set(offset, kept);
    return kept ? kept.fork() : await this.freshDigest(offset);
  }

  /**
   * The download to upload from `offset`, `hash` holding the digest of the bytes before it: a Range request
   * when it does, else a download from byte 0 whose prefix is hashed again (prefix-hash.ts).
   */
  private async openAt(resume: MultipartCheckpoint | null, offset: number, hash: ContentDigest): Promise<ByteSource> {
    const { deps, item, ctx } = this;
    const rehash = hash.bytes !== offset;
    const download = await deps.source.open(item, rehash ? 0 : offset, ctx.signal);
    if (!rehash || resume === null) return download;
    ctx.log.info({ bytes: offset }, 'reading the uploaded prefix again to rebuild its checksum (no part is uploaded again)');
    return hashPrefix(download, offset, hash, {
      partSize: this.partSize,
      signal: ctx.signal,
      onBytesRead: (bytes, chunks) => {
        this.rehashedBytes += bytes;
        deps.onBytesRead(bytes, chunks);
      },
      onHashed: () => this.prefixRebuilt(resume, hash),
    });
  }

  /** The file's parts as parallel ranges from the engine's resume point, fed whole to `digest` in order. */
  private rangeSource(size: number, digest: PartDigest): OpenParts {
    const { deps, item, ctx } = this;
    const { rangeStreams, rangeCapacity } = deps.policy;
    return rangeParts(
      {
        size,
        partSize: this.partSize,
        streams: rangeStreams,
        capacity: rangeCapacity,
        retries: Math.min(RANGE_RETRIES, deps.policy.retries),
        budget: this.budget,
        digest,
        open: (offset, length, signal) => deps.source.open(item, offset, signal, length),
      },
      () => ctx.log.info({ streams: rangeStreams, partSize: this.partSize }, 'reading the file as parallel ranges'),
    );
  }

  /**
   * The prefix's digest is rebuilt: a fork like the others for a further retry here, and checkpointed at once
   * so that a child killed before its next part does not read the prefix again.
   */
  private prefixRebuilt(resume: MultipartCheckpoint, hash: ContentDigest): void {
    this.forks.set(hash.bytes, hash.fork());
    const saved = hash.save();
    if (saved === null) return;
    this.checkpoint = { ...resume, parts: [...resume.parts], digest: { ...saved } };
    this.ctx.checkpoint(this.checkpoint);
  }

  /**
   * Past --resume-reread-max-mb, re-reading the prefix would hold that much download with no checkpointed
   * progress (a kill meanwhile loses all of it, and the next resume reads it again): abort the upload and
   * start the file afresh instead, so its checkpoints carry a saved digest from the first part on.
   */
  private async restartForReread(resume: MultipartCheckpoint, offset: number): Promise<void> {
    const abort = await this.forgetUpload(resume.uploadId);
    this.restartedBytes += offset;
    const limitMb = this.deps.policy.resumeRereadMaxBytes / (1024 * 1024);
    this.ctx.log.warn({ bytes: offset, limitMb, uploadId: resume.uploadId, abort }, `the uploaded prefix has no saved checksum state and is longer than --resume-reread-max-mb (${limitMb}): uploading the file afresh, once, instead of reading it again`);
  }

  /** Abort this item's multipart upload (when there is one) and forget its checkpoint and forks. */
  private async forgetUpload(uploadId: string | null): Promise<AbortOutcome | null> {
    const abort = uploadId === null ? null : await this.deps.target.abort(this.item.key, uploadId);
    this.checkpoint = null;
    this.forks.clear();
    this.ctx.checkpoint({ cleared: true });
    return abort;
  }

  /**
   * The object at the key when it already is this file, complete (target/s3/completed-object.ts), as this attempt's
   * result; null otherwise. Asked whenever a checkpoint exists, before anything is read from Drive.
   */
  private async completedObject(why: string): Promise<AttemptResult | null> {
    const { deps, item, ctx } = this;
    const checkpoint = deps.target.parseCheckpoint(this.checkpoint);
    const stored = await deps.target.findComplete(item, checkpoint, ctx.signal);
    if (stored === null) return null;
    ctx.log.info({ why, bytes: stored.size, etag: stored.etag }, 'the object is already in S3, complete: marking the file done without reading it');
    const parts = checkpoint?.parts.length ?? 0;
    return {
      uploaded: { etag: (stored.etag ?? '').replace(/"/g, ''), bytes: stored.size, method: 'multipart', parts, resumedParts: parts, uploadId: checkpoint?.uploadId ?? null },
      checksum: item.md5 === null ? null : { algorithm: 'md5', hex: item.md5.toLowerCase() },
      offset: stored.size,
      foundComplete: true,
    };
  }

  /**
   * CompleteMultipartUpload failed in a way a retry of the same upload may never fix: the upload is gone
   * (NoSuchUpload), or a trusted checkpoint (no ListParts) met a server error (s3rver: InternalError). When
   * the object is not there already, abort the upload and start afresh, once per child.
   */
  private async afterCompleteFailed(err: CompleteFailedError): Promise<AttemptResult | null> {
    const gone = err.reason === 'upload-gone' || (err.reason === 'server-error' && !this.resumeVerified);
    if (!gone || this.restartedAfterComplete) return null;
    const found = await this.completedObject('CompleteMultipartUpload failed');
    if (found) return found;
    this.restartedAfterComplete = true;
    const abort = await this.forgetUpload(err.uploadId);
    this.ctx.log.warn({ code: err.code, error: err.message, uploadId: err.uploadId, abort }, 'CompleteMultipartUpload failed and no object is there: uploading the file afresh, once');
    return this.attempt();
  }

  /** Abort the upload of a version that is no longer Drive's, so the next version starts afresh. */
  async dropUpload(): Promise<void> {
    await this.forgetUpload(this.deps.target.parseCheckpoint(this.checkpoint)?.uploadId ?? null);
  }

  /** One attempt: resume point → download from its offset → hash → upload → verify before completing. */
  async attempt(): Promise<AttemptResult> {
    const { deps, item, ctx } = this;
    if (this.resumable && this.checkpoint !== null) {
      const found = await this.completedObject('resuming from a checkpoint');
      if (found) return found;
    }
    let resume = await this.resumePoint();
    let offset = resumeOffset(resume);
    let hash = await this.digestAt(offset);
    if (resume !== null && hash.bytes !== offset && offset > deps.policy.resumeRereadMaxBytes) {
      await this.restartForReread(resume, offset);
      resume = null;
      offset = 0;
      hash = await this.digestAt(0);
    }
    // Above --range-cutoff-mb, parallel Range requests (range-reader.ts), unless the prefix must be re-read.
    const asRanges = deps.source.seekable(item) && readsAsRanges(item.size, this.partSize, deps.policy) && hash.bytes === offset;
    let chunks = false;
    const digest: PartDigest = {
      update: (data) => {
        hash.update(data);
        deps.onBytesRead(data.length, chunks);
        ctx.progress(hash.bytes);
        // Updates never straddle a part (PartReader), and every part but the last is partSize long.
        if (this.resumable && hash.bytes % this.partSize === 0) this.forks.set(hash.bytes, hash.fork());
      },
    };
    let bytes: UploadBytes;
    if (asRanges) bytes = { openParts: this.rangeSource(item.size ?? 0, digest) };
    else {
      const source = await this.openAt(resume, offset, hash);
      chunks = source.chunked;
      bytes = { source };
    }
    try {
      const uploaded = await deps.target.upload({
        item,
        bytes,
        partSize: this.partSize,
        resumable: this.resumable,
        resume,
        onCheckpoint: this.onCheckpoint,
        digest,
        beforeComplete: ({ bytes }) => verify(item, bytes, this.checksum, hash),
        signal: ctx.signal,
      });
      crashAfterCompleteHook(item.id);
      return { uploaded, checksum: { algorithm: hash.algorithm, hex: hash.hex() }, offset, foundComplete: false };
    } catch (err) {
      if (err instanceof CompleteFailedError && this.resumable) {
        const recovered = await this.afterCompleteFailed(err);
        if (recovered) return recovered;
      }
      // A refused object was aborted with its upload: the next attempt must not try to resume it.
      if (err instanceof ItemError && CONTENT_MISMATCH.has(err.code) && this.checkpoint !== null) {
        this.checkpoint = null;
        ctx.checkpoint({ cleared: true });
      }
      throw err;
    }
  }
}

/** An ItemError code: the source confirmed (Drive: files.get) that the file is gone. */
const DELETED: ErrorCode = 'deleted-at-source';

export async function copyItem<I extends SourceItem>(deps: CopyDeps<I>, work: WorkItem, itemCtx: ItemContext): Promise<ItemOutcome> {
  const item = deps.source.parseItem(work.payload);
  // Every line about this file names it by its Drive id (the work item id is only the journal's row).
  const ctx: ItemContext = { ...itemCtx, log: itemCtx.log.child({ fileId: item.id }) };
  const { policy, source, target } = deps;
  const retries: RetryCounts = {};
  // One budget for the file in this child, across its attempts, range re-opens and a new version's copy.
  const budget = new RetryBudget(policy.retries);

  if (policy.skipExisting) {
    const stored = await target.current(item, ctx.signal);
    if (stored) {
      return { status: 'skipped', reason: 'already in S3 with the same md5/modifiedTime (--skip-existing)', detail: { bytes: stored.size } };
    }
  }

  const attempts = (copy: ItemCopy<I>): Promise<AttemptResult> =>
    retryLoop(
      () => copy.attempt(),
      {
        budget,
        baseMs: 500,
        signal: ctx.signal,
        notHere: CONTENT_MISMATCH,
        source,
        target,
        onRetry: ({ attempt, delayMs, error }) => ctx.log.warn({ attempt, delayMs, code: error.code, error: error.message }, 'retrying after a transient error'),
        ...(ctx.services ? { services: ctx.services } : {}),
      },
      retries,
    );
  let copy = new ItemCopy(deps, item, work, ctx, budget);
  // Bytes read again by resumes, of every copy of this file (a new version is a second ItemCopy).
  const reread = { rehashedBytes: 0, restartedBytes: 0 };
  const countReread = (c: ItemCopy<I>): void => {
    reread.rehashedBytes += c.rehashedBytes;
    reread.restartedBytes += c.restartedBytes;
  };
  try {
    let result: AttemptResult;
    try {
      result = await attempts(copy);
    } catch (err) {
      if (!(err instanceof ItemError && MAYBE_CHANGED.has(err.code))) throw err;
      // Bytes unlike the listing's: a new version on Drive is copied (once); the same version is a transfer fault.
      const now = await source.fresh(item, ctx.signal);
      if (now === null) throw new ItemError(`${item.id} was deleted on Drive while being copied`, false, DELETED);
      if (!isOtherVersion(item, now)) throw err;
      ctx.log.info({ code: err.code, listed: { size: item.size, modifiedTime: item.modifiedTime }, now: { size: now.size, modifiedTime: now.modifiedTime } }, 'the file changed on Drive after it was listed: copying its new version');
      await copy.dropUpload();
      const next = new ItemCopy(deps, now, { ...work, checkpoint: null }, ctx, budget);
      countReread(copy);
      copy = next;
      try {
        result = await attempts(copy);
      } catch (again) {
        if (again instanceof ItemError && MAYBE_CHANGED.has(again.code)) {
          throw new ItemError(`${item.id} changed on Drive again while its new version was copied (${again.message})`, false, 'source-changed-again');
        }
        throw again;
      }
    }
    countReread(copy);
    return {
      status: 'done',
      bytes: result.uploaded.bytes,
      detail: {
        // Named by algorithm: an md5 here is what the journal keeps for verify (else it keeps Drive's md5).
        ...(result.checksum ? { [result.checksum.algorithm]: result.checksum.hex } : {}),
        etag: result.uploaded.etag,
        method: result.uploaded.method,
        parts: result.uploaded.parts,
        resumedParts: result.uploaded.resumedParts,
        resumedFromByte: result.offset,
        ...reread,
        // The version copied, when it is not the listed one: the journal's row takes it (journal/journal.ts markDone).
        ...(copy.item === item ? {} : { source: sourceVersion(copy.item) }),
        foundComplete: result.foundComplete,
        retries,
      },
    };
  } catch (err) {
    countReread(copy);
    // Drive refuses abuse-flagged files without acknowledgeAbuse: a rule, not a failure.
    if (err instanceof ItemError && err.code === 'abusive-file') {
      return { status: 'skipped', reason: 'abusive-file: Drive flags this file as abuse (--acknowledge-abuse downloads it)', detail: { ...reread, retries } };
    }
    // Listed, then gone before its bytes were read: nothing left to copy. A media 404 for a file Drive still
    // describes (no longer shared with us, a glitch) is a failure, not a deletion.
    if (err instanceof ItemError && (err.code === DELETED || (err.code === 'not-found' && (await source.fresh(item, ctx.signal).catch(() => item)) === null))) {
      await copy.dropUpload();
      return { status: 'skipped', reason: 'deleted at source', detail: { ...reread, retries } };
    }
    // Thrown on: the runtime hands the file back for a service held down, and drops results after an abort.
    if (err instanceof ServiceDownError || ctx.signal.aborted) throw err;
    return { status: 'failed', error: serializeError(err), detail: { ...reread } };
  }
}

/** What the journal keeps of a Drive version (its row's size, modifiedTime and md5). */
function sourceVersion(item: SourceItem): JsonObject {
  return { size: item.size, modifiedTime: item.modifiedTime, md5: item.md5 };
}
